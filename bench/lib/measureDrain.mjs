import { performance } from 'node:perf_hooks';
import { fillQueue, resetTopology } from './feedQueue.mjs';
import { startNode } from './child.mjs';
import { sampleRss } from './processMemory.mjs';
import { sleep } from './stats.mjs';

export async function emptyFeedTable(pool) {
  await pool.query('truncate feed_events, feed_reactions restart identity');
}

/** Highest `seq` stored: an index lookup, cheap enough to poll while a worker drains. */
async function storedSoFar(pool) {
  const { rows } = await pool.query('select coalesce(max(seq), 0)::int as n from feed_events');
  return rows[0].n;
}

/**
 * Pre-fills the queue with `count` events, starts the consumer process, and times the drain
 * from the first stored row to the last, so process start-up is not counted. `maxSeconds` cuts
 * a slow consumer short: its rate is then what it stored in that time.
 */
export async function measureDrain({ vhost, db, queueType, count, consumer, maxSeconds = 600 }) {
  await emptyFeedTable(db.pool);
  await resetTopology(vhost.url, queueType);
  await fillQueue(vhost.url, count);
  const child = startNode(consumer.script, {
    env: consumer.env,
    label: consumer.label,
    nodeArgs: consumer.nodeArgs,
  });
  const rss = sampleRss(child.pid);
  try {
    let exited = false;
    child.exited.then(() => (exited = true));
    const alive = () => {
      if (exited) throw new Error(`${consumer.label} exited while draining:\n${child.stderr()}`);
    };
    const startDeadline = Date.now() + 120_000;
    let first = await storedSoFar(db.pool);
    let firstAt = performance.now();
    while (first === 0) {
      alive();
      if (Date.now() > startDeadline) throw new Error(`${consumer.label} stored nothing in 120 s`);
      await sleep(10);
      first = await storedSoFar(db.pool);
      firstAt = performance.now();
    }
    let seen = first;
    let seenAt = firstAt;
    while (seen < count && (seenAt - firstAt) / 1000 < maxSeconds) {
      alive();
      await sleep(10);
      seen = await storedSoFar(db.pool);
      seenAt = performance.now();
    }
    const seconds = (seenAt - firstAt) / 1000;
    const { rows } = await db.pool.query('select count(*)::int as n from feed_events');
    return {
      stored: rows[0].n,
      complete: seen >= count,
      seconds,
      rate: (seen - first) / seconds,
      peakRss: rss.stop().peak,
    };
  } finally {
    rss.stop();
    await child.stop();
  }
}
