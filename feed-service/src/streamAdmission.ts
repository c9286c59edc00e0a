import { ApiError, ApiErrorCode } from './apiErrors.js';

export interface StreamAdmissionOptions {
  /** Live streams one process serves at once (SERVICE_STREAMS_MAX). */
  maxStreams: number;
  /** Live streams one client (reader, key or address) holds at once (SERVICE_STREAMS_PER_CLIENT). */
  maxPerClient: number;
}

/**
 * Who may open another live stream. A stream holds a socket and a file descriptor for as
 * long as the client wants: without a bound one client (or a reconnect loop) takes every
 * socket of the process, and the others get nothing.
 */
export class StreamAdmission {
  private total = 0;
  private readonly perClient = new Map<string, number>();

  constructor(private readonly options: StreamAdmissionOptions) {}

  /**
   * Takes a place for `client`, or throws the answer naming the limit that is full. The
   * returned function gives the place back (once, however often it is called).
   */
  admit(client: string): () => void {
    const held = this.perClient.get(client) ?? 0;
    if (held >= this.options.maxPerClient)
      throw new ApiError(
        429,
        ApiErrorCode.StreamLimit,
        `${client} already holds ${held} live streams, the most one client may open (SERVICE_STREAMS_PER_CLIENT); close one first`,
      );
    if (this.total >= this.options.maxStreams)
      throw new ApiError(
        503,
        ApiErrorCode.StreamsFull,
        `this replica serves its maximum of ${this.options.maxStreams} live streams (SERVICE_STREAMS_MAX); retry later, or add replicas`,
      );
    this.total += 1;
    this.perClient.set(client, held + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total -= 1;
      const left = (this.perClient.get(client) ?? 1) - 1;
      if (left === 0) this.perClient.delete(client);
      else this.perClient.set(client, left);
    };
  }
}
