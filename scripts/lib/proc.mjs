// Small process helpers for the install scripts (no dependencies: they run before npm install).
import { spawnSync } from 'node:child_process';

export function log(msg) {
  process.stderr.write(`[setup] ${msg}\n`);
}

/** Runs a command with inherited output; throws with the command line when it fails. */
export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}`);
}

/** True when `cmd` is on PATH. */
export function onPath(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}
