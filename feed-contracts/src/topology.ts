/** AMQP names of the wire contract. Publishers in any language use these. */
export const topology = {
  exchange: 'feed',
  exchangeType: 'topic',
  queue: 'feed.events',
  bindingKey: '#',
  deadLetterExchange: 'feed.dlx',
  deadLetterQueue: 'feed.dead',
  /**
   * Where parked messages go that `feed.dead`'s bound (a policy: max-length, overflow
   * drop-head, dead-letter-exchange this one) pushed out; the worker logs and counts each.
   */
  droppedExchange: 'feed.dead.dropped',
  droppedQueue: 'feed.dead.dropped',
} as const;

export type QueueType = 'quorum' | 'classic';

export interface TopologyOptions {
  /** Queue type of `feed.events` and `feed.dead`. Default `quorum` (replicated in a cluster). */
  queueType?: QueueType;
}

/** The arguments `feed.events` is declared with; a broker holding other ones refuses them. */
export function queueArguments(options: TopologyOptions = {}): Record<string, unknown> {
  return {
    'x-queue-type': options.queueType ?? 'quorum',
    'x-dead-letter-exchange': topology.deadLetterExchange,
  };
}

/**
 * What `declareTopology` needs of a channel. Both amqplib's Channel and ConfirmChannel fit,
 * and so does the channel amqp-connection-manager hands to its `setup` function.
 */
export interface TopologyChannel {
  assertExchange(name: string, type: string, options?: { durable?: boolean }): Promise<unknown>;
  assertQueue(
    name: string,
    options?: { durable?: boolean; arguments?: Record<string, unknown> },
  ): Promise<unknown>;
  bindQueue(queue: string, exchange: string, pattern: string): Promise<unknown>;
}

/**
 * Declares the whole topology. Idempotent: every process runs it after each (re)connect.
 * A queue that exists with other arguments makes the broker close the channel with a 406
 * PRECONDITION_FAILED; callers turn that into `FEED_ERR_TOPOLOGY_MISMATCH` and stop.
 */
export async function declareTopology(
  channel: TopologyChannel,
  options: TopologyOptions = {},
): Promise<void> {
  const queueType = options.queueType ?? 'quorum';
  await channel.assertExchange(topology.exchange, topology.exchangeType, { durable: true });
  await channel.assertExchange(topology.deadLetterExchange, 'fanout', { durable: true });
  await channel.assertQueue(topology.queue, {
    durable: true,
    arguments: queueArguments(options),
  });
  await channel.bindQueue(topology.queue, topology.exchange, topology.bindingKey);
  await channel.assertQueue(topology.deadLetterQueue, {
    durable: true,
    arguments: { 'x-queue-type': queueType },
  });
  await channel.bindQueue(topology.deadLetterQueue, topology.deadLetterExchange, '');
  await channel.assertExchange(topology.droppedExchange, 'fanout', { durable: true });
  await channel.assertQueue(topology.droppedQueue, {
    durable: true,
    arguments: { 'x-queue-type': queueType },
  });
  await channel.bindQueue(topology.droppedQueue, topology.droppedExchange, '');
}

/** AMQP reply code of a failed precondition, such as a queue declared with other arguments. */
export const PRECONDITION_FAILED = 406;

/**
 * Reads amqplib's error for a 406 on a declare, e.g. "PRECONDITION_FAILED - inequivalent arg
 * 'x-queue-type' for queue 'feed.events' in vhost '/': received 'classic' but current is
 * 'quorum'" (or the same for an exchange), and returns what it names, or null for any other
 * error.
 */
export function describeTopologyMismatch(error: unknown): {
  kind: 'queue' | 'exchange';
  name: string;
  queue: string;
  argument: string;
  message: string;
} | null {
  if (typeof error !== 'object' || error === null) return null;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (code !== PRECONDITION_FAILED || typeof message !== 'string') return null;
  const match = /inequivalent arg '([^']+)' for (queue|exchange) '([^']+)'/.exec(message);
  if (match === null) return null;
  const kind = match[2] as 'queue' | 'exchange';
  // `queue` is kept for callers that only ever declared queues; for an exchange it holds
  // the exchange's name.
  return { kind, name: match[3]!, queue: match[3]!, argument: match[1]!, message };
}
