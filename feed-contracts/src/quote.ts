import { boundedText } from './boundedText.js';

/**
 * Rejection reasons travel in the `x-feed-error` header of a parked message and in log lines,
 * so they quote at most a few dozen characters of any input: a 70,000-character value must
 * not make a 70,000-character header.
 */
export const maxQuotedLength = 40;

/** Longest reason `parseMessage` gives, whatever built it. */
export const maxReasonLength = 300;

/** A value as JSON, at most `max` of its characters: `"aaaa… (70000 characters)"`. */
export function quote(value: unknown, max = maxQuotedLength): string {
  if (typeof value === 'string') return JSON.stringify(boundedText(value, max));
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return boundedText(text, max);
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

/** A reason cut to `maxReasonLength` characters, its length note included. */
export function boundedReason(reason: string): string {
  // boundedText adds "… (N characters)": at most 25 more for any length a reason can have.
  return reason.length <= maxReasonLength ? reason : boundedText(reason, maxReasonLength - 25);
}
