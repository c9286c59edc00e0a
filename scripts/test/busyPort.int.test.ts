import { execFile } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../e2e/harness/freePort.js';

// A port already taken stops each process at start with one line naming the variable and the
// port (the same line `npm start` repeats: start.serial.test.ts), not an 'error' event's stack.

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

let holder: net.Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (holder ? holder.close(() => resolve()) : resolve()));
  holder = undefined;
});

/** A port on 127.0.0.1 that something else listens on. */
async function takenPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  holder = server;
  return (server.address() as net.AddressInfo).port;
}

/** Runs a compiled process until it exits; its servers point at ports where nothing runs. */
async function runUntilExit(script: string, env: Record<string, string>) {
  const base = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    AMQP_URL: `amqp://guest:guest@127.0.0.1:${await freePort()}`,
    DATABASE_URL: `postgres://postgres@127.0.0.1:${await freePort()}/feed`,
    LOG_LEVEL: 'info',
  };
  return new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = execFile(
      process.execPath,
      [script],
      { cwd: repoRoot, env: { ...base, ...env }, timeout: 30_000 },
      (_error, _stdout, stderr) => resolve({ code: child.exitCode, stderr }),
    );
  });
}

describe('a port already in use', () => {
  for (const [variable, name, script] of [
    ['PORT', 'service', 'feed-service/dist/main.js'],
    ['WORKER_HTTP_PORT', 'worker', 'feed-worker/dist/main.js'],
  ] as const) {
    it(`stops the ${name} with one line naming ${variable} and the port`, async () => {
      const port = await takenPort();
      const { code, stderr } = await runUntilExit(script, { [variable]: String(port) });

      expect(code).toBe(1);
      expect(stderr).toBe(
        `${variable} ${port} is already in use on 127.0.0.1: stop what listens there, or set ${variable} to a free port\n`,
      );
    });
  }
});
