/**
 * An event time as publishers write it: RFC 3339 (`2026-11-22T10:00:00Z`), with `T`, `t` or a
 * space between date and time, any number of fraction digits, and an offset `Z`, `+hh:mm`,
 * `+hhmm`, or none. A time without an offset (Python's `datetime.utcnow().isoformat()`) is
 * read as UTC. The POST /events schema, the AsyncAPI document, the SDK and `parseMessage` all
 * use this one pattern and `readTime`.
 */
export const TimePattern =
  '^(\\d{4})-(\\d{2})-(\\d{2})[Tt ](\\d{2}):(\\d{2}):(\\d{2})(\\.\\d+)?([Zz]|[+-]\\d{2}:?\\d{2})?$';

const timePattern = new RegExp(TimePattern);

/**
 * The years stored: PostgreSQL has no year 0, and past 9999 an ISO string is no longer
 * `YYYY-MM-DD…`.
 */
const firstYear = new Date(0).setUTCFullYear(1, 0, 1);
const afterLastYear = new Date(0).setUTCFullYear(10_000, 0, 1);

export type TimeReading = { ok: true; time: string } | { ok: false; problem: string };

/**
 * Reads a time of `TimePattern` as the instant it names, in the stored form (ISO 8601 in UTC,
 * milliseconds): `2026-11-22T10:00:00.123456` gives `2026-11-22T10:00:00.123Z`. Strict where
 * `Date.parse` is lenient: February 30 is no date, not March 2.
 */
export function readTime(text: string): TimeReading {
  // What most publishers send is the stored form already (`toISOString()`): checked digit by
  // digit, it is kept as it is. Anything else, valid or not, takes the general reading.
  if (isStoredForm(text)) return { ok: true, time: text };
  const match = timePattern.exec(text);
  if (match === null) return { ok: false, problem: 'not an RFC 3339 time' };
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const millis = Number((match[7] ?? '.0').slice(1, 4).padEnd(3, '0'));
  const offset = offsetMinutes(match[8]);
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, millis);
  const real =
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    hour < 24 &&
    minute < 60 &&
    second < 60 &&
    offset !== undefined;
  if (!real) return { ok: false, problem: 'not a real date and time' };
  const time = storedInstant(date.getTime() - offset * 60_000);
  if (time === undefined) return { ok: false, problem: 'outside the years 0001 to 9999' };
  return { ok: true, time };
}

const daysInMonth = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Whether the text is `YYYY-MM-DDTHH:MM:SS.sssZ` naming a real instant of the years 0001 to
 * 9999: exactly what `toISOString()` writes for it, so it is its own stored form. A tenth of
 * the general reading's cost (no pattern, no Date), on every event of every batch.
 */
function isStoredForm(text: string): boolean {
  if (text.length !== 24) return false;
  for (let i = 0; i < 24; i++) {
    const c = text.charCodeAt(i);
    const expected = storedFormSeparators[i];
    if (expected === undefined ? c < 48 || c > 57 : c !== expected) return false;
  }
  const number = (from: number, to: number) => {
    let n = 0;
    for (let i = from; i < to; i++) n = n * 10 + text.charCodeAt(i) - 48;
    return n;
  };
  const year = number(0, 4);
  const month = number(5, 7);
  const day = number(8, 10);
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > daysInMonth[month - 1]! + (month === 2 && leap ? 1 : 0)) return false;
  return number(11, 13) < 24 && number(14, 16) < 60 && number(17, 19) < 60;
}

/** The characters of the stored form that are not digits, by position (`undefined`: a digit). */
const storedFormSeparators = Array.from('0000-00-00T00:00:00.000Z', (char) =>
  char === '0' ? undefined : char.charCodeAt(0),
);

/** Minutes east of UTC; no offset is UTC. Undefined for an offset that is not one. */
function offsetMinutes(offset: string | undefined): number | undefined {
  if (offset === undefined || offset === 'Z' || offset === 'z') return 0;
  const digits = offset.replace(':', '');
  const hours = Number(digits.slice(1, 3));
  const minutes = Number(digits.slice(3, 5));
  if (hours > 23 || minutes > 59) return undefined;
  return (digits.startsWith('-') ? -1 : 1) * (hours * 60 + minutes);
}

/** An instant as stored, or undefined when PostgreSQL and ISO strings cannot both hold it. */
export function storedInstant(ms: number): string | undefined {
  if (!Number.isFinite(ms) || ms < firstYear || ms >= afterLastYear) return undefined;
  return new Date(ms).toISOString();
}
