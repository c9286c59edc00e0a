import type { FeedEvent } from '@feed/contracts';
import type { PublishLedger } from './ledger.js';
import type { PlainMessage, PlainPublisher } from './plainPublisher.js';

export interface PlainLoadOptions {
  publisher: PlainPublisher;
  ledger: PublishLedger;
  events: readonly FeedEvent[];
  toMessage(event: FeedEvent): PlainMessage;
  /** Messages per confirm round. */
  batch?: number;
  /** Called after each confirmed round: scenarios inject their fault from here. */
  onProgress?(confirmed: number): void | Promise<void>;
}

/**
 * Sends events through a plain AMQP publisher in rounds, each round confirmed before the
 * next, and records every confirmed event in the ledger. A round resent after a failure may
 * reach the broker twice; the feed must still hold each event once.
 */
export async function runPlainLoad(options: PlainLoadOptions): Promise<void> {
  const batch = options.batch ?? 50;
  let done = 0;
  for (let start = 0; start < options.events.length; start += batch) {
    const round = options.events.slice(start, start + batch);
    await options.publisher.send(round.map(options.toMessage));
    for (const event of round) options.ledger.confirm(event.source, event.id);
    done += round.length;
    await options.onProgress?.(done);
  }
}
