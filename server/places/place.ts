// Where things sit, as every room speaks of it: the vocabulary of places, without the rules
// that judge them (access/policy.ts) or the registries that store them.
import type { FacilityKind } from '../db/generated/enums.js';

/**
 * Where a camera (or a scope) sits: nation > administrative units (as many levels as the
 * imported list has) > facility > camera. `units` holds the ids of every unit containing the
 * place, top level first.
 */
export interface Place {
  units?: readonly string[];
  facilityId?: string;
  facilityKind?: FacilityKind;
  cameraId?: string;
}

/** How far a person's duty reaches over places. */
export interface DutyScope {
  /** Does the caller's duty cover this place? */
  covers(place: Place): boolean;
  /** May the caller see who watches cameras at this place (audit authority)? */
  audits(place: Place): boolean;
}
