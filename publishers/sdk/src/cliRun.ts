import { isFeedError, redactUrl } from '@feed/contracts';
import type { PublishInput } from './buildMessage.js';
import type { CliOptions } from './cliArgs.js';
import type { FeedPublisher } from './publisher.js';

export interface CliSummary {
  published: number;
  confirmed: number;
  rejected: number;
  seconds: number;
  perSecond: number;
  /** How many rejections had each error code. */
  errors: Record<string, number>;
  /** The first rejection's message, to say why. */
  firstError?: string;
}

/**
 * The one line the CLI prints at the end: the broker (every node's password redacted, as
 * `--url` and `AMQP_URL` may list several), the counts, and what the publisher retried.
 */
export function summaryLine(
  url: string,
  summary: CliSummary,
  stats: { retried: number; resent: number; reconnects: number },
): string {
  const { retried, resent, reconnects } = stats;
  return JSON.stringify({ url: redactUrl(url), ...summary, retried, resent, reconnects });
}

export interface CliIo {
  /** A progress line (overwritten on a terminal). */
  progress(line: string): void;
  now(): number;
  sleep(ms: number): Promise<void>;
}

/**
 * Publishes `count` rounds of the events with at most `inFlight` awaiting a confirm and at
 * most `rate` per second. Never throws for a rejected publish: they are counted.
 */
export async function runCli(
  options: CliOptions,
  publisher: Pick<FeedPublisher, 'publish'>,
  io: CliIo,
): Promise<CliSummary> {
  const total = options.count * options.events.length;
  const start = io.now();
  let published = 0;
  let confirmed = 0;
  let rejected = 0;
  const errors: Record<string, number> = {};
  let firstError: string | undefined;
  let inFlight = 0;
  let freed: (() => void) | undefined;
  let lastProgress = start;

  const report = (force = false) => {
    const now = io.now();
    if (!force && now - lastProgress < 500) return;
    lastProgress = now;
    const seconds = (now - start) / 1000;
    io.progress(
      `published ${published}/${total}, confirmed ${confirmed}, rejected ${rejected}, ` +
        `${Math.round(confirmed / Math.max(seconds, 0.001))}/s`,
    );
  };

  for (let round = 0; round < options.count; round++)
    for (const template of options.events) {
      if (options.rate !== undefined) {
        const due = start + (published * 1000) / options.rate;
        if (due > io.now()) await io.sleep(due - io.now());
      }
      while (inFlight >= options.inFlight) await new Promise<void>((resolve) => (freed = resolve));
      inFlight += 1;
      published += 1;
      publisher
        .publish(freshEvent(template, round, options.count))
        .then(
          () => {
            confirmed += 1;
          },
          (error: unknown) => {
            rejected += 1;
            const code = isFeedError(error) ? error.code : 'ERROR';
            errors[code] = (errors[code] ?? 0) + 1;
            firstError ??= (error as Error).message;
          },
        )
        .finally(() => {
          inFlight -= 1;
          freed?.();
          freed = undefined;
          report();
        });
    }
  while (inFlight > 0) await new Promise<void>((resolve) => (freed = resolve));
  report(true);
  const seconds = (io.now() - start) / 1000;
  return {
    published,
    confirmed,
    rejected,
    seconds: Math.round(seconds * 1000) / 1000,
    perSecond: Math.round(confirmed / Math.max(seconds, 0.001)),
    errors,
    ...(firstError === undefined ? {} : { firstError }),
  };
}

/** Repeats of an event with its own id get `-<round>`; without one, each gets a fresh UUID. */
function freshEvent(template: PublishInput, round: number, count: number): PublishInput {
  if (count === 1 || template.id === undefined) return template;
  return { ...template, id: `${template.id}-${round}` };
}
