// `npm run admin:create -- --username <u> --full-name "<name>" --email <e> --phone <p>`: the
// first national administrator of an empty deployment. The account has no password: the
// command prints a one-time activation link (72 h) where the person sets one; their first
// sign-in then enrols the second factor. Refuses while an active national administrator
// exists unless --force; never touches an existing account; the creation is audited.
// Works on the configured database (DATABASE_URL, else the embedded one in DATA_DIR: stop the
// server first when it is embedded). Exit codes: 0 created, 1 failed, 2 refused.
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { AuditLog } from '../audit/AuditLog.js';
import { auditOptions } from '../audit/audit-config.js';
import { loadConfig } from '../config.js';
import { Database } from '../db/database.js';
import { AccessRepository } from './access.repository.js';
import { personFields } from './person.schema.js';
import { hashRefresh } from './tokens.js';


/** The same rules as an account request's person. */
const personSchema = z.object({ ...personFields, organization: z.string().trim().min(2).max(200) });

const USAGE = `usage: npm run admin:create -- --username <u> --full-name "<name>" --email <e> --phone <p>
       [--position "<position>"] [--organization "<organization>"] [--url <public address>] [--force]`;

function fail(code: 1 | 2, message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

let args: ReturnType<typeof parse>;
function parse() {
  return parseArgs({
    options: {
      username: { type: 'string' }, 'full-name': { type: 'string' }, email: { type: 'string' }, phone: { type: 'string' },
      position: { type: 'string', default: 'Quản trị hệ thống' },
      organization: { type: 'string', default: 'Cục Công nghệ thông tin, Bộ Y tế' },
      url: { type: 'string' }, force: { type: 'boolean', default: false },
    },
    strict: true,
  }).values;
}
try {
  args = parse();
} catch (err) {
  fail(2, `${(err as Error).message}\n${USAGE}`);
}
const person = personSchema.safeParse({
  username: args.username, fullName: args['full-name'], position: args.position, phone: args.phone, email: args.email, organization: args.organization,
});
if (!person.success) fail(2, `${z.prettifyError(person.error)}\n${USAGE}`);

const config = loadConfig();
const db = await Database.open({ url: config.databaseUrl, dataDir: config.dataDir });
try {
  const repo = new AccessRepository(db.prisma);
  const existing = await repo.nationalAdmins(new Date());
  if (existing.length && !args.force) {
    fail(2, `refused: a national administrator exists already (${existing.map((u) => u.username).join(', ')}); they create further accounts in the product. Add --force to create another anyway.`);
  }
  const token = randomBytes(32).toString('base64url');
  const user = await repo.createNationalAdmin(person.data, { hash: hashRefresh(token), expiresAt: new Date(Date.now() + config.auth.activationHours * 3600_000) });
  if (!user) fail(2, `refused: the username "${person.data.username}" is taken (an existing account is never changed here)`);
  const audit = new AuditLog(db.prisma, auditOptions(config));
  await audit.append({
    action: 'admin.create', target: `user:${user.id}`, address: 'command line',
    details: { username: user.username, scopeType: 'NATION', role: 'SCOPE_ADMIN', forced: args.force && existing.length > 0, existingAdmins: existing.length },
  });
  await audit.drain();
  if (audit.state().buffered) fail(1, 'the account was created but its audit entry could not be written; check the database');
  const base = (args.url ?? `http://localhost:${config.port}`).replace(/\/+$/, '');
  process.stdout.write(`National administrator "${user.username}" (${user.fullName}) created.
Activation link, valid ${config.auth.activationHours} h and usable once (give it to that person only):
  ${base}/activate.html#token=${token}
They set a password there, then sign in and enrol the second factor.
`);
} catch (err) {
  fail(1, `cannot create the administrator: ${(err as Error).message}`);
} finally {
  await db.close();
}
