import type { ConfirmChannel, Message } from 'amqplib';
import { FeedError, FeedErrorCode } from '@feed/contracts';
import type { PublisherLogger } from './logger.js';
import type { Pending, PublishBuffer } from './publishBuffer.js';

/**
 * One confirm channel of the publisher and the messages in flight on it. A message settles
 * only on a confirm of the channel that sent it (amqplib matches confirms by delivery tag);
 * when the channel is lost, what it had in flight goes back to the buffer to be sent again.
 */
export class PublishChannel {
  readonly inFlight = new Map<number, Pending>();
  /** Resolves when the channel closed, for any reason. */
  readonly closed: Promise<void>;
  /** Waiting for 'drain': amqplib's write buffer is full. */
  private paused = false;
  /** Set when the server closed the channel for a reason a resend cannot cure. */
  private failure: FeedError | undefined;

  constructor(
    readonly channel: ConfirmChannel,
    private readonly buffer: PublishBuffer,
    private readonly exchange: string,
    logger: PublisherLogger,
    /** amqplib's buffer has room again. */
    onDrain: () => void,
  ) {
    this.closed = new Promise((resolve) => channel.once('close', () => resolve()));
    channel.on('error', (error: Error & { code?: number }) => {
      logger.warn({ err: error }, 'feed publisher: channel closed by the broker');
      // 404 on a publish: the exchange does not exist. Sending the same messages again would
      // fail the same way, so they reject; the channel is replaced for the next publishes.
      if (error.code === 404)
        this.failure = new FeedError(
          FeedErrorCode.PublishUnroutable,
          `the broker closed the channel: ${error.message}`,
          { cause: error },
        );
    });
    channel.on('return', (message: Message) => this.onReturn(message));
    channel.on('drain', () => {
      this.paused = false;
      onDrain();
    });
  }

  /** Sends what waits in the buffer, in order, until amqplib's buffer asks to wait for 'drain'. */
  send(): void {
    if (this.paused) return;
    for (;;) {
      const pending = this.buffer.next();
      if (pending === undefined) return;
      pending.sentOn = this;
      this.inFlight.set(pending.seq, pending);
      const { message } = pending;
      let writable: boolean;
      try {
        writable = this.channel.publish(
          this.exchange,
          message.routingKey,
          message.body,
          message.properties,
          (error: Error | null) => this.onConfirm(pending, error),
        );
      } catch {
        // The channel closed under us (its 'close' event is on its way): keep the message.
        this.inFlight.delete(pending.seq);
        pending.sentOn = undefined;
        this.buffer.putBack(pending);
        return;
      }
      if (!writable) {
        this.paused = true;
        return;
      }
    }
  }

  /**
   * The channel is gone. amqplib has called back every unconfirmed message with 'channel
   * closed' by now; whatever is left goes back to the buffer the same way.
   */
  lost(): void {
    for (const pending of this.inFlight.values())
      this.onConfirm(pending, new Error('channel closed'));
  }

  private onConfirm(pending: Pending, error: Error | null): void {
    this.inFlight.delete(pending.seq);
    if (pending.settled) {
      if (pending.sentOn === this) this.buffer.releaseStale();
      pending.sentOn = undefined;
      return;
    }
    pending.sentOn = undefined;
    if (error === null || error === undefined) {
      if (pending.returned !== undefined)
        return this.buffer.settle(
          pending,
          new FeedError(
            FeedErrorCode.PublishUnroutable,
            `event ${pending.message.event.id} (${pending.message.routingKey}) was returned by the broker: ${pending.returned}`,
          ),
        );
      return this.buffer.settle(pending);
    }
    if (error.message === 'message nacked') {
      // A nack is passing (a quorum queue electing a leader): the same id goes out again.
      if (this.buffer.retryNacked(pending)) return;
      return this.buffer.settle(
        pending,
        new FeedError(
          FeedErrorCode.PublishNacked,
          `the broker refused event ${pending.message.event.id} ${pending.nacks} times (basic.nack), ` +
            'the last too close to its publish deadline to retry: it did not store it; ' +
            'publishing it again with the same id is safe',
        ),
      );
    }
    if (this.failure !== undefined) return this.buffer.settle(pending, this.failure);
    this.buffer.resend(pending);
  }

  private onReturn(message: Message): void {
    const { replyCode, replyText, exchange, routingKey } = message.fields as unknown as {
      replyCode: number;
      replyText: string;
      exchange: string;
      routingKey: string;
    };
    const id = message.properties.messageId as string | undefined;
    for (const pending of this.inFlight.values())
      if (pending.message.properties.messageId === id && pending.returned === undefined) {
        pending.returned = `${replyCode} ${replyText}: no queue is bound to exchange '${exchange}' for routing key '${routingKey}'`;
        return;
      }
  }
}
