import { execFile, execFileSync } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../e2e/harness/freePort.js';
import { createTestDatabase, type TestDatabase } from '../../test-support/index.js';

// scripts/services.sh decides what to install and start from what answers, what dpkg says is
// installed, and what this user may do. These tests give it a PATH of one folder: symlinks to
// the real tools it reads with, and recording stubs for everything that could change the
// machine or that says who we are (apt-get, sudo, id, dpkg-query, the servers' commands,
// docker). Free ports stand for servers that are down. Nothing is installed, uninstalled or
// started; the real servers are only looked at, in the case where nothing is missing.

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const readTools = ['bash', 'node', 'dirname', 'grep', 'awk', 'sleep', 'tail', 'hostname', 'cat'];

// One stub answers for every name: it records its name and arguments, then answers as the
// STUB_* variables say.
const stub = `#!/bin/bash
name=\${0##*/}
printf '%s %s\\n' "$name" "$*" >>"$STUB_LOG"
case $name in
  id) [ "$1" = -u ] && echo "$STUB_UID" ;;
  sudo) [ "$*" = '-n true' ] && [ "$STUB_SUDO" = yes ] ;;
  dpkg-query) [[ " $STUB_INSTALLED " == *" \${!#} "* ]] && printf 'install ok installed' ;;
  pg_lsclusters) [ -n "$STUB_CLUSTERS" ] && echo "$STUB_CLUSTERS" ;;
  rabbitmqctl) [ "$*" != '-q ping' ] || [ "$STUB_RABBITMQ_NODE" = running ] ;;
  docker) [ "$1" = info ] && [ "$STUB_DOCKER" = yes ] ;;
  *) exit 0 ;;
esac
`;
const stubs = ['apt-get', 'sudo', 'id', 'dpkg-query', 'docker', 'systemctl', 'runuser', 'psql'];
const postgresCommands = ['pg_lsclusters', 'pg_ctlcluster'];
const rabbitmqCommands = ['rabbitmq-server', 'rabbitmqctl'];

interface Machine {
  uid: number;
  sudo?: boolean;
  docker?: boolean;
  /** Debian packages dpkg reports installed; their commands are on PATH too. */
  installed?: Array<'postgresql' | 'rabbitmq-server'>;
  /** pg_lsclusters -h */
  clusters?: string;
  rabbitmqNodeRunning?: boolean;
  env?: Record<string, string>;
}

interface Run {
  code: number;
  output: string;
  /** Every stub called, as "name args". */
  calls: string[];
}

let folder: string;
let runs = 0;

beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), 'feed-services-test-'));
  writeFileSync(join(folder, 'stub'), stub);
  chmodSync(join(folder, 'stub'), 0o755);
});

afterAll(() => rmSync(folder, { recursive: true, force: true }));

function realPath(tool: string): string {
  return execFileSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();
}

/** Runs services.sh on the machine described, with its own PATH folder and call log. */
async function services(machine: Machine, args: string[] = []): Promise<Run> {
  const bin = join(folder, `bin-${++runs}`);
  const log = join(folder, `calls-${runs}.log`);
  mkdirSync(bin);
  writeFileSync(log, '');
  for (const tool of readTools) symlinkSync(realPath(tool), join(bin, tool));
  const installed = machine.installed ?? [];
  const commands = [
    ...stubs,
    ...(installed.includes('postgresql') ? postgresCommands : []),
    ...(installed.includes('rabbitmq-server') ? rabbitmqCommands : []),
  ];
  for (const name of commands) symlinkSync(join(folder, 'stub'), join(bin, name));
  const env = {
    PATH: bin,
    HOME: folder,
    STUB_LOG: log,
    STUB_UID: String(machine.uid),
    STUB_SUDO: machine.sudo ? 'yes' : 'no',
    STUB_DOCKER: machine.docker ? 'yes' : 'no',
    STUB_INSTALLED: installed.join(' '),
    STUB_CLUSTERS: machine.clusters ?? '',
    STUB_RABBITMQ_NODE: machine.rabbitmqNodeRunning ? 'running' : 'stopped',
    ...machine.env,
  };
  const script = join(repoRoot, 'scripts/services.sh');
  const { code, output } = await new Promise<{ code: number; output: string }>((resolve) => {
    execFile(realPath('bash'), [script, ...args], { env, cwd: folder }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code) : 0, output: stdout + stderr }),
    );
  });
  const calls = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  return { code, output, calls };
}

/** Calls that change something or need privileges: everything but the read-only questions. */
function changes(calls: string[]): string[] {
  const readOnly =
    /^(id -u|sudo -n true|dpkg-query -W .*|pg_lsclusters -h|(sudo -n )?rabbitmqctl -q ping|docker info)$/;
  return calls.filter((call) => !readOnly.test(call));
}

/** URLs of servers that do not answer: free ports on this machine. */
async function downServers(): Promise<Record<string, string>> {
  return {
    AMQP_URL: `amqp://guest:guest@127.0.0.1:${await freePort()}`,
    DATABASE_URL: `postgres://postgres@127.0.0.1:${await freePort()}/feed`,
  };
}

const portOf = (url: string) => new URL(url).port;

describe('services.sh with both servers down', () => {
  it('as root with neither installed: installs both with apt-get, configures and starts them (dry run)', async () => {
    const env = await downServers();
    const run = await services({ uid: 0, env }, ['--dry-run']);

    expect(run.code, run.output).toBe(0);
    // apt-get is only asked to simulate, and for exactly what is missing.
    expect(changes(run.calls)).toEqual(['apt-get -s -qq install -y postgresql rabbitmq-server']);
    expect(run.calls).not.toContain('sudo -n true');
    expect(run.output).toContain('not installed: postgresql rabbitmq-server');
    expect(run.output).toContain('would run: apt-get install -y postgresql rabbitmq-server');
    // Installed by this run, so configured for DATABASE_URL: no password, so trust on loopback.
    expect(run.output).toContain(
      '[dry run] allowing postgres to log in from this machine without a password',
    );
    expect(run.output).toContain('would run: pg_ctlcluster <version> main start');
    expect(run.output).toContain('would run: rabbitmq-server -detached');
    expect(run.output).toContain('would wait for rabbitmqctl -q await_startup --timeout 5');
    expect(run.output).toContain('would create the databases of DATABASE_URL');
  });

  it('with sudo, PostgreSQL installed and stopped: installs RabbitMQ alone, starts the cluster as it is (dry run)', async () => {
    const env = await downServers();
    const clusters = `15 main ${portOf(env.DATABASE_URL!)} down postgres /var/lib/postgresql/15/main /var/log/postgresql/postgresql-15-main.log`;
    const run = await services(
      { uid: 1000, sudo: true, installed: ['postgresql'], clusters, env },
      ['--dry-run'],
    );

    expect(run.code, run.output).toBe(0);
    expect(changes(run.calls)).toEqual(['apt-get -s -qq install -y rabbitmq-server']);
    expect(run.output).toContain('would run: sudo -n apt-get install -y rabbitmq-server');
    expect(run.output).toContain('would run: sudo -n pg_ctlcluster 15 main start');
    expect(run.output).toContain('would run: sudo -n rabbitmq-server -detached');
    // Installed before this run: started as it is, not configured.
    expect(run.output).not.toContain('trust');
  });

  it('as root with both installed and stopped: starts both and installs nothing (dry run)', async () => {
    const env = await downServers();
    const clusters = `15 main ${portOf(env.DATABASE_URL!)} down postgres /var/lib/postgresql/15/main /var/log/postgresql/postgresql-15-main.log`;
    const run = await services(
      { uid: 0, installed: ['postgresql', 'rabbitmq-server'], clusters, env },
      ['--dry-run'],
    );

    expect(run.code, run.output).toBe(0);
    expect(changes(run.calls)).toEqual([]);
    expect(run.calls.filter((call) => call.startsWith('apt-get'))).toEqual([]);
    expect(run.output).toContain('would run: pg_ctlcluster 15 main start');
    expect(run.output).toContain('would run: rabbitmq-server -detached');
    expect(run.output).not.toContain('not installed');
  });

  it('without root, sudo or Docker: says what to do and changes nothing', async () => {
    const env = await downServers();
    const run = await services({ uid: 1000, env });

    expect(run.code).toBe(1);
    expect(changes(run.calls)).toEqual([]);
    expect(run.output).toContain(
      'cannot start postgresql rabbitmq-server: install them (sudo apt-get install -y postgresql rabbitmq-server)',
    );
  });

  it('without root or sudo, with Docker: runs the two servers with docker compose (dry run)', async () => {
    const env = await downServers();
    const run = await services({ uid: 1000, docker: true, env }, ['--dry-run']);

    expect(run.code, run.output).toBe(0);
    expect(changes(run.calls)).toEqual([]);
    expect(run.output).toContain('would run: docker compose up -d --wait postgres rabbitmq');
  });

  it('leaves a RabbitMQ node that runs with its listener stopped as it is, and says so', async () => {
    const env = await downServers();
    const run = await services({
      uid: 0,
      installed: ['rabbitmq-server'],
      rabbitmqNodeRunning: true,
      env: { AMQP_URL: env.AMQP_URL! },
    });

    expect(run.code).toBe(1);
    expect(changes(run.calls)).toEqual([]);
    expect(run.output).toContain(
      `the RabbitMQ node is running, but nothing answers AMQP on 127.0.0.1:${portOf(env.AMQP_URL!)}`,
    );
  });
});

describe('services.sh with both servers up', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('services-sh');
  });
  afterAll(() => database.drop());

  it('changes nothing, and a second run neither', async () => {
    // The real servers answer (the ones the tests use); the databases exist.
    const amqp = process.env.TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
    const env = {
      AMQP_URL: amqp,
      DATABASE_URL: database.url,
      REGISTRAR_DATABASE_URL: database.url,
    };
    const at = (url: string) => `${new URL(url).hostname}:${new URL(url).port}`;
    const machine: Machine = { uid: 0, installed: ['postgresql', 'rabbitmq-server'], env };
    for (const run of [await services(machine), await services(machine)]) {
      expect(run.code, run.output).toBe(0);
      expect(run.calls).toEqual([]);
      expect(run.output.trim().split('\n')).toEqual([
        `services: PostgreSQL answers on ${at(database.url)}`,
        `services: RabbitMQ answers on ${at(amqp)}`,
      ]);
    }
  });
});
