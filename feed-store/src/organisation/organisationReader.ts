import type { Queryable } from '../pool.js';
import { feedStart, type Position } from '../position.js';
import { readVisibility } from '../sql/readVisibility.js';
import { listOrganisationEvents, organisationRemovedAfter } from '../sql/listOrganisationEvents.js';
import { Organisation } from './organisation.js';

/** The organisation as of a horizon: the events below it are all folded in. */
export interface OrganisationAt {
  organisation: Organisation;
  /** Read the feed below this horizon for results that agree with the organisation. */
  horizon: string;
}

/** Events folded per query while catching up. */
const CATCH_UP_BATCH = 5_000;

/**
 * Keeps the organisation folded from the feed, per process: each read catches up with what
 * became visible since the last (usually nothing, one small index read), and folds it all
 * again when an organisation event left the feed (a hidden merge, an erased person).
 * Positions make it safe to use one organisation ahead of a reader's horizon: what an event
 * below the horizon belongs to is decided by the events before it, all folded.
 */
export class OrganisationReader {
  private organisation = new Organisation();
  private through: Position = feedStart;
  /** The highest horizon folded below, as a number, and as read. */
  private folded = -1n;
  private foldedHorizon = '0';
  private queue: Promise<unknown> = Promise.resolve();

  /**
   * The organisation for a read below `horizon` (undefined: the primary's current one, read
   * here). Concurrent calls take turns: the fold is one at a time.
   */
  async read(client: Queryable, horizon: string | undefined): Promise<OrganisationAt> {
    const turn = this.queue.then(() =>
      this.catchUp(client, horizon).catch((error: unknown) => {
        // A fold cut short may have applied part of a batch: start again from the feed's start.
        this.organisation = new Organisation();
        this.through = feedStart;
        this.folded = -1n;
        this.foldedHorizon = '0';
        throw error;
      }),
    );
    this.queue = turn.catch(() => {});
    return turn;
  }

  private async catchUp(client: Queryable, wanted: string | undefined): Promise<OrganisationAt> {
    const horizon = wanted ?? (await readVisibility(client)).horizon;
    if (BigInt(horizon) <= this.folded) return { organisation: this.organisation, horizon };
    const since = this.through;
    const removed = await organisationRemovedAfter(client, {
      after: { xid: this.foldedHorizon, seq: '0' },
      horizon,
    });
    let organisation = this.organisation;
    let after = since;
    if (removed) {
      organisation = new Organisation();
      after = feedStart;
    }
    for (;;) {
      const events = await listOrganisationEvents(client, {
        after,
        horizon,
        limit: CATCH_UP_BATCH,
      });
      for (const event of events) organisation.apply(event);
      if (events.length > 0) after = events.at(-1)!;
      if (events.length < CATCH_UP_BATCH) break;
    }
    this.organisation = organisation;
    this.through = { xid: after.xid, seq: after.seq };
    this.folded = BigInt(horizon);
    this.foldedHorizon = horizon;
    return { organisation, horizon };
  }
}
