import pg from 'pg';
import { FEED_EVENTS_CHANNEL } from '@feed/store';

/**
 * Publish-to-stored latency as a reader sees it: on every NOTIFY (sent at commit by the
 * store, and by the batched baseline when asked), the rows up to the notified `seq` are read
 * and each one's latency is now minus the time its publisher stamped on it. `beforeInsert`
 * is the part of it spent before the storing transaction began (queue, batching).
 */
export async function listenForStored(databaseUrl) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const latencies = [];
  const beforeInsert = [];
  let last = 0;
  let reading = Promise.resolve();
  client.on('notification', (message) => {
    const notifiedAt = Date.now();
    const upTo = Number(message.payload);
    reading = reading.then(async () => {
      if (upTo <= last) return;
      const { rows } = await client.query(
        `select extract(epoch from time) * 1000 as t, extract(epoch from stored_at) * 1000 as s
           from feed_events
          where seq > $1 and seq <= $2`,
        [last, upTo],
      );
      last = upTo;
      for (const row of rows) {
        latencies.push(notifiedAt - Number(row.t));
        // stored_at is now() of the inserting transaction: where the time went, in two parts.
        beforeInsert.push(Number(row.s) - Number(row.t));
      }
    });
  });
  await client.query(`listen ${FEED_EVENTS_CHANNEL}`);
  return {
    latencies,
    beforeInsert,
    stored: () => latencies.length,
    async close() {
      await reading;
      await client.end();
    },
  };
}
