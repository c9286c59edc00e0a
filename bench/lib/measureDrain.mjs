import { performance } from 'node:perf_hooks';
import { fillQueue, resetTopology, watchConsumers } from './feedQueue.mjs';
import { startNode } from './child.mjs';
import { cpuMeter } from './processCpu.mjs';
import { sampleRss } from './processMemory.mjs';
import { sleep } from './stats.mjs';

export async function emptyFeedTable(pool) {
  await pool.query(
    'truncate feed_events, feed_reactions, feed_reaction_counts, feed_changes, feed_org_snapshots restart identity',
  );
}

/** Highest `seq` stored: an index lookup, cheap enough to poll while consumers drain. */
async function highestSeq(pool) {
  const { rows } = await pool.query('select coalesce(max(seq), 0)::int as n from feed_events');
  return rows[0].n;
}

async function rowCount(pool) {
  const { rows } = await pool.query('select count(*)::int as n from feed_events');
  return rows[0].n;
}

/**
 * Pre-fills the queue with `count` events, starts the consumer processes (one, or several
 * competing for the queue), and times the drain from the moment `warmup` rows (at least one)
 * are stored and every consumer is attached to the moment the last row is stored, so process
 * start-up is not counted, and with a warm-up neither are the first batches, run while the
 * processes' code is still being compiled: what is timed is the steady drain of long-lived
 * consumers, as the API's figures are timed after their warm-up. `maxSeconds` cuts a slow consumer short: its rate is then what it stored in
 * that time.
 *
 * With writers that commit concurrently, `seq` (taken at insert) is no count of the rows
 * committed: the highest one says when the end is near, a count says when it is reached.
 */
export async function measureDrain({
  vhost,
  db,
  queueType,
  count,
  consumers,
  maxSeconds = 600,
  warmup = 1,
}) {
  await emptyFeedTable(db.pool);
  await resetTopology(vhost.url, queueType);
  await fillQueue(vhost.url, count);
  const watch = await watchConsumers(vhost.url);
  const labels = consumers.map((consumer, i) =>
    consumers.length > 1 ? `${consumer.label} ${i + 1}` : consumer.label,
  );
  const children = consumers.map((consumer, i) =>
    startNode(consumer.script, {
      env: consumer.env,
      label: labels[i],
      nodeArgs: consumer.nodeArgs,
    }),
  );
  const samplers = children.map((child) => sampleRss(child.pid));
  try {
    let exited = null;
    children.forEach((child, i) => child.exited.then(() => (exited ??= i)));
    const alive = () => {
      if (exited !== null)
        throw new Error(`${labels[exited]} exited while draining:\n${children[exited].stderr()}`);
    };
    const startDeadline = Date.now() + 120_000;
    let attached = 0;
    let storing = false;
    while (attached < consumers.length || !storing) {
      alive();
      if (Date.now() > startDeadline)
        throw new Error(
          `${labels.join(', ')}: ${attached} of ${consumers.length} attached, ${storing ? 'storing' : 'nothing stored'} after 120 s`,
        );
      await sleep(10);
      if (attached < consumers.length) attached = await watch.count();
      if (!storing) storing = (await highestSeq(db.pool)) >= Math.min(Math.max(1, warmup), count);
    }
    const cpu = cpuMeter({
      pool: db.pool,
      database: db.name,
      except: db.applicationName,
      processes: children.map((child) => child.pid),
    });
    await cpu.start();
    const startedAt = performance.now();
    const first = await rowCount(db.pool);
    const elapsed = () => (performance.now() - startedAt) / 1000;
    while ((await highestSeq(db.pool)) < count && elapsed() < maxSeconds) {
      alive();
      await sleep(10);
    }
    let stored = await rowCount(db.pool);
    let storedAt = performance.now();
    while (stored < count && elapsed() < maxSeconds) {
      alive();
      await sleep(5);
      stored = await rowCount(db.pool);
      storedAt = performance.now();
    }
    const seconds = (storedAt - startedAt) / 1000;
    const used = await cpu.read();
    const perThousand = (cpuSeconds) => (cpuSeconds * 1e6) / Math.max(1, stored - first);
    return {
      stored,
      complete: stored >= count,
      seconds,
      rate: (stored - first) / seconds,
      /** CPU ms per 1000 events: the consumers, their PostgreSQL backends, the whole broker. */
      cpuPerThousand: {
        consumers: perThousand(used.consumers),
        postgres: perThousand(used.postgres),
        broker: perThousand(used.broker),
      },
      peakRss: Math.max(...samplers.map((rss) => rss.stop().peak)),
    };
  } finally {
    for (const rss of samplers) rss.stop();
    await watch.close();
    await Promise.all(children.map((child) => child.stop()));
  }
}
