import { amqpConnect, type AmqpConnectFunction, type AmqpConnectOptions } from './amqpConnect.js';
import { redactUrl } from './amqpUrls.js';

/** What `amqpConnectAny` needs of a connection: to close one that came second. */
export interface ClosableConnection {
  close(): Promise<void>;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

export interface AmqpConnectAnyOptions extends AmqpConnectOptions {
  /** The index in the list of the node tried first (the others follow in turn). */
  first: number;
  /**
   * How long a node may leave the handshake unanswered before the next node is tried beside
   * it, ms. Default 500: a node that answers at all answers in tens of ms, even on a loaded
   * machine; a node that is gone but whose port still takes connections (a blackholed host, a
   * hung process) would otherwise cost the whole handshake deadline of every attempt.
   */
  staggerMs?: number;
}

export interface ConnectedNode<Connection> {
  connection: Connection;
  url: string;
  index: number;
}

/**
 * Connects to the first node of a cluster that answers, starting from `first`: a node that
 * refuses gives way to the next one at once, a node that says nothing gives way after
 * `staggerMs` while it may still answer (the first to finish its handshake wins; one that
 * finishes later is closed). Rejects only when every node failed, naming each one's error.
 */
export function amqpConnectAny<Connection extends ClosableConnection>(
  connect: AmqpConnectFunction<Connection>,
  urls: readonly string[],
  options: AmqpConnectAnyOptions,
): Promise<ConnectedNode<Connection>> {
  const staggerMs = options.staggerMs ?? 500;
  return new Promise((resolve, reject) => {
    const failures: string[] = [];
    let started = 0;
    let settled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const startNext = () => {
      clearTimeout(timer);
      if (settled || started >= urls.length) return;
      const index = (options.first + started) % urls.length;
      started += 1;
      const url = urls[index]!;
      amqpConnect(connect, url, options).then(
        (connection) => {
          if (settled) {
            // Another node answered first: this one is not needed.
            connection.on('error', () => {});
            void connection.close().catch(() => {});
            return;
          }
          settled = true;
          clearTimeout(timer);
          resolve({ connection, url, index });
        },
        (error: unknown) => {
          failures.push(`${redactUrl(url)}: ${(error as Error).message}`);
          if (settled) return;
          if (failures.length < urls.length) return startNext();
          settled = true;
          clearTimeout(timer);
          if (urls.length === 1) return reject(error);
          reject(new Error(`no node answered (${failures.join('; ')})`, { cause: error }));
        },
      );
      if (started < urls.length) timer = setTimeout(startNext, staggerMs);
    };
    startNext();
  });
}
