import { pageJsonOf, type PageJson, type PageRow } from '../eventJson.js';
import type { Queryable } from '../pool.js';
import type { Position } from '../position.js';
import { scopePositionsQuery } from '../sql/listScopePageJson.js';
import { listRowsJson, type LoadRows } from '../sql/listRowsJson.js';
import type { Organisation } from './organisation.js';
import type { OrgScope } from './orgScope.js';

/**
 * Positions kept in all, over every scope: 16 bytes each, 32 MB at most. The scopes used
 * least recently are dropped first; a scope that alone holds more is read by its scans
 * (listScopePageJson) on every page.
 */
export const SCOPE_POSITIONS_MAX = 2_000_000;

export interface ScopePageRequest {
  /** Names the scope among those kept ("department:<id>", "team:<id>"). */
  key: string;
  scope: OrgScope;
  /** The organisation the scope was found in: while it stays as it was, so does the scope. */
  organisation: Organisation;
  /** The read's horizon (ReadRouter, OrganisationReader). */
  horizon: string;
  before?: Position | undefined;
  limit: number;
}

/** One scope's positions, oldest first: every event of it not hidden below `horizon`. */
interface Kept {
  signature: string;
  /** The organisation's state the signature was last checked against. */
  organisation: Organisation;
  applied: number;
  scope: OrgScope;
  horizon: number;
  horizonText: string;
  xids: number[];
  seqs: number[];
  /** Catching up, one at a time. */
  turn: Promise<void>;
  /** False once it held more than SCOPE_POSITIONS_MAX, or a position past 2^53. */
  usable: boolean;
}

const safe = (text: string) => {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
};

/**
 * The positions of a team's or department's events, kept per process, so that a page of it
 * is read by the primary key of its rows instead of merging one index scan per person (43
 * scans for a department of 20 people cost twice a plain page in PostgreSQL). Everything
 * below a horizon is final, so the positions kept below one stay true; a read above it first
 * reads what lies between (its scans over that stretch only). A page below a cursor under the
 * kept horizon reads no horizon at all: it sees what any horizon above the cursor sees. A
 * scope whose spans changed (the organisation learned something about it) is read again from
 * the start. Hidden and erased events are left out by the page's own read, so the kept
 * positions may hold some that are no longer shown.
 */
export class ScopePositions {
  private readonly kept = new Map<string, Kept>();

  /**
   * `max`: positions kept in all; `loadRows`: how a page's rows are read by position (the
   * service's ItemCache, which holds items already read).
   */
  constructor(
    private readonly max = SCOPE_POSITIONS_MAX,
    private readonly loadRows: LoadRows = listRowsJson,
  ) {}

  /** A page of the scope, newest first; undefined when it is too large to keep. */
  async page(client: Queryable, request: ScopePageRequest): Promise<PageJson | undefined> {
    const kept = this.keptFor(request);
    const horizon = safe(request.horizon);
    if (horizon === undefined) return undefined;
    const { before } = request;
    const beforeXid = before === undefined ? undefined : safe(before.xid);
    if (before !== undefined && beforeXid === undefined) return undefined;
    if ((beforeXid === undefined || beforeXid >= kept.horizon) && kept.horizon < horizon)
      await this.catchUp(client, kept, request.horizon);
    if (!kept.usable) return undefined;
    // The newest position a page may show is below the cursor and below the read's horizon.
    let end = below(kept, horizon, 0);
    if (before !== undefined) end = Math.min(end, below(kept, beforeXid!, seqBound(before.seq)));
    return this.read(client, kept, end, request.limit);
  }

  /** The page's rows from the positions before `end`, newest first, fetched in rounds. */
  private async read(client: Queryable, kept: Kept, end: number, limit: number) {
    const rows: PageRow[] = [];
    let next = end;
    let round = limit + 1;
    while (rows.length <= limit && next > 0) {
      const from = Math.max(0, next - round);
      const seqs = kept.seqs.slice(from, next).reverse();
      next = from;
      rows.push(...(await this.loadRows(client, seqs)));
      // Hidden events take no place on the page: ask for more, twice as many each round.
      round *= 2;
    }
    return pageJsonOf(rows, limit);
  }

  /** The scope's kept positions, read again from the start when its spans changed. */
  private keptFor({ key, scope, organisation }: ScopePageRequest): Kept {
    let kept = this.kept.get(key);
    this.kept.delete(key);
    const { applied } = organisation;
    let signature: string | undefined;
    if (kept !== undefined && (kept.organisation !== organisation || kept.applied !== applied)) {
      // The organisation learned something since: the scope is the same if its spans are.
      signature = JSON.stringify(scope);
      if (kept.signature === signature) Object.assign(kept, { organisation, applied });
      else kept = undefined;
    }
    kept ??= {
      signature: signature ?? JSON.stringify(scope),
      organisation,
      applied,
      scope,
      horizon: 0,
      horizonText: '0',
      xids: [],
      seqs: [],
      turn: Promise.resolve(),
      usable: true,
    };
    // Most recently used last.
    this.kept.set(key, kept);
    return kept;
  }

  /** Reads the scope's positions between the kept horizon and `horizon`. */
  private catchUp(client: Queryable, kept: Kept, horizon: string): Promise<void> {
    const turn = kept.turn.then(async () => {
      const to = safe(horizon)!;
      if (to <= kept.horizon || !kept.usable) return;
      const { text, params } = scopePositionsQuery(kept.scope, kept.horizonText, horizon);
      const { rows } = await client.query<Position>({ text, values: params });
      for (const row of rows) {
        const xid = safe(row.xid);
        const seq = safe(row.seq);
        if (xid === undefined || seq === undefined) return this.drop(kept);
        kept.xids.push(xid);
        kept.seqs.push(seq);
      }
      kept.horizon = to;
      kept.horizonText = horizon;
      this.evict(kept);
    });
    kept.turn = turn.catch(() => {});
    return turn;
  }

  /** Drops the scopes used least recently while more than `max` positions are kept. */
  private evict(current: Kept): void {
    let total = 0;
    for (const kept of this.kept.values()) total += kept.seqs.length;
    for (const [key, kept] of this.kept) {
      if (total <= this.max) return;
      if (kept === current) continue;
      total -= kept.seqs.length;
      this.kept.delete(key);
    }
    if (total > this.max) this.drop(current);
  }

  private drop(kept: Kept): void {
    kept.usable = false;
    kept.xids = [];
    kept.seqs = [];
  }
}

/** A cursor's `seq` as an upper bound: past 2^53 it is above every position kept. */
function seqBound(seq: string): number {
  return safe(seq) ?? Number.POSITIVE_INFINITY;
}

/** How many kept positions lie before (xid, seq): a binary search. */
function below(kept: Kept, xid: number, seq: number): number {
  let lo = 0;
  let hi = kept.seqs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const x = kept.xids[mid]!;
    if (x < xid || (x === xid && kept.seqs[mid]! < seq)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
