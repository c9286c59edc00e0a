import type { ServerResponse } from 'node:http';
import { ApiErrorCode } from './apiErrors.js';
import { closeFrame, heartbeatFrame } from './sseFrame.js';

export interface StreamSessionOptions {
  /** Bytes the client may fall behind before it is disconnected. */
  maxBufferedBytes: number;
  heartbeatMs: number;
  /** Called once when the session ends, for whatever reason. */
  onEnd: (reason: 'client' | 'slow_client' | 'shutdown' | 'error') => void;
}

/**
 * One SSE client. Writes never wait: a client that does not read lets its buffer grow, and
 * past the bound it is sent a reason and disconnected, so one slow client never slows the
 * fan-out to the others.
 */
export class StreamSession {
  private ended = false;
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    private readonly response: ServerResponse,
    private readonly options: StreamSessionOptions,
  ) {
    this.heartbeat = setInterval(() => this.write(heartbeatFrame), options.heartbeatMs);
    response.on('close', () => this.finish('client'));
    response.on('error', () => this.finish('error'));
    // A client gone before the stream started: its 'close' was already emitted.
    if (response.destroyed) queueMicrotask(() => this.finish('client'));
  }

  get closed(): boolean {
    return this.ended;
  }

  /** Queues a frame; false when the session is over. */
  write(frame: string): boolean {
    if (this.ended) return false;
    this.response.write(frame);
    if (this.response.writableLength > this.options.maxBufferedBytes) {
      this.end(
        'slow_client',
        closeFrame(
          ApiErrorCode.StreamSlowClient,
          `the client fell more than ${this.options.maxBufferedBytes} bytes behind; reconnect with Last-Event-ID to resume`,
        ),
      );
      return false;
    }
    return true;
  }

  /** Resolves when the client has taken what was written (catch-up paces itself on it). */
  async drained(): Promise<void> {
    // 'drain' comes only after a write was refused, so wait only then.
    if (this.ended || !this.response.writableNeedDrain) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.response.off('drain', done);
        this.response.off('close', done);
        resolve();
      };
      this.response.on('drain', done);
      this.response.on('close', done);
    });
  }

  /** Ends the stream with a last frame saying why. */
  end(reason: 'slow_client' | 'shutdown', frame: string): void {
    if (this.ended) return;
    this.response.end(frame);
    this.finish(reason);
    // A client that stopped reading may never take the last frame: do not keep its socket.
    setTimeout(() => this.response.destroy(), 10_000).unref();
  }

  private finish(reason: 'client' | 'slow_client' | 'shutdown' | 'error'): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.heartbeat);
    this.options.onEnd(reason);
  }
}
