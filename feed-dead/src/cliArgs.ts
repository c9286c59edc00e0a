import { CliUsageError, isFeedError, parseAmqpUrls, parseCommandLine } from '@feed/contracts';
import { readSelection, type Selection } from './selection.js';

export type CliCommand =
  | { command: 'list'; selection: Selection | undefined; limit: number }
  | { command: 'show'; id: string }
  | { command: 'replay'; selection: Selection }
  | { command: 'purge'; selection: Selection };

export interface CliOptions {
  urls: string[];
  json: boolean;
  quiet: boolean;
  run: CliCommand;
}

export { CliUsageError };

export const usage = `usage: feed-dead list [--code <code> | --source <source>] [--limit <n>]
       feed-dead show <id>
       feed-dead replay <id> | --code <code> | --source <source> | --all
       feed-dead purge <id> | --code <code> | --source <source> | --all --yes

  Parked messages are the ones the worker set aside in feed.dead, each with an id, a code
  (FEED_ERR_…) and a reason. replay publishes them to feed.events with their original
  properties; each leaves feed.dead only once the broker confirmed its replayed copy.

  --url <amqp url>   broker (default: $AMQP_URL, else amqp://guest:guest@127.0.0.1:5672);
                     several nodes separated by commas are tried in turn
  --code <code>      the messages parked with this code, e.g. FEED_ERR_SCHEMA
  --source <source>  the messages of this source (app_id, or the source of their events)
  --all              every parked message (replay, purge)
  --limit <n>        list at most n messages (default 100; the counts cover them all)
  --yes              purge deletes: say so
  --json             one JSON document on stdout instead of text
  --quiet            no progress line
  --help

  Exit 0 on success, 1 on a failure (nothing is lost: run it again), 2 on bad input.`;

/** Reads the command line; a wrong input throws a CliUsageError that says what to fix. */
export function parseCliArgs(
  argv: readonly string[],
  env: Record<string, string | undefined>,
): CliOptions | 'help' {
  const parsed = parseCommandLine({
    args: [...argv],
    strict: true,
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      code: { type: 'string' },
      source: { type: 'string' },
      all: { type: 'boolean' },
      limit: { type: 'string' },
      yes: { type: 'boolean' },
      json: { type: 'boolean' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  const { values, positionals } = parsed;
  if (values.help === true) return 'help';
  const [command, id, ...extra] = positionals;
  if (extra.length > 0) throw new CliUsageError(`unexpected arguments: ${extra.join(' ')}`);
  let urls: string[];
  try {
    urls = parseAmqpUrls(values.url ?? env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672');
  } catch (error) {
    throw new CliUsageError(`--url: ${(error as Error).message}`);
  }
  const common = { urls, json: values.json === true, quiet: values.quiet === true };
  const selection = () => {
    try {
      return readSelection({ id, code: values.code, source: values.source, all: values.all });
    } catch (error) {
      if (isFeedError(error)) throw new CliUsageError(error.message);
      throw error;
    }
  };
  switch (command) {
    case 'list': {
      if (id !== undefined || values.all === true)
        throw new CliUsageError('list takes --code or --source, not an id or --all');
      const limit = Number(values.limit ?? '100');
      if (!Number.isInteger(limit) || limit < 0)
        throw new CliUsageError('--limit must be a whole number');
      const filtered = values.code !== undefined || values.source !== undefined;
      return {
        ...common,
        run: { command, selection: filtered ? selection() : undefined, limit },
      };
    }
    case 'show':
      if (id === undefined || values.code !== undefined || values.source !== undefined)
        throw new CliUsageError('show takes one id (feed-dead list shows them)');
      return { ...common, run: { command, id } };
    case 'replay':
      return { ...common, run: { command, selection: selection() } };
    case 'purge':
      if (values.yes !== true)
        throw new CliUsageError('purge deletes parked messages for good: add --yes');
      return { ...common, run: { command, selection: selection() } };
    case undefined:
      throw new CliUsageError('say what to do: list, show, replay or purge');
    default:
      throw new CliUsageError(`unknown command ${command}: list, show, replay or purge`);
  }
}
