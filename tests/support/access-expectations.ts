// The written expectation: who may watch which camera of the demo province (Y = allowed).
// Read by the policy unit test and by the access integration test (through the database and
// the signaling server). Rows are the demo people (server/demo/demo-province.ts).
export const CAMERA_COLUMNS = ['military', 'hotel', 'school', 'checkpoint', 'konTum', 'unassigned'] as const;
export type CameraColumn = (typeof CAMERA_COLUMNS)[number];

const TABLE = `
                   military hotel school checkpoint konTum unassigned
quocgia            Y        Y     Y      Y          Y      Y
soyte              Y        Y     Y      .          .      .
quansu             Y        .     .      .          .      .
congan             .        .     .      Y          .      .
khachsan           .        Y     .      .          .      .
thanhtra           .        .     Y      .          .      .
kythuat            .        .     .      .          .      .
vanhanh            .        .     .      .          .      .
quantri            .        .     .      .          .      .
quantri-tw         .        .     .      .          .      .
soyte-chan         Y        .     Y      .          .      .
soyte-tamdung      .        .     .      .          .      .
soyte-hethan       .        .     .      .          .      .
`;

/** username -> camera column -> allowed. */
export const EXPECTED_VIEW: Array<{ username: string; allowed: Record<CameraColumn, boolean> }> = TABLE.trim().split('\n').slice(1).map((line) => {
  const [username, ...cells] = line.trim().split(/\s+/);
  if (cells.length !== CAMERA_COLUMNS.length) throw new Error(`bad expectation row: ${line}`);
  return { username: username!, allowed: Object.fromEntries(CAMERA_COLUMNS.map((c, i) => [c, cells[i] === 'Y'])) as Record<CameraColumn, boolean> };
});
