import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../e2e/harness/freePort.js';
import {
  createTestDatabase,
  createTestVhost,
  waitFor,
  type TestDatabase,
  type TestVhost,
} from '../../test-support/index.js';

// `npm start` as a newcomer runs it, in the background of a process group of its own, the way
// a terminal runs it: Ctrl-C is SIGINT to the whole group. It builds, so it runs in the serial
// project, where no other test reads the compiled processes meanwhile.

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

interface NpmStart {
  pid: number;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

let vhost: TestVhost;
let database: TestDatabase;
beforeAll(async () => {
  vhost = await createTestVhost('npm-start');
  database = await createTestDatabase('npm-start');
});
afterAll(async () => {
  await database?.drop();
  await vhost?.drop();
});

async function npmStart(ports: { service: number; worker: number }): Promise<NpmStart> {
  const child = spawn('npm', ['start'], {
    cwd: repoRoot,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      // A developer's .env must not reach the test's processes.
      FEED_DOTENV: 'off',
      AMQP_URL: vhost.url,
      DATABASE_URL: database.url,
      REGISTRAR_DATABASE_URL: database.url,
      PORT: String(ports.service),
      WORKER_HTTP_PORT: String(ports.worker),
    },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { pid: child.pid!, output: () => output, exited };
}

/**
 * True once no process of the group is left running (npm, start.mjs, the worker, the service).
 * Zombies do not count: where PID 1 does not reap orphans, the `ps` that concurrently runs to
 * find a process tree can stay behind as one.
 */
function groupGone(pgid: number): boolean {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // pid (comm) state ppid pgrp ...: comm may hold spaces, so read after its ')'.
    const [state, , group] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(group) === pgid && state !== 'Z') return false;
  }
  return true;
}

async function answers(url: string): Promise<boolean> {
  return fetch(url).then(
    (response) => response.ok,
    () => false,
  );
}

describe('npm start', () => {
  it('shows what it waits for, ends with where the feed is, and Ctrl-C stops both processes', async () => {
    const ports = { service: await freePort(), worker: await freePort() };
    const start = await npmStart(ports);
    try {
      await waitFor('the ready block', () => start.output().includes('Ctrl-C stops both.'), {
        timeout: 110_000,
        interval: 200,
      });
    } catch (error) {
      process.kill(-start.pid, 'SIGKILL');
      throw new Error(`${(error as Error).message}\n${start.output()}`, { cause: error });
    }
    const output = start.output();
    for (const progress of [
      'services: PostgreSQL answers on',
      'services: RabbitMQ answers on',
      `start: migrating the feed database (${database.url})`,
      'start: starting the worker and the service; waiting until',
    ])
      expect(output).toContain(progress);
    const base = `http://localhost:${ports.service}`;
    const block = output.slice(output.indexOf('The feed is up'));
    expect(block).toContain(`page      ${base}/\n`);
    expect(block).toContain(`API       curl '${base}/events?limit=5'\n`);
    expect(block).toContain(`docs      ${base}/docs\n`);
    expect(block).toContain(`metrics   http://localhost:${ports.worker}/metrics (worker)`);
    expect(block).toContain('publish   npx feed-publish --type employee.registered --data ');
    // What the block says is true when it is printed.
    expect(await answers(`${base}/readyz`)).toBe(true);
    expect(await answers(`http://localhost:${ports.worker}/readyz`)).toBe(true);

    process.kill(-start.pid, 'SIGINT');
    // npm ends itself with the signal it got once its script has exited, as a shell expects.
    expect(await start.exited).toEqual({ code: null, signal: 'SIGINT' });
    await waitFor('every process of npm start to exit', () => groupGone(start.pid), {
      timeout: 30_000,
    });
    const after = start.output();
    expect(after).toMatch(/^\[worker\] .*"msg":"stopped"/m);
    expect(after).toMatch(/^\[service\] .*"msg":"stopped"/m);
    expect(after).toContain('start: the worker and the service stopped\n');
  });

  for (const [variable, which] of [
    ['PORT', 'service'],
    ['WORKER_HTTP_PORT', 'worker'],
  ] as const) {
    it(`stops with the ${which}'s one line when ${variable} is taken, and stops the other process`, async () => {
      // It hangs up on whoever connects (npm start asks for readiness there), so it can close.
      const holder = net.createServer((socket) => socket.destroy());
      await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
      const taken = (holder.address() as net.AddressInfo).port;
      try {
        const ports = { service: await freePort(), worker: await freePort(), [which]: taken };
        const start = await npmStart(ports);
        const line = `${variable} ${taken} is already in use on 127.0.0.1: stop what listens there, or set ${variable} to a free port`;

        expect(await start.exited).toEqual({ code: 1, signal: null });
        await waitFor('every process of npm start to exit', () => groupGone(start.pid), {
          timeout: 30_000,
        });
        expect(start.output()).toContain(`[${which}] ${line}\n`);
        expect(start.output()).toContain(`start: the ${which} stopped (exit code 1): ${line}\n`);
      } finally {
        await new Promise<void>((resolve) => holder.close(() => resolve()));
      }
    });
  }
});
