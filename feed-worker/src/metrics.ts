import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The worker's Prometheus metrics, on a registry of its own (several workers per process in tests). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'feed_worker_' });
  const registers = [registry];
  return {
    registry,
    received: new Counter({
      name: 'feed_worker_messages_received_total',
      help: 'AMQP messages delivered to the worker (redeliveries included).',
      registers,
    }),
    stored: new Counter({
      name: 'feed_worker_events_stored_total',
      help: 'Events stored as new rows.',
      registers,
    }),
    duplicates: new Counter({
      name: 'feed_worker_events_duplicate_total',
      help: 'Events already stored, skipped by (source, id): redeliveries and publisher retries.',
      registers,
    }),
    reactions: new Counter({
      name: 'feed_worker_reactions_applied_total',
      help: 'Reaction events applied to the counters of their target.',
      registers,
    }),
    parked: new Counter({
      name: 'feed_worker_messages_parked_total',
      help: 'Messages parked in feed.dead, by reason code.',
      labelNames: ['code'] as const,
      registers,
    }),
    parkedMinimal: new Counter({
      name: 'feed_worker_messages_parked_minimal_total',
      help: 'Messages parked without their original headers and properties, which could not be carried.',
      registers,
    }),
    deadLettered: new Counter({
      name: 'feed_worker_messages_dead_lettered_total',
      help: 'Messages that could not be parked at all, rejected for the broker to dead-letter through feed.dlx.',
      registers,
    }),
    parkRetries: new Counter({
      name: 'feed_worker_park_retries_total',
      help: 'Parks tried again because the broker lost, blocked or did not confirm the copy.',
      registers,
    }),
    ackHoldup: new Gauge({
      name: 'feed_worker_ack_holdup_seconds',
      help: 'Age of the oldest unfinished message while messages delivered after it are finished (0: none).',
      registers,
    }),
    bytesInHand: new Gauge({
      name: 'feed_worker_bytes_in_hand',
      help: 'Bytes of delivered messages not yet acked (checked every second).',
      registers,
    }),
    bytesInHandPeak: new Gauge({
      name: 'feed_worker_bytes_in_hand_peak',
      help: 'The most bytes of delivered, unacked messages held at once on the current connection.',
      registers,
    }),
    paused: new Gauge({
      name: 'feed_worker_consumer_paused',
      help: '1 while consuming is paused because the bytes in hand passed WORKER_MAX_BYTES_IN_HAND.',
      registers,
    }),
    acked: new Counter({
      name: 'feed_worker_messages_acked_total',
      help: 'Messages acknowledged after the commit (or park) that holds them.',
      registers,
    }),
    acksDropped: new Counter({
      name: 'feed_worker_acks_dropped_total',
      help: 'Acks not sent because the delivering channel is gone; the broker redelivers them.',
      registers,
    }),
    storeRetries: new Counter({
      name: 'feed_worker_store_retries_total',
      help: 'Batches retried after a passing database failure, by kind.',
      labelNames: ['kind'] as const,
      registers,
    }),
    batchSize: new Histogram({
      name: 'feed_worker_batch_size',
      help: 'Messages per batch.',
      buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500],
      registers,
    }),
    batchSeconds: new Histogram({
      name: 'feed_worker_batch_duration_seconds',
      help: 'Time to parse, store, park and ack one batch.',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    reconnects: new Counter({
      name: 'feed_worker_reconnects_total',
      help: 'Broker connections that were lost or failed to open, and were retried.',
      registers,
    }),
    lag: new Gauge({
      name: 'feed_worker_consumer_lag_messages',
      help: 'Messages ready in feed.events, not yet delivered to any consumer (checked periodically).',
      registers,
    }),
    deadDepth: new Gauge({
      name: 'feed_worker_dead_queue_messages',
      help: 'Messages parked in feed.dead (checked periodically).',
      registers,
    }),
    parkedDropped: new Counter({
      name: 'feed_worker_parked_dropped_total',
      help: 'Parked messages that the bound of feed.dead pushed out (dead-lettered to feed.dead.dropped), by code.',
      labelNames: ['code'] as const,
      registers,
    }),
    consumers: new Gauge({
      name: 'feed_worker_queue_consumers',
      help: 'Consumers attached to feed.events, all workers together (checked periodically).',
      registers,
    }),
    ready: new Gauge({
      name: 'feed_worker_ready',
      help: '1 while consuming with broker and database reachable.',
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
