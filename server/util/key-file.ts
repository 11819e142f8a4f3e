// Generated secrets kept in the data directory (encryption key, token secret, operator
// token): read the file, or create it once with mode 0600. `wx` makes a concurrent first
// start of two processes fail loudly instead of leaving two different secrets.
import fs from 'node:fs';
import path from 'node:path';

export function readOrCreateSecretFile(dataDir: string, name: string, generate: () => string): string {
  const file = path.join(dataDir, name);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(file, generate(), { mode: 0o600, flag: 'wx' });
  }
  return fs.readFileSync(file, 'utf8').trim();
}
