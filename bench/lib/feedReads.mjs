import { feedStart, itemPosition, readFeedPagesAfter, readVisibility } from '@feed/store';

/**
 * The ways a reader of the bench finds the rows that became readable since its last look.
 * Each is made for one connection and returns `look(payload)`, which resolves to
 * `{ rows, held }`: rows as `{ id, time, storedAt }` (ms since the epoch: the publisher's
 * stamp, and now() of the storing transaction), `held` when a writer still at work holds rows
 * back and the reader should look again soon.
 */

/** Rows per read of the visible feed: the service's live feed reads 100 at a time. */
const VISIBLE_PAGE = 100;

/**
 * Ours: what the feed's readers see, through the store's visible read, the calls the
 * service's live feed makes: `readFeedPagesAfter` (the visibility horizon and the first page
 * of new events and changes to events, in the feed's one order, in one statement, then further
 * pages below that horizon while pages come back full). The rows are its events.
 */
export function visibleRead(client) {
  let position = feedStart;
  return async () => {
    const rows = [];
    let held = false;
    for await (const page of readFeedPagesAfter(client, { after: position, limit: VISIBLE_PAGE })) {
      held = page.visibility.held;
      for (const item of page.items) {
        if (item.kind !== 'event') continue;
        const { event } = item;
        rows.push({
          id: event.id,
          time: Date.parse(event.time),
          storedAt: Date.parse(event.storedAt),
        });
      }
      if (page.items.length > 0) position = itemPosition(page.items.at(-1));
    }
    return { rows, held };
  };
}

const rowColumns = `event_id as id, extract(epoch from time) * 1000 as time,
  extract(epoch from stored_at) * 1000 as stored_at`;
const toRow = (row) => ({ id: row.id, time: Number(row.time), storedAt: Number(row.stored_at) });

/**
 * The baseline of "commit to visible": the same looks, but every committed row is read as
 * soon as the reader's snapshot has it, without waiting for the horizon. A row below the
 * horizon read at the previous look was committed by then and has been read, so each look
 * reads only from there on and skips the rows it already returned: never a row missed, at the
 * price of reading again what is above the horizon.
 */
export function committedRead(client) {
  let low = '0';
  let seen = new Map();
  return async () => {
    const visibility = await readVisibility(client);
    const { rows } = await client.query(
      `select xid::text as xid, seq, ${rowColumns}, data from feed_events
        where hidden_at is null and xid >= $1::xid8 order by feed_events.xid, seq`,
      [low],
    );
    const fresh = [];
    for (const row of rows) {
      const key = `${row.xid}.${row.seq}`;
      if (seen.has(key)) continue;
      seen.set(key, BigInt(row.xid));
      fresh.push(toRow(row));
    }
    low = visibility.horizon;
    const horizon = BigInt(low);
    seen = new Map([...seen].filter(([, xid]) => xid >= horizon));
    return { rows: fresh, held: false };
  };
}

/**
 * The hand-written batched pipeline's own way: its NOTIFY names the highest `seq` it stored
 * (one insert in flight, so `seq` is commit order there), and the reader reads the rows up to
 * it. A look without a payload (a poll) reads nothing: that pipeline tells every commit.
 */
export function notifiedSeqRead(client) {
  let last = 0;
  return async (payload) => {
    const upTo = Number(payload);
    if (!Number.isSafeInteger(upTo) || upTo <= last) return { rows: [], held: false };
    const { rows } = await client.query(
      `select ${rowColumns} from feed_events where seq > $1 and seq <= $2 order by seq`,
      [last, upTo],
    );
    last = upTo;
    return { rows: rows.map(toRow), held: false };
  };
}
