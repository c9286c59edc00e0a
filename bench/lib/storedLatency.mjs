import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { FEED_EVENTS_CHANNEL } from '@feed/store';
import { committedRead, notifiedSeqRead, visibleRead } from './feedReads.mjs';

const reads = { visible: visibleRead, committed: committedRead, notifiedSeq: notifiedSeqRead };

/** The service's live feed defaults: look again this soon while a writer holds rows back… */
const HELD_RETRY_MS = 50;
/** …and this often without any NOTIFY. */
const POLL_MS = 1000;

/**
 * The wall clock's milliseconds since the epoch: what publishers stamp events with, and
 * comparable across processes. Not `performance.timeOrigin + performance.now()`: that is fixed
 * at each process's start, and a step of the system clock after it (0.7 s in one run here)
 * offsets every latency between two processes by that step, down to below zero.
 */
export const wallNow = () => Date.now();

/**
 * A reader of the feed that looks the way the service's live feed does: it LISTENs on the
 * store's channel and looks on every NOTIFY, again after 50 ms while a writer holds rows back,
 * and every second regardless; one look at a time, and NOTIFYs that arrive during a look make
 * one more. `read` is how it looks (see feedReads.mjs): `visible` (ours, the store's visible
 * read), `committed` (every committed row, without the horizon) or `notifiedSeq` (the batched
 * baseline's NOTIFY of its highest `seq`). Every row is kept with `seenAt`, the moment the look
 * that returned it came back.
 */
export async function listenForStored(databaseUrl, { read = 'visible' } = {}) {
  const client = new pg.Client({
    connectionString: databaseUrl,
    application_name: `feed-bench-reader-${read}`,
  });
  await client.connect();
  const look = reads[read](client);
  const seen = [];
  let payload = null;
  let running = null;
  let again = false;
  let heldTimer;
  let closed = false;
  let failure = null;
  let looks = 0;
  /** How long each look took, ms. */
  const lookMs = [];

  const drain = () => {
    if (closed || failure) return;
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      let held;
      do {
        again = false;
        looks++;
        const lookStarted = performance.now();
        const result = await look(payload);
        lookMs.push(performance.now() - lookStarted);
        const seenAt = wallNow();
        for (const row of result.rows) seen.push({ ...row, seenAt });
        held = result.held;
      } while (again && !closed);
      return held;
    })().then(
      (held) => {
        running = null;
        if (held && heldTimer === undefined && !closed) {
          heldTimer = setTimeout(() => {
            heldTimer = undefined;
            drain();
          }, HELD_RETRY_MS);
        }
      },
      (error) => {
        running = null;
        failure ??= error;
      },
    );
  };

  client.on('notification', (message) => {
    payload = message.payload;
    drain();
  });
  await client.query(`listen ${FEED_EVENTS_CHANNEL}`);
  const poll = setInterval(drain, POLL_MS);
  drain();
  const check = () => {
    if (failure) throw new Error(`the ${read} reader failed: ${failure.message}`);
  };
  return {
    seen,
    looks: () => looks,
    lookMs,
    stored() {
      check();
      return seen.length;
    },
    async close() {
      closed = true;
      clearInterval(poll);
      clearTimeout(heldTimer);
      await running;
      await client.end();
      check();
    },
  };
}
