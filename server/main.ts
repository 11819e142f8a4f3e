// Entry point of `npm start`: load config, start, stop cleanly on SIGINT/SIGTERM.
import { loadConfig } from './config.js';
import { moduleLogger } from './logger.js';
import { startServer } from './server.js';

const log = moduleLogger('main');

// `--demo` (what `npm start` passes) asks for the demo unless DEMO says otherwise.
const demoFlag = process.argv.includes('--demo') && process.env.DEMO === undefined;

try {
  const server = await startServer(loadConfig(demoFlag ? { demo: true } : {}));
  process.stdout.write(`\n  Giám sát is running: ${server.url}\n\n`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    await server.close();
    clearTimeout(force);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
} catch (err) {
  log.fatal({ err }, 'cannot start');
  process.exitCode = 1;
}
