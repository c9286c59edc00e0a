import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { waitFor } from './waitFor.js';

const main = fileURLToPath(new URL('../feed-worker/dist/main.js', import.meta.url));

export interface WorkerProcess {
  /** Everything the worker wrote, newest last, for failure messages. */
  output(): string;
  /** SIGTERM, then waits for exit 0 (the worker's graceful shutdown). */
  stop(): Promise<void>;
}

/**
 * Starts the compiled worker (`npm test` builds first) on a test's own vhost and database, as
 * it is deployed, and resolves once it consumes `feed.events`.
 */
export async function startWorker(amqpUrl: string, databaseUrl: string): Promise<WorkerProcess> {
  if (!existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\` first`);
  const child = spawn(process.execPath, [main], {
    env: {
      PATH: process.env.PATH,
      AMQP_URL: amqpUrl,
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: 'info',
      WORKER_HTTP_PORT: '0',
      WORKER_SHUTDOWN_TIMEOUT_MS: '8000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const worker: WorkerProcess = {
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const code = await exited;
      if (code !== 0) throw new Error(`the worker exited with ${code}:\n${output}`);
    },
  };
  try {
    await waitFor(
      'the worker to consume feed.events',
      () => {
        if (child.exitCode !== null) throw new Error(`the worker exited:\n${output}`);
        return output.includes('"msg":"consuming feed.events"');
      },
      { timeout: 20_000 },
    );
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    throw error;
  }
  return worker;
}
