// Starts the SMTP sink (smtp-sink.mjs) as its own process and collects what it receives.
import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface ReceivedMail {
  from: string;
  to: string[];
  /** The raw message (headers and body, as sent). */
  data: string;
}

export interface SmtpSink {
  url: string;
  received: ReceivedMail[];
  /** The next message to `to` (one already received counts), or a rejection after `timeoutMs`. */
  mailTo(to: string, timeoutMs?: number): Promise<ReceivedMail>;
  stop(): Promise<void>;
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const child = spawn(process.execPath, [path.join(path.dirname(fileURLToPath(import.meta.url)), 'smtp-sink.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const received: ReceivedMail[] = [];
  const waiters = new Set<() => void>();
  const lines = readline.createInterface({ input: child.stdout! });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the SMTP sink exited (${code})`)));
    lines.on('line', (line) => {
      const msg = JSON.parse(line) as { port?: number } & ReceivedMail;
      if (msg.port) return resolve(msg.port);
      received.push(msg);
      for (const w of waiters) w();
    });
  });
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    mailTo(to, timeoutMs = 20_000) {
      const find = () => received.find((m) => m.to.includes(to));
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = find();
          if (!m) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(m);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no mail to ${to} within ${timeoutMs} ms (received: ${received.map((m) => m.to.join(',')).join('; ') || 'none'})`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}

/** The activation link in a received message (quoted-printable soft breaks undone). */
export function activationLink(mail: ReceivedMail): string {
  const body = mail.data.replace(/=\r?\n/g, '').replace(/=3D/g, '=');
  const m = /https?:\/\/\S+\/activate\.html#token=[A-Za-z0-9_-]+/.exec(body);
  if (!m) throw new Error(`no activation link in the message:\n${body.slice(0, 2000)}`);
  return m[0];
}
