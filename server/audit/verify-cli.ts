// `npm run audit:verify`: checks the audit chain of the configured database (DATABASE_URL,
// else the embedded one in DATA_DIR; stop the server first when it is embedded). Exit 0 when
// intact, 1 with the first broken row otherwise.
import { loadConfig } from '../config.js';
import { Database } from '../db/database.js';
import { AuditLog } from './AuditLog.js';

const config = loadConfig();
const db = await Database.open({ url: config.databaseUrl, dataDir: config.dataDir });
try {
  const result = await new AuditLog(db.prisma).verify();
  if (result.ok) console.log(`audit chain intact: ${result.checked} entries`);
  else console.error(`audit chain BROKEN at entry ${result.broken!.seq}: ${result.broken!.problem} (${result.checked} entries before it are intact)`);
  process.exitCode = result.ok ? 0 : 1;
} finally {
  await db.close();
}
