import { CliUsageError, parseCommandLine } from '@feed/contracts';
import { buildMessages, type PublishInput } from './buildMessage.js';

export interface CliOptions {
  url: string;
  source: string;
  /** The events of one round; `count` rounds are published. */
  events: PublishInput[];
  count: number;
  /** Publishes per second; undefined: as fast as confirms allow. */
  rate: number | undefined;
  inFlight: number;
  timeoutMs: number;
  queueType: 'quorum' | 'classic';
  quiet: boolean;
}

export { CliUsageError };

export const usage = `usage: feed-publish --type <type> --data '<json>' [options]
       feed-publish --file events.json|events.ndjson [options]

  --url <amqp url>     broker (default: $AMQP_URL, else amqp://guest:guest@127.0.0.1:5672)
  --source <name>      source of the events that name none (default: feed-cli)
  --type <type>        event type, e.g. employee.registered
  --data <json>        the event's data, a JSON value
  --file <path>        a JSON array of events, or one event per line (NDJSON);
                       each {type, data, id?, source?, time?, subject?, actor?}
  --count <n>          publish the event(s) n times, each with a fresh id (default 1)
  --rate <n>           at most n publishes per second (default: unlimited)
  --in-flight <n>      most publishes awaiting a confirm at once (default 1000)
  --timeout-ms <n>     per publish (default 10000)
  --queue-type <t>     quorum or classic, as feed.events is declared (default: $FEED_QUEUE_TYPE or quorum)
  --quiet              no progress line
  --help`;

/**
 * Reads the command line. `readFile` is passed in so the parsing stays a pure function with
 * unit tests; a wrong input throws a CliUsageError that says what to fix.
 */
export function parseCliArgs(
  argv: readonly string[],
  env: Record<string, string | undefined>,
  readFile: (path: string) => string,
): CliOptions | 'help' {
  const parsed = parseCommandLine({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      url: { type: 'string' },
      source: { type: 'string' },
      type: { type: 'string' },
      data: { type: 'string' },
      file: { type: 'string' },
      count: { type: 'string' },
      rate: { type: 'string' },
      'in-flight': { type: 'string' },
      'timeout-ms': { type: 'string' },
      'queue-type': { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  const values = parsed.values;
  if (values.help) return 'help';

  let events: PublishInput[];
  if (values.file !== undefined) {
    if (values.data !== undefined) throw new CliUsageError('give --data or --file, not both');
    events = parseEventsFile(values.file, readFile(values.file), values.type);
  } else {
    if (values.type === undefined)
      throw new CliUsageError('--type is required (or --file with the events)');
    if (values.data === undefined) throw new CliUsageError('--data is required with --type');
    events = [{ type: values.type, data: parseJson('--data', values.data) }];
  }

  const source = values.source ?? 'feed-cli';
  // Checked before connecting: a bad event stops the run before anything is sent.
  try {
    buildMessages(events, { source });
  } catch (error) {
    throw new CliUsageError((error as Error).message);
  }

  const queueType = values['queue-type'] ?? env.FEED_QUEUE_TYPE ?? 'quorum';
  if (queueType !== 'quorum' && queueType !== 'classic')
    throw new CliUsageError(`--queue-type must be quorum or classic, got '${queueType}'`);
  return {
    url: values.url ?? (env.AMQP_URL || 'amqp://guest:guest@127.0.0.1:5672'),
    source,
    events,
    count: positive('--count', values.count, 1),
    rate: values.rate === undefined ? undefined : positive('--rate', values.rate, 0),
    inFlight: positive('--in-flight', values['in-flight'], 1000),
    timeoutMs: positive('--timeout-ms', values['timeout-ms'], 10_000),
    queueType,
    quiet: values.quiet ?? false,
  };
}

function parseEventsFile(
  path: string,
  text: string,
  defaultType: string | undefined,
): PublishInput[] {
  const trimmed = text.trim();
  if (trimmed === '') throw new CliUsageError(`${path} is empty`);
  let items: unknown[];
  if (trimmed.startsWith('[')) {
    const value = parseJson(path, trimmed);
    items = value as unknown[];
  } else
    items = trimmed
      .split('\n')
      .map((line, index) => ({ line: line.trim(), index }))
      .filter(({ line }) => line !== '')
      .map(({ line, index }) => parseJson(`${path} line ${index + 1}`, line));
  if (items.length === 0) throw new CliUsageError(`${path} holds no events`);
  return items.map((item, index) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item))
      throw new CliUsageError(`${path}: event ${index} is not a JSON object`);
    const event = { ...(item as Record<string, unknown>) };
    if (event.type === undefined && defaultType !== undefined) event.type = defaultType;
    if (typeof event.type !== 'string')
      throw new CliUsageError(`${path}: event ${index} has no type (or give --type)`);
    return event as unknown as PublishInput;
  });
}

function parseJson(what: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliUsageError(`${what} is not JSON: ${(error as Error).message}`);
  }
}

function positive(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number < 1)
    throw new CliUsageError(`${name} must be a positive integer, got '${value}'`);
  return number;
}
