/** `source` and `id` identify an event everywhere in the feed. */
export function eventKey(source: string, id: string): string {
  return `${source}\u0000${id}`;
}

/**
 * What the scenario's publishers know: which events the broker confirmed (or whose outbox
 * transaction committed), and how many confirmed sends repeated an event already confirmed.
 * The final check compares this, and only this, with what the API returns.
 */
export class PublishLedger {
  private readonly confirmed = new Set<string>();
  private confirmedSends = 0;
  private readonly poison = new Map<string, string>();

  /** A send the broker confirmed (or a committed outbox row). Repeats are counted. */
  confirm(source: string, id: string): void {
    this.confirmedSends += 1;
    this.confirmed.add(eventKey(source, id));
  }

  /** An invalid message that must end in `feed.dead` with this error code. */
  expectParked(messageId: string, code: string): void {
    this.poison.set(messageId, code);
  }

  confirmedKeys(): ReadonlySet<string> {
    return this.confirmed;
  }

  /** Confirmed sends beyond the first of each event: what deduplication must absorb. */
  repeatedSends(): number {
    return this.confirmedSends - this.confirmed.size;
  }

  expectedParked(): ReadonlyMap<string, string> {
    return this.poison;
  }
}
