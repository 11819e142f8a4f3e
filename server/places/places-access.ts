// What the places room asks of access: authority over a place, and telling access that
// places moved (so cached camera places are read again). A port, so places never reach into
// access's internals; main.ts hands in the AccessService.
import type { Place } from '../access/policy.js';

export interface PlacesAccess {
  /** Is the person an active scope administrator over `place` ({} = the nation)? */
  administers(userId: string, place: Place): Promise<boolean>;
  /** Units or facilities moved: cached places of cameras are stale. */
  placesChanged(): void;
}
