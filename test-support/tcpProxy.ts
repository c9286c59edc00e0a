import net from 'node:net';

export interface TcpProxy {
  /** The port clients connect to, on 127.0.0.1. */
  port: number;
  /** Stops forwarding bytes in both directions while keeping every socket open (a frozen peer). */
  freeze(): void;
  /** Forwards again, including what was held while frozen. */
  thaw(): void;
  /**
   * Destroys every open connection (a reset); new connections are still accepted. Returns how
   * many it cut, so a test can tell a fault from a cut that found nothing to cut.
   */
  cut(): number;
  /** Refuses new connections and cuts the open ones: the target is unreachable. */
  down(): void;
  /** Accepts connections again after `down()`. */
  up(): void;
  /** Connections open now. */
  connections(): number;
  /**
   * Bytes the proxy has read from either side and not forwarded (what a freeze holds back):
   * a test waits for this to know a write reached the proxy and went no further.
   */
  held(): number;
  close(): Promise<void>;
}

/**
 * A TCP proxy a test controls, in front of RabbitMQ or PostgreSQL, so a test can cut, freeze
 * or take down its own connections without touching anyone else's.
 */
export async function createTcpProxy(
  targetPort: number,
  targetHost = '127.0.0.1',
): Promise<TcpProxy> {
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();
  let frozen = false;
  let refusing = false;

  const server = net.createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = net.connect(targetPort, targetHost);
    const pair = { client, upstream };
    pairs.add(pair);
    const end = () => {
      client.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
    if (frozen) {
      client.pause();
      upstream.pause();
      client.unpipe(upstream);
      upstream.unpipe(client);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;

  const cut = () => {
    const count = pairs.size;
    for (const { client, upstream } of pairs) {
      client.destroy();
      upstream.destroy();
    }
    pairs.clear();
    return count;
  };

  return {
    port,
    freeze() {
      frozen = true;
      for (const { client, upstream } of pairs) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
      }
    },
    thaw() {
      frozen = false;
      for (const { client, upstream } of pairs) {
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
        upstream.resume();
      }
    },
    cut,
    down() {
      refusing = true;
      cut();
    },
    up() {
      refusing = false;
    },
    connections: () => pairs.size,
    held() {
      // A paused socket still reads into its buffer (up to its high-water mark): what sits
      // there was received and not passed on.
      let bytes = 0;
      for (const { client, upstream } of pairs)
        bytes += client.readableLength + upstream.readableLength;
      return bytes;
    },
    close() {
      refusing = true;
      cut();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
