import { createServer, type Socket } from 'node:net';

export interface SilentServer {
  /** The port on 127.0.0.1 that takes connections and never answers them. */
  port: number;
  /** Connections it has taken so far. */
  accepted(): number;
  close(): Promise<void>;
}

/**
 * A node that is there and says nothing: it accepts TCP connections and never writes a byte,
 * as a hung broker or a host whose port still takes connections does. A client's handshake to
 * it ends only at the client's own deadline.
 */
export async function createSilentServer(): Promise<SilentServer> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer((socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    accepted: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
