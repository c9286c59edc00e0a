import { execFile } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  appendFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../e2e/harness/freePort.js';

const run = promisify(execFile);

export interface ReplicaPair {
  primaryUrl: (database: string) => string;
  standbyUrl: (database: string) => string;
  /** Runs SQL on the standby (pause or resume its replay). */
  standbySql(sql: string): Promise<string>;
  stop(): Promise<void>;
}

/** Debian's PostgreSQL binaries, newest version installed. */
function binaries(): string {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root))
    throw new Error(`${root} is missing: PostgreSQL's server binaries are needed`);
  const version = readdirSync(root).sort((a, b) => Number(b) - Number(a))[0];
  return join(root, version!, 'bin');
}

/** The server refuses to run as root: its commands run as the `postgres` user. */
async function asPostgres(command: string, args: string[]): Promise<string> {
  const asRoot = process.getuid?.() === 0;
  const { stdout } = asRoot
    ? await run('runuser', ['-u', 'postgres', '--', command, ...args], { timeout: 120_000 })
    : await run(command, args, { timeout: 120_000 });
  return stdout;
}

/**
 * A primary and a streaming hot standby of its own, in a temporary folder, on free ports: for
 * tests that read from a replica. Nothing of the machine's own PostgreSQL is touched (its
 * configuration does not allow replication; this primary's does).
 */
export async function startReplicaPair(): Promise<ReplicaPair> {
  const bin = binaries();
  const root = mkdtempSync(join(tmpdir(), 'feed-replica-'));
  chmodSync(root, 0o755);
  const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
  const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
  if (process.getuid?.() === 0) chownSync(root, uid, gid);
  const primaryDir = join(root, 'primary');
  const standbyDir = join(root, 'standby');
  const [primaryPort, standbyPort] = [await freePort(), await freePort()];
  const pgCtl = join(bin, 'pg_ctl');
  const started: string[] = [];
  try {
    await asPostgres(join(bin, 'initdb'), [
      '-D',
      primaryDir,
      '-U',
      'postgres',
      '--auth=trust',
      '-E',
      'UTF8',
      '--no-sync',
    ]);
    appendFileSync(
      join(primaryDir, 'postgresql.conf'),
      `\nport = ${primaryPort}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '${root}'\n` +
        `wal_level = replica\nmax_wal_senders = 4\nfsync = off\nsynchronous_commit = off\n`,
    );
    appendFileSync(join(primaryDir, 'pg_hba.conf'), '\nhost replication all 127.0.0.1/32 trust\n');
    await asPostgres(pgCtl, ['-D', primaryDir, '-l', join(root, 'primary.log'), '-w', 'start']);
    started.push(primaryDir);
    await asPostgres(join(bin, 'pg_basebackup'), [
      '-h',
      '127.0.0.1',
      '-p',
      String(primaryPort),
      '-U',
      'postgres',
      '-D',
      standbyDir,
      '-R',
      '-X',
      'stream',
    ]);
    appendFileSync(
      join(standbyDir, 'postgresql.conf'),
      `\nport = ${standbyPort}\nhot_standby = on\n`,
    );
    await asPostgres(pgCtl, ['-D', standbyDir, '-l', join(root, 'standby.log'), '-w', 'start']);
    started.push(standbyDir);
  } catch (error) {
    for (const dir of started.reverse())
      await asPostgres(pgCtl, ['-D', dir, '-m', 'immediate', 'stop']).catch(() => {});
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
  const psql = join(bin, 'psql');
  return {
    primaryUrl: (database) => `postgres://postgres@127.0.0.1:${primaryPort}/${database}`,
    standbyUrl: (database) => `postgres://postgres@127.0.0.1:${standbyPort}/${database}`,
    standbySql: (sql) =>
      asPostgres(psql, [
        '-h',
        '127.0.0.1',
        '-p',
        String(standbyPort),
        '-U',
        'postgres',
        '-d',
        'postgres',
        '-Atc',
        sql,
      ]),
    async stop() {
      for (const dir of [standbyDir, primaryDir])
        await asPostgres(pgCtl, ['-D', dir, '-m', 'immediate', 'stop']).catch(() => {});
      rmSync(root, { recursive: true, force: true });
    },
  };
}
