import { createFeedPublisher, type FeedPublisher } from '@feed/publisher';
import { employeeRegistered, propertiesMessage, structuredMessage } from './feedEvents.js';
import type { FeedStack } from './feedStack.js';
import type { PublishLedger } from './ledger.js';
import { runPlainLoad } from './plainLoad.js';
import { createPlainPublisher, type PlainPublisher } from './plainPublisher.js';
import { runSdkLoad } from './sdkLoad.js';

export interface LoadMix {
  sdk: FeedPublisher;
  plain: PlainPublisher;
  /** Publishes `perPublisher` events from each publisher, concurrently; resolves when all are confirmed. */
  run(prefix: string, perPublisher: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * The publishers of a scenario, both connected through the scenario's AMQP proxy so every
 * broker fault hits them too: the SDK (confirms, buffering, reconnect) and a plain amqplib
 * client (its own retry loop), each with its own source.
 */
export function createLoadMix(stack: FeedStack, ledger: PublishLedger): LoadMix {
  const sdk = createFeedPublisher({
    url: stack.amqpUrl,
    source: `e2e.sdk.${stack.label}`,
    publishTimeoutMs: 5000,
    heartbeatS: 2,
    connectTimeoutMs: 2000,
    reconnectMinMs: 100,
    reconnectMaxMs: 1000,
    closeTimeoutMs: 5000,
  });
  const plain = createPlainPublisher(stack.amqpUrl);
  return {
    sdk,
    plain,
    async run(prefix, perPublisher) {
      const sdkEvents = Array.from({ length: perPublisher }, (_, i) =>
        employeeRegistered(`e2e.sdk.${stack.label}`, `${prefix}-${i}`),
      );
      const plainEvents = Array.from({ length: perPublisher }, (_, i) =>
        employeeRegistered(`e2e.plain.${stack.label}`, `${prefix}-${i}`),
      );
      await Promise.all([
        runSdkLoad({ publisher: sdk, ledger, events: sdkEvents }),
        runPlainLoad({
          publisher: plain,
          ledger,
          events: plainEvents,
          toMessage: (e) =>
            Number(e.id.slice(e.id.lastIndexOf('-') + 1)) % 2 === 0
              ? structuredMessage(e)
              : propertiesMessage(e),
          batch: 25,
        }),
      ]);
    },
    async close() {
      await Promise.all([sdk.close(), plain.close()]);
    },
  };
}
