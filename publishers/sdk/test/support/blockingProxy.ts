import net from 'node:net';

export interface BlockingProxy {
  port: number;
  /**
   * Does on the wire what RabbitMQ does under a memory or disk alarm: sends
   * `connection.blocked` and stops reading what the client sends (held, not lost).
   */
  block(reason: string): void;
  /** Sends `connection.unblocked` and forwards what was held. */
  unblock(): void;
  close(): Promise<void>;
}

const FRAME_END = 0xce;

/** An AMQP method frame on channel 0: connection.blocked (10, 60) or unblocked (10, 61). */
function connectionFrame(method: 60 | 61, reason?: string): Buffer {
  const args =
    reason === undefined
      ? Buffer.alloc(0)
      : Buffer.concat([Buffer.from([Buffer.byteLength(reason)]), Buffer.from(reason)]);
  const payload = Buffer.concat([Buffer.from([0, 10, 0, method]), args]);
  const header = Buffer.alloc(7);
  header.writeUInt8(1, 0);
  header.writeUInt16BE(0, 1);
  header.writeUInt32BE(payload.length, 3);
  return Buffer.concat([header, payload, Buffer.from([FRAME_END])]);
}

/**
 * A proxy in front of RabbitMQ that can block one test's connections, so the blocked path is
 * tested without a broker-wide alarm that would stall every other test. It forwards the
 * server's frames whole, so a notification is only ever inserted between two frames.
 */
export async function createBlockingProxy(targetPort = 5672): Promise<BlockingProxy> {
  const links = new Set<{
    client: net.Socket;
    upstream: net.Socket;
    send(frame: Buffer): void;
    held: Buffer[];
  }>();
  let blocked = false;

  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    let pendingFromServer = Buffer.alloc(0);
    const link = {
      client,
      upstream,
      held: [] as Buffer[],
      send: (frame: Buffer) => client.write(frame),
    };
    links.add(link);
    const end = () => {
      client.destroy();
      upstream.destroy();
      links.delete(link);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.on('data', (chunk: Buffer) => {
      if (blocked) link.held.push(chunk);
      else upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      pendingFromServer = Buffer.concat([pendingFromServer, chunk]);
      // Forward whole frames only: header (7) + payload + frame end.
      for (;;) {
        if (pendingFromServer.length < 7) return;
        const size = pendingFromServer.readUInt32BE(3);
        if (pendingFromServer.length < 8 + size) return;
        client.write(pendingFromServer.subarray(0, 8 + size));
        pendingFromServer = pendingFromServer.subarray(8 + size);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    port: (server.address() as net.AddressInfo).port,
    block(reason) {
      blocked = true;
      for (const link of links) link.send(connectionFrame(60, reason));
    },
    unblock() {
      blocked = false;
      for (const link of links) {
        link.send(connectionFrame(61));
        for (const chunk of link.held.splice(0)) link.upstream.write(chunk);
      }
    },
    close() {
      for (const link of links) {
        link.client.destroy();
        link.upstream.destroy();
      }
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
