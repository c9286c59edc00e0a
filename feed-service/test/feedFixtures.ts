import type { FeedEvent } from '@feed/contracts';
import { storeEvents, type Pool } from '@feed/store';
import type { LiveFeed } from '../src/liveFeed.js';

let counter = 0;

/** A catalogue event with a unique id; override any attribute. */
export function registered(
  name: string,
  overrides: Partial<FeedEvent> = {},
  data: Record<string, unknown> = {},
): FeedEvent {
  counter += 1;
  const employeeId = `emp-${counter}`;
  return {
    specversion: '1.0',
    id: `ev-${process.pid}-${counter}`,
    source: 'hr',
    type: 'employee.registered',
    time: new Date(Date.UTC(2026, 0, 1, 9, 0, counter % 3600)).toISOString(),
    subject: employeeId,
    data: { employeeId, name, team: 'Platform', position: 'Backend developer', ...data },
    ...overrides,
  };
}

export function reaction(
  target: { source: string; id: string },
  kind: string,
  actor: string,
  type: 'reaction.added' | 'reaction.removed' = 'reaction.added',
): FeedEvent {
  counter += 1;
  return {
    specversion: '1.0',
    id: `re-${process.pid}-${counter}`,
    source: 'reactions',
    type,
    time: new Date(Date.UTC(2026, 0, 2, 0, 0, counter % 3600)).toISOString(),
    actor,
    data: { target, reaction: kind, actor },
  };
}

export interface StoredPosition {
  source: string;
  id: string;
  xid: string;
  seq: string;
}

/**
 * Stores events as the worker does: through the store's `storeEvents`, reactions and all.
 * Returns the positions of those that are feed rows (new or stored before), in the feed's
 * order, for tests that walk to them: read afterwards, since the store tells the worker only
 * how many were new.
 */
export async function store(pool: Pool, events: readonly FeedEvent[]): Promise<StoredPosition[]> {
  await storeEvents(pool, events);
  const { rows } = await pool.query<StoredPosition>(
    `select source, event_id as id, xid::text as xid, seq::text as seq
       from feed_events
      where (source, event_id) in (select * from unnest($1::text[], $2::text[]))
      order by xid, seq`,
    [events.map((e) => e.source), events.map((e) => e.id)],
  );
  return rows;
}

/**
 * A live feed that says it listens and never announces a change. An app given it runs with
 * SERVICE_MEMORY_CACHE=false: nothing would ever tell its memory that the feed changed.
 */
export const idleFeed: LiveFeed = {
  listening: true,
  lastPosition: { xid: '0', seq: '0' },
  visibility: undefined,
  subscribe: () => () => {},
  onChange: () => () => {},
  announceChange: async () => {},
  close: async () => {},
};
