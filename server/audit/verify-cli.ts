// `npm run audit:verify`: checks the audit chain of the configured database (DATABASE_URL,
// else the embedded one in DATA_DIR; stop the server first when it is embedded) against the
// audit key and the latest signed checkpoint. Exit 0 when intact, 1 with the first broken
// row otherwise. `--public-key` prints the key that verifies checkpoints, for an auditor.
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { Database } from '../db/database.js';
import { auditOptions } from './audit-config.js';
import { AuditLog } from './AuditLog.js';

const { values } = parseArgs({ options: { 'public-key': { type: 'boolean', default: false } } });
const config = loadConfig();
const options = auditOptions(config);
if (values['public-key']) {
  process.stdout.write(options.key.publicKeyPem());
} else {
  const db = await Database.open({ url: config.databaseUrl, dataDir: config.dataDir });
  try {
    const result = await new AuditLog(db.prisma, options).verify();
    const against = result.checkpoint ? `, checked against the signed checkpoint of ${result.checkpoint.at} (${result.checkpoint.seq} entries)` : ' (no signed checkpoint yet: a removed tail could not be told)';
    if (result.ok) console.log(`audit chain intact: ${result.checked} entries${against}`);
    else console.error(`audit chain BROKEN at entry ${result.broken!.seq}: ${result.broken!.problem} (${result.checked} entries before it are intact)`);
    process.exitCode = result.ok ? 0 : 1;
  } finally {
    await db.close();
  }
}
