// A redis-server of a test's own (not the machine's shared one), without persistence, like the
// cluster's Redis in docker/compose.yaml; resolves once it accepts connections.
import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';

/** `host` other than loopback: protected mode is off (the tests' private bridges only). */
export async function startRedisServer(host: string, port: number): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', host, '--save', '', '--appendonly', 'no', ...(host === '127.0.0.1' ? [] : ['--protected-mode', 'no'])];
  const proc = spawn('/usr/bin/redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('redis-server did not start')), 10_000);
    readline.createInterface({ input: proc.stdout! }).on('line', (line) => {
      if (line.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.once('exit', (code) => reject(new Error(`redis-server exited (${code})`)));
  });
  return proc;
}
