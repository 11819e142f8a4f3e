// The server as an operator runs it: a separate `node server/main.ts` process, with
// everything it prints kept for the test to search (log lines, secrets that must not be there).
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';

const root = path.resolve(import.meta.dirname, '../..');

export interface ServerProcess {
  proc: ChildProcess;
  url: string;
}

/**
 * Starts the server with `env` (LOG_LEVEL debug unless given); `output` collects stdout and
 * stderr. `wrap`: a command that runs it (e.g. `ip netns exec <namespace>`).
 */
export async function startServerProcess(env: Record<string, string>, output: string[], wrap: string[] = []): Promise<ServerProcess> {
  const [command, ...args] = [...wrap, process.execPath, '--import', 'tsx', 'server/main.ts'];
  const proc = spawn(command!, args, {
    cwd: root,
    // The most talkative level by default: no log line may carry a secret.
    env: { ...process.env, LOG_LEVEL: 'debug', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout!.on('data', (d: Buffer) => output.push(d.toString()));
  proc.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start')), 60_000);
    readline.createInterface({ input: proc.stdout! }).on('line', (line) => {
      const m = /is running: (\S+)/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    proc.once('exit', (code) => reject(new Error(`server exited (${code}): ${output.join('').split('\n').filter(Boolean).slice(-8).join('\n')}`)));
  });
  return { proc, url };
}
