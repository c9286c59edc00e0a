/**
 * Rejection reasons travel in the `x-feed-error` header of a parked message and in log lines,
 * so they quote at most a few dozen characters of any input: a 70,000-character value must
 * not make a 70,000-character header (amqplib refuses a header table over 64 KiB, and the
 * park would never go through).
 */
export const maxQuotedLength = 40;

/** Longest reason `parseMessage` gives; a longer one is cut there, whatever built it. */
export const maxReasonLength = 300;

/**
 * A value as JSON, at most `max` characters of it (escapes may double that), with an
 * ellipsis and the full length when it was cut: `"aaaa…" (70000 characters)`.
 */
export function quote(value: unknown, max = maxQuotedLength): string {
  if (typeof value === 'string') {
    if (value.length <= max) return clip(JSON.stringify(value), 2 * max);
    return `${clip(JSON.stringify(value.slice(0, max)), 2 * max)}… (${value.length} characters)`;
  }
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return clip(text, max);
}

/** What kind of JSON value this is, for "got …" in a reason. */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

/** A value's kind and a short quote of it: `a number 42`, `an object {"a":1}`, `null`. */
export function describeValue(value: unknown): string {
  return value === null ? 'null' : `${kindOf(value)} ${quote(value)}`;
}

/** `text` cut to at most `max` characters, ending in an ellipsis when cut. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}
