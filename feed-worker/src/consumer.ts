import { topology } from '@feed/contracts';
import type { Channel, ConsumeMessage } from 'amqplib';
import { AckTracker } from './ackTracker.js';
import type { Logger } from './logger.js';

export interface ConsumerSettings {
  /** Unacknowledged messages the broker may send this consumer (WORKER_PREFETCH). */
  prefetch: number;
  /** See AckTrackerOptions.waitMs. */
  ackWaitMs: number;
  /**
   * Bytes of delivered, unfinished messages this consumer may hold (RabbitMQ has no prefetch
   * in bytes). Past it, it stops consuming until half of it is left, and takes up again with a
   * prefetch the largest recent message fits in the budget with.
   */
  maxBytesInHand: number;
  logger: Logger;
  onDelivery: (message: ConsumeMessage, consumer: Consumer) => void;
}

/**
 * One consumer on one channel, for the life of the broker connection. A message remembers
 * the consumer that delivered it and is acked only on that consumer's channel, while it is
 * open; once the consumer ended its acks are dropped (the broker redelivers, the unique key
 * absorbs the copy), so an ack never reaches a replaced channel.
 */
export class Consumer {
  open = true;
  /** Attached to the queue (false while paused for the byte budget, and after cancel). */
  consuming = false;
  /** Detached on purpose: the bytes in hand passed the budget. */
  paused = false;
  readonly acks: AckTracker<ConsumeMessage>;
  readonly #channel: Channel;
  readonly #settings: ConsumerSettings;
  readonly #end: (reason: string, error?: unknown) => void;
  #consumerTag: string | undefined;
  #prefetch: number;
  /** Largest message since the consumer last attached, bytes. */
  #largest = 0;
  #deliveriesSinceAttach = 0;
  #cancelled = false;
  #switching = false;
  /** Detach and attach again (to take a new prefetch). */
  #reattach = false;

  constructor(channel: Channel, end: Consumer['end'], settings: ConsumerSettings) {
    this.#channel = channel;
    this.#settings = settings;
    this.#end = end;
    this.#prefetch = settings.prefetch;
    this.acks = new AckTracker<ConsumeMessage>(
      {
        ack: (deliveryTag, allUpTo) =>
          this.#send(() => this.#channel.ack(tagged(deliveryTag), allUpTo)),
        reject: (deliveryTag) =>
          this.#send(() => this.#channel.nack(tagged(deliveryTag), false, false)),
      },
      { waitMs: settings.ackWaitMs, onSettled: () => this.#afterSettled() },
    );
  }

  get prefetch(): number {
    return this.#prefetch;
  }

  /** Attaches to the queue. */
  async start(): Promise<void> {
    await this.#attach();
  }

  /** Stops deliveries for good; what was delivered but not acked returns at close. */
  async cancel(): Promise<void> {
    this.#cancelled = true;
    await this.#detach();
  }

  end(reason: string, error?: unknown): void {
    this.#end(reason, error);
  }

  /**
   * Closes the channel, then the connection. The channel goes first: its close follows the
   * acks on the same channel, whereas a connection close (on channel 0) may overtake acks
   * still queued for channel 1, and the broker would requeue messages already stored.
   */
  async close(reason: string, waitMs = 2000): Promise<void> {
    if (this.open) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        this.#channel.close().catch(() => {}),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs))),
      ]);
      clearTimeout(timer);
    }
    this.#end(reason);
  }

  async #attach(): Promise<void> {
    await this.#channel.prefetch(this.#prefetch);
    this.#largest = 0;
    this.#deliveriesSinceAttach = 0;
    const { consumerTag } = await this.#channel.consume(
      topology.queue,
      (message) => {
        if (message === null) return this.end('consumer cancelled by the broker');
        this.#onMessage(message);
      },
      { noAck: false },
    );
    if (this.#cancelled) {
      // Cancelled (shutdown) while this attach was on its way: a stopped consumer stays stopped.
      await this.#channel.cancel(consumerTag).catch(() => {});
      return;
    }
    this.#consumerTag = consumerTag;
    this.consuming = this.open;
  }

  async #detach(): Promise<void> {
    const tag = this.#consumerTag;
    this.consuming = false;
    this.#consumerTag = undefined;
    if (!this.open || tag === undefined) return;
    await this.#channel.cancel(tag);
  }

  #onMessage(message: ConsumeMessage): void {
    const bytes = message.content.byteLength;
    this.acks.received(message, message.fields.deliveryTag, bytes);
    this.#largest = Math.max(this.#largest, bytes);
    this.#deliveriesSinceAttach += 1;
    this.#settings.onDelivery(message, this);
    if (this.acks.bytes > this.#settings.maxBytesInHand && !this.paused) this.#pause();
  }

  /**
   * A message parsed into many events holds far more memory than its bytes (each event an
   * object of its own): it counts as that from now on, and may pause consuming.
   */
  reweigh(message: ConsumeMessage, bytes: number): void {
    this.acks.reweigh(message, bytes);
    if (this.acks.bytes > this.#settings.maxBytesInHand && !this.paused && this.open) this.#pause();
  }

  #pause(): void {
    this.paused = true;
    // Messages the broker already sent still arrive; they are bounded by the prefetch.
    this.#prefetch = this.#fittingPrefetch();
    this.#settings.logger.warn(
      {
        bytesInHand: this.acks.bytes,
        budget: this.#settings.maxBytesInHand,
        nextPrefetch: this.#prefetch,
      },
      'bytes in hand over WORKER_MAX_BYTES_IN_HAND; consuming paused until half of it is left',
    );
    this.#reconcile();
  }

  #afterSettled(): void {
    if (this.paused && this.acks.bytes <= this.#settings.maxBytesInHand / 2) {
      this.paused = false;
      this.#settings.logger.info(
        { bytesInHand: this.acks.bytes, prefetch: this.#prefetch },
        'consuming again after the byte budget pause',
      );
      this.#reconcile();
      return;
    }
    // Small messages again for a while: the configured prefetch fits the budget once more.
    if (
      !this.paused &&
      this.#prefetch < this.#settings.prefetch &&
      this.#deliveriesSinceAttach >= this.#prefetch * 4 &&
      this.#fittingPrefetch() === this.#settings.prefetch
    ) {
      this.#prefetch = this.#settings.prefetch;
      this.#reattach = true;
      this.#reconcile();
    }
  }

  /** The prefetch with which a channel full of the largest recent message fits the budget. */
  #fittingPrefetch(): number {
    if (this.#largest === 0) return this.#settings.prefetch;
    const fits = Math.floor(this.#settings.maxBytesInHand / this.#largest);
    return Math.min(this.#settings.prefetch, Math.max(1, fits));
  }

  /**
   * Brings the consumer to what is wanted (attached unless paused; attached again for a new
   * prefetch), one step at a time, and looks again after each step: a change wanted while a
   * step was running is never lost. Nothing once cancelled or closed.
   */
  #reconcile(): void {
    if (this.#switching || this.#cancelled || !this.open) return;
    const attached = this.#consumerTag !== undefined;
    const detach = attached && (this.paused || this.#reattach);
    const attach = !attached && !this.paused;
    if (!detach && !attach) return;
    this.#switching = true;
    const step = detach ? this.#detach() : this.#attach();
    if (detach) this.#reattach = false;
    step
      .catch((error: unknown) => this.end('re-attaching the consumer failed', error))
      .finally(() => {
        this.#switching = false;
        this.#reconcile();
      });
  }

  /** An ack for a channel that is gone is dropped: the broker redelivers, dedup absorbs it. */
  #send(write: () => void): void {
    if (!this.open) return;
    try {
      write();
    } catch {
      // The channel closed under us; its 'close' event ends this consumer.
    }
  }
}

/** amqplib acks by message; only the delivery tag is read. */
function tagged(deliveryTag: number): ConsumeMessage {
  return { fields: { deliveryTag } } as ConsumeMessage;
}
