/** What the tracker needs of a channel: acks and rejects by delivery tag. */
export interface AckChannel {
  ack(deliveryTag: number, allUpTo: boolean): void;
  /** Rejects without requeue: the broker dead-letters the message through `feed.dlx`. */
  reject(deliveryTag: number): void;
}

export interface AckTrackerOptions {
  /**
   * How long a finished message may wait for an unfinished one delivered before it, ms. Past
   * it, it is acked on its own, so one message that cannot finish (a park waiting for a
   * blocked broker) never holds the acks of the messages after it.
   */
  waitMs: number;
  now?: () => number;
  /** Schedules the acks of messages that waited `waitMs`; tests pass a fake. */
  setTimer?: (run: () => void, ms: number) => { cancel(): void };
  /** Called after messages were acked or rejected (the bytes in hand went down). */
  onSettled?: () => void;
}

interface Entry<M> {
  tag: number;
  message: M;
  receivedAt: number;
  /** pending: still being worked on; done: may be acked; sent: acked or rejected already. */
  state: 'pending' | 'done' | 'sent';
  doneAt: number;
  bytes: number;
}

/** The oldest unfinished message of a channel, while later ones are finished. */
export interface Holdup<M> {
  message: M;
  /** Since it was delivered, ms. */
  ageMs: number;
  /** Finished messages delivered after it. */
  waiting: number;
}

/**
 * The acks of one channel. Messages finish in any order (two batches in flight, parks that
 * wait for the broker); the broker counts delivery tags in order. A run of finished messages
 * at the front is acked with one `multiple` ack, which covers exactly them; a finished message
 * behind an unfinished one waits up to `waitMs`, then is acked on its own. A tag acked on its
 * own is never covered by a later `multiple` ack (that ack names the last tag still
 * outstanding), so the broker never sees a tag twice.
 */
export class AckTracker<M> {
  readonly #channel: AckChannel;
  readonly #options: AckTrackerOptions;
  readonly #now: () => number;
  #entries: Array<Entry<M>> = [];
  #head = 0;
  readonly #byMessage = new Map<M, Entry<M>>();
  #timer: { cancel(): void } | undefined;
  #closed = false;
  #bytes = 0;
  #peakBytes = 0;
  /** Entries finished and not sent yet: when none, nothing waits behind an unfinished one. */
  #finished = 0;

  constructor(channel: AckChannel, options: AckTrackerOptions) {
    this.#channel = channel;
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** Every delivery of the channel, in delivery order, with the bytes it holds. */
  received(message: M, deliveryTag: number, bytes = 0): void {
    const entry: Entry<M> = {
      tag: deliveryTag,
      message,
      receivedAt: this.#now(),
      state: 'pending',
      doneAt: 0,
      bytes,
    };
    this.#entries.push(entry);
    this.#byMessage.set(message, entry);
    this.#bytes += bytes;
    if (this.#bytes > this.#peakBytes) this.#peakBytes = this.#bytes;
  }

  /** Counts a message as holding `bytes` from now on (what parsing it made of it in memory). */
  reweigh(message: M, bytes: number): void {
    const entry = this.#byMessage.get(message);
    if (entry === undefined) return;
    this.#bytes += bytes - entry.bytes;
    entry.bytes = bytes;
    if (this.#bytes > this.#peakBytes) this.#peakBytes = this.#bytes;
  }

  /** The messages are stored or parked: ack them as soon as the order allows. */
  done(messages: Iterable<M>): void {
    const now = this.#now();
    for (const message of messages) {
      const entry = this.#byMessage.get(message);
      if (entry === undefined || entry.state !== 'pending') continue;
      entry.state = 'done';
      entry.doneAt = now;
      this.#finished += 1;
    }
    this.#flush();
  }

  /** Rejects one message at once, without requeue (the broker dead-letters it). */
  reject(message: M): void {
    const entry = this.#byMessage.get(message);
    if (entry === undefined || entry.state === 'sent') return;
    if (!this.#closed) this.#channel.reject(entry.tag);
    this.#sent(entry);
    this.#flush();
    this.#options.onSettled?.();
  }

  /** The channel is gone: nothing more is sent; the broker redelivers what was not acked. */
  close(): void {
    this.#closed = true;
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  get outstanding(): number {
    return this.#byMessage.size;
  }

  /** Bytes of the messages delivered and not yet acked or rejected. */
  get bytes(): number {
    return this.#bytes;
  }

  /** The most bytes held at once so far. */
  get peakBytes(): number {
    return this.#peakBytes;
  }

  /** The oldest message still being worked on while messages after it are finished. */
  holdup(): Holdup<M> | undefined {
    const head = this.#entries[this.#head];
    if (head === undefined || head.state !== 'pending') return undefined;
    let waiting = 0;
    for (let i = this.#head + 1; i < this.#entries.length; i += 1)
      if (this.#entries[i]!.state !== 'pending') waiting += 1;
    if (waiting === 0) return undefined;
    return { message: head.message, ageMs: this.#now() - head.receivedAt, waiting };
  }

  #sent(entry: Entry<M>): void {
    if (entry.state === 'done') this.#finished -= 1;
    entry.state = 'sent';
    this.#byMessage.delete(entry.message);
    this.#bytes -= entry.bytes;
  }

  #flush(): void {
    if (this.#closed) return;
    // The finished run at the front: one ack, on its last tag not yet sent.
    let last: Entry<M> | undefined;
    while (this.#head < this.#entries.length) {
      const entry = this.#entries[this.#head]!;
      if (entry.state === 'pending') break;
      if (entry.state === 'done') {
        last = entry;
        this.#sent(entry);
      }
      this.#head += 1;
    }
    if (last !== undefined) {
      this.#channel.ack(last.tag, true);
      this.#options.onSettled?.();
    }
    if (this.#head > 1024 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
    this.#ackLongWaiting();
  }

  /** Acks on their own the finished messages that waited `waitMs` behind an unfinished one. */
  #ackLongWaiting(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
    // The usual case after a flush: every finished message was acked with the run at the front.
    if (this.#finished === 0) return;
    const now = this.#now();
    let next: number | undefined;
    let settled = false;
    for (let i = this.#head; i < this.#entries.length; i += 1) {
      const entry = this.#entries[i]!;
      if (entry.state !== 'done') continue;
      const due = entry.doneAt + this.#options.waitMs;
      if (due <= now) {
        this.#channel.ack(entry.tag, false);
        this.#sent(entry);
        settled = true;
      } else if (next === undefined || due < next) next = due;
    }
    if (settled) this.#options.onSettled?.();
    if (next !== undefined) {
      const setTimer = this.#options.setTimer ?? defaultTimer;
      this.#timer = setTimer(() => {
        this.#timer = undefined;
        if (!this.#closed) this.#ackLongWaiting();
      }, next - now);
    }
  }
}

function defaultTimer(run: () => void, ms: number): { cancel(): void } {
  const timer = setTimeout(run, ms);
  return { cancel: () => clearTimeout(timer) };
}
