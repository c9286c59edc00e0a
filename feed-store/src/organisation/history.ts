import { comparePositions, type Position } from '../position.js';

/** A value that holds from a position of the feed on, until the next entry of its history. */
export interface Since<T> {
  value: T;
  from: Position;
}

/** A part of the feed's order: from `from` (inclusive) to `to` (exclusive; null: no end). */
export interface Span {
  from: Position;
  to: Position | null;
}

/** The current value of a history (the last entry), or undefined when it has none. */
export function current<T>(history: readonly Since<T>[]): T | undefined {
  return history.at(-1)?.value;
}

/** Appends a value from a position on, unless it is the value already current. */
export function change<T>(history: Since<T>[], value: T, from: Position): boolean {
  if (history.length > 0 && history.at(-1)!.value === value) return false;
  history.push({ value, from });
  return true;
}

/** The spans of the feed during which the history held a value that `keep` selects. */
export function spansWhere<T>(history: readonly Since<T>[], keep: (value: T) => boolean): Span[] {
  const spans: Span[] = [];
  history.forEach((entry, i) => {
    if (!keep(entry.value)) return;
    const to = history[i + 1]?.from ?? null;
    const last = spans.at(-1);
    // Two entries in a row that both qualify are one span.
    if (last !== undefined && last.to !== null && comparePositions(last.to, entry.from) === 0)
      last.to = to;
    else spans.push({ from: entry.from, to });
  });
  return spans;
}

const earlier = (a: Position | null, b: Position | null): Position | null =>
  a === null ? b : b === null ? a : comparePositions(a, b) <= 0 ? a : b;
const later = (a: Position, b: Position): Position => (comparePositions(a, b) >= 0 ? a : b);

/** Where two lists of spans overlap. */
export function intersectSpans(a: readonly Span[], b: readonly Span[]): Span[] {
  const spans: Span[] = [];
  for (const x of a)
    for (const y of b) {
      const from = later(x.from, y.from);
      const to = earlier(x.to, y.to);
      if (to === null || comparePositions(from, to) < 0) spans.push({ from, to });
    }
  return spans;
}
