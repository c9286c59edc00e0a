import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { TestVhost } from '../../test-support/index.js';
import { repoRoot } from './feedProcess.js';

const run = promisify(execFile);

/**
 * The 3-node RabbitMQ cluster on loopback that `../shared/cluster/` starts beside the
 * machine's own broker (CI has it beside the clone; FEED_CLUSTER_DIR points elsewhere).
 */
export function clusterDir(): string | null {
  const candidates = [
    process.env.FEED_CLUSTER_DIR,
    resolve(repoRoot, '../shared/cluster'),
    resolve(repoRoot, '../../shared/cluster'),
  ];
  return candidates.find((dir) => dir !== undefined && existsSync(join(dir, 'start.sh'))) ?? null;
}

export type ClusterNode = 'feed1' | 'feed2' | 'feed3';
export const clusterNodes: readonly ClusterNode[] = ['feed1', 'feed2', 'feed3'];

export interface Cluster {
  /** The AMQP URL of each node, in node order, without a vhost. */
  urls: string[];
  /** A vhost on the cluster and its URL list (every node), for one scenario. */
  createVhost(label: string): Promise<TestVhost & { urls: string[] }>;
  /** The node that leads a quorum queue now, asked of a node that answers. */
  leaderOf(vhost: string, queue: string): Promise<{ leader: ClusterNode; members: string[] }>;
  /** kill -9 of a node's beam.smp. */
  kill(node: ClusterNode): Promise<void>;
  /** Starts a node again from its data (it rejoins), and waits until all three run. */
  restart(node: ClusterNode): Promise<void>;
  /** Stops the three nodes and removes their data; releases the lock. */
  stop(): Promise<void>;
}

/**
 * Starts the cluster (or finds it running) and holds `/tmp/feed-cluster.lock` until `stop()`,
 * so nobody else starts, stops or kills these nodes meanwhile. The lock is held by a `flock`
 * child whose stdin is this process: if the test process dies, the lock goes with it.
 */
export async function startCluster(dir: string, timeoutMs: number): Promise<Cluster> {
  const lock = await holdLock('/tmp/feed-cluster.lock', timeoutMs);
  const script = (name: string, ...args: string[]) =>
    run(join(dir, name), args, {
      timeout: timeoutMs,
      env: { ...process.env, BOOT_TIMEOUT_S: String(Math.round(timeoutMs / 1000)) },
    });
  let urls: string[];
  try {
    urls = (await script('start.sh')).stdout
      .trim()
      .split('\n')
      .filter((line) => line !== '');
  } catch (error) {
    release(lock);
    throw new Error(
      `the cluster did not start: ${(error as { stderr?: string }).stderr ?? (error as Error).message}`,
      { cause: error },
    );
  }
  const ctl = async (node: string, ...args: string[]) =>
    (await run('rabbitmqctl', ['-q', '-n', `${node}@localhost`, ...args], { timeout: 60_000 }))
      .stdout;
  /** A node that answers, for questions about the cluster. */
  const anyNode = async (): Promise<ClusterNode> => {
    for (const node of clusterNodes) {
      try {
        await ctl(node, 'ping');
        return node;
      } catch {
        // Down: ask the next one.
      }
    }
    throw new Error('no cluster node answers');
  };
  return {
    urls,
    async createVhost(label) {
      const name = `feed-cluster-${label}-${Math.random().toString(16).slice(2, 8)}`;
      const node = await anyNode();
      await ctl(node, 'add_vhost', name);
      await ctl(node, 'set_permissions', '-p', name, 'guest', '.*', '.*', '.*');
      const vhostUrls = urls.map((url) => `${url}/${encodeURIComponent(name)}`);
      return {
        name,
        url: vhostUrls[0]!,
        urls: vhostUrls,
        async connections() {
          const out = await ctl(await anyNode(), 'list_connections', '--no-table-headers', 'vhost');
          return out.split('\n').filter((line) => line.trim() === name).length;
        },
        async drop() {
          await ctl(await anyNode(), 'delete_vhost', name);
        },
      };
    },
    async leaderOf(vhost, queue) {
      const out = await ctl(
        await anyNode(),
        'list_queues',
        '-p',
        vhost,
        'name',
        'leader',
        'members',
        '--formatter',
        'json',
      );
      const row = (
        JSON.parse(out) as Array<{ name: string; leader: string; members: string[] }>
      ).find((q) => q.name === queue);
      if (row === undefined) throw new Error(`no queue ${queue} in ${vhost}`);
      return { leader: row.leader.replace(/@.*/, '') as ClusterNode, members: row.members };
    },
    async kill(node) {
      const { stdout } = await run('bash', [
        '-c',
        `. "${join(dir, 'lib.sh')}" && node_pid ${node}`,
      ]);
      const pid = Number(stdout.trim());
      if (!Number.isInteger(pid) || pid <= 0) throw new Error(`no pid for ${node}`);
      process.kill(pid, 'SIGKILL');
    },
    async restart(node) {
      await script('start.sh', node);
    },
    async stop() {
      try {
        // FEED_CLUSTER_KEEP=1 leaves the nodes running for the next run (while debugging).
        if (process.env.FEED_CLUSTER_KEEP !== '1') await script('stop.sh');
      } finally {
        release(lock);
      }
    },
  };
}

/** Holds an exclusive flock until the returned child is killed (or this process exits). */
async function holdLock(path: string, timeoutMs: number): Promise<ChildProcess> {
  const child = spawn(
    'flock',
    [
      '-o',
      '-x',
      '-w',
      String(Math.round(timeoutMs / 1000)),
      path,
      '-c',
      'echo locked; exec cat >/dev/null',
    ],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  await new Promise<void>((resolvePromise, reject) => {
    child.stdout!.once('data', () => resolvePromise());
    child.once('exit', (code) =>
      reject(new Error(`could not take ${path} (flock exited ${code})`)),
    );
  });
  return child;
}

/** Ends the lock holder's `cat`: flock then exits and the lock is free. */
function release(lock: ChildProcess): void {
  lock.stdin?.end();
}
