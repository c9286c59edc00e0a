import type { DeadLetter } from './deadLetters.js';
import { eventKey } from './ledger.js';

export interface StoredKey {
  source: string;
  id: string;
}

export interface Verdict {
  /** Distinct events whose publish was confirmed (or whose outbox transaction committed). */
  published: number;
  /** Distinct events readable through the API. */
  stored: number;
  /** Confirmed events the API does not return: must be 0. */
  lost: string[];
  /** Events the API returns that nobody confirmed (unconfirmed sends that still arrived). */
  unconfirmedStored: string[];
  /** Events the API returns more than once: must be none. */
  storedTwice: string[];
  /** Invalid messages expected in `feed.dead` but not there, or there with another code. */
  parkedWrong: string[];
  /** Messages in `feed.dead` that were not expected there (a good event parked). */
  parkedUnexpected: string[];
  parked: number;
}

/**
 * Compares what the publishers know with what the feed returns. Pure, so the comparison
 * itself is tested without servers.
 */
export function judgeDelivery(input: {
  confirmed: ReadonlySet<string>;
  stored: readonly StoredKey[];
  expectedParked: ReadonlyMap<string, string>;
  dead: readonly DeadLetter[];
  /** Reads the error code a dead letter carries. */
  codeOf(letter: DeadLetter): string | undefined;
  /** Events that may be stored though unconfirmed (a publish that failed after the broker took it). */
  mayBeStored?: (key: string) => boolean;
}): Verdict {
  const seen = new Set<string>();
  const storedTwice: string[] = [];
  for (const { source, id } of input.stored) {
    const key = eventKey(source, id);
    if (seen.has(key)) storedTwice.push(key);
    seen.add(key);
  }
  const lost = [...input.confirmed].filter((key) => !seen.has(key));
  const unconfirmedStored = [...seen].filter(
    (key) => !input.confirmed.has(key) && !(input.mayBeStored?.(key) ?? false),
  );
  const deadCodes = new Map<string, string | undefined>();
  const parkedUnexpected: string[] = [];
  for (const letter of input.dead) {
    const id = letter.messageId ?? '(no message_id)';
    if (!input.expectedParked.has(id)) parkedUnexpected.push(id);
    deadCodes.set(id, input.codeOf(letter));
  }
  const parkedWrong: string[] = [];
  for (const [id, code] of input.expectedParked) {
    if (!deadCodes.has(id)) parkedWrong.push(`${id}: missing`);
    else if (deadCodes.get(id) !== code) parkedWrong.push(`${id}: ${deadCodes.get(id)} != ${code}`);
  }
  return {
    published: input.confirmed.size,
    stored: seen.size,
    lost,
    unconfirmedStored,
    storedTwice,
    parkedWrong,
    parkedUnexpected,
    parked: input.dead.length,
  };
}
