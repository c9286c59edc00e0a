// WRITERS concurrent writers of the feed, each storing batches of 1 … MAX_BATCH events with
// the store's `storeEvents` (the worker's path: begin, insert, commit, NOTIFY), RATE events/s
// in all, for SECONDS. After each commit it reports the batch, the moment storeEvents returned
// and how long it took, so a reader can measure commit to visible. Batches of random sizes from several
// writers commit out of the order their transactions began: what the horizon must wait for.
import { performance } from 'node:perf_hooks';
import { createPool, storeEvents } from '@feed/store';
import { report } from '../lib/child.mjs';
import { sampleEvent } from '../lib/sampleEvent.mjs';
import { sleep } from '../lib/stats.mjs';

const writers = Number(process.env.WRITERS ?? 4);
const rate = Number(process.env.RATE ?? 5000);
const maxBatch = Number(process.env.MAX_BATCH ?? 200);
const seconds = Number(process.env.SECONDS ?? 10);

const pool = createPool({
  connectionString: process.env.DATABASE_URL,
  // Each writer's transaction, and the NOTIFY after it.
  max: writers + 1,
  applicationName: 'feed-bench-writer',
});
// The wall clock, as the reader's (see wallNow in storedLatency.mjs).
const now = () => Date.now();

async function write(writer) {
  const source = `bench-visibility-${writer}`;
  const share = rate / writers;
  const started = performance.now();
  let n = 0;
  let batches = 0;
  while (performance.now() - started < seconds * 1000) {
    const size = 1 + Math.floor(Math.random() * maxBatch);
    const stamp = new Date();
    const events = Array.from({ length: size }, (_, i) => sampleEvent(source, n + i, stamp));
    const began = now();
    await storeEvents(pool, events);
    const committedAt = now();
    report({ batch: { source, from: n, to: n + size, committedAt, tookMs: committedAt - began } });
    n += size;
    batches++;
    // Paced: this writer's share of the rate, whatever its batches' sizes.
    const due = started + (n / share) * 1000;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
  }
  return { events: n, batches };
}

const results = await Promise.all(Array.from({ length: writers }, (_, i) => write(i)));
await pool.end();
report({
  result: true,
  events: results.reduce((sum, r) => sum + r.events, 0),
  batches: results.reduce((sum, r) => sum + r.batches, 0),
});
