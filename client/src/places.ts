// The places tree as GET /api/places sends it, and walks over it that several pages share.

export interface PlacesFacility {
  id: string;
  name: string;
  kind: string;
  cameras: Array<{ id: string; name: string }>;
}

export interface PlacesUnit {
  id: string;
  name: string;
  /** The unit list's label of its level ("Tỉnh", "Huyện", "Xã"…). */
  level: string;
  units: PlacesUnit[];
  facilities: PlacesFacility[];
}

/** The shape of GET /api/places. */
export interface PlacesTree {
  units: PlacesUnit[];
  unassignedCameras: Array<{ id: string; name: string }>;
}

/** Every facility of a places tree, in tree order. */
export function facilitiesOf(units: PlacesUnit[]): PlacesFacility[] {
  return units.flatMap((u) => [...u.facilities, ...facilitiesOf(u.units)]);
}
