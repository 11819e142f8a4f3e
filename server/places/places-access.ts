// What the places room asks of access: authority over a place, and telling access that
// places moved (so cached camera places are read again). A port, so places never reach into
// access's internals; main.ts hands in the AccessService.
import type { Place } from './place.js';

/** One person's standing over places, read once for a whole list. */
export interface PlaceAuthority {
  /** An active scope administrator over the place (no deny over it). */
  administers(place: Place): boolean;
  /** An active installer assigned to the place (a facility, or a unit holding it). */
  installs(place: Place): boolean;
}

export interface PlacesAccess {
  /** Is the person an active scope administrator over `place` ({} = the nation)? */
  administers(userId: string, place: Place): Promise<boolean>;
  /** The person's standing, to judge many places at once. */
  authorityOf(userId: string): Promise<PlaceAuthority>;
  /** Units or facilities moved: cached places of cameras are stale. */
  placesChanged(): void;
}
