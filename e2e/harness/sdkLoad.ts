import type { FeedEvent } from '@feed/contracts';
import { PublishBatchError, type FeedPublisher } from '@feed/publisher';
import type { PublishLedger } from './ledger.js';

export interface SdkLoadOptions {
  publisher: FeedPublisher;
  ledger: PublishLedger;
  events: readonly FeedEvent[];
  /** Events per `publish` call. */
  chunk?: number;
  /** `publish` calls in flight at once. */
  concurrency?: number;
  onProgress?(confirmed: number): void | Promise<void>;
}

/**
 * Publishes through the SDK the way a careful caller does: an event counts as published only
 * once `publish` resolved for it; what was refused (timeout, buffer full, closed) is published
 * again with the same id until it is confirmed. Rejections are counted, never dropped.
 */
export async function runSdkLoad(options: SdkLoadOptions): Promise<{ rejections: number }> {
  const chunk = options.chunk ?? 20;
  const queue: FeedEvent[][] = [];
  for (let i = 0; i < options.events.length; i += chunk)
    queue.push(options.events.slice(i, i + chunk));
  let rejections = 0;
  let confirmed = 0;

  const publishUntilConfirmed = async (events: FeedEvent[]) => {
    let left = events;
    for (let attempt = 0; left.length > 0; attempt += 1) {
      try {
        const done = await options.publisher.publish(left);
        for (const event of done) options.ledger.confirm(event.source, event.id);
        confirmed += done.length;
        left = [];
      } catch (error) {
        rejections += 1;
        if (error instanceof PublishBatchError) {
          for (const event of error.confirmed) options.ledger.confirm(event.source, event.id);
          confirmed += error.confirmed.length;
          const failed = new Set(error.failed.map((f) => f.event.id));
          left = left.filter((event) => failed.has(event.id));
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** attempt)));
      }
    }
    await options.onProgress?.(confirmed);
  };

  const lanes = Array.from({ length: options.concurrency ?? 4 }, async () => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift())
      await publishUntilConfirmed(next);
  });
  await Promise.all(lanes);
  return { rejections };
}
