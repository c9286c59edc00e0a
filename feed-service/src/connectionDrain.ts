import type { Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface ConnectionDrain {
  /**
   * Starts the drain: closes every connection with no response in progress now and each one
   * as soon as its response is done, and after `graceMs` every connection left (a stream
   * client that stopped reading and cannot take its last frame, a slow request).
   */
  start(graceMs: number): void;
}

/**
 * `server.close()` waits for every connection to end, but only closes the ones Node counts as
 * idle at that instant. A connection that never sent a request (a client or browser that
 * connected ahead of time; Node counts it as active so its headers timeout applies, and close
 * stops that timer) and a keep-alive connection whose response finishes during the close
 * would keep it waiting for good, and the process past its shutdown deadline. So the app
 * tracks its connections and ends those itself.
 */
export function trackConnections(server: Server): ConnectionDrain {
  /** Every open connection, with the number of its responses in progress. */
  const connections = new Map<Socket, number>();
  let draining = false;

  server.on('connection', (socket: Socket) => {
    connections.set(socket, 0);
    socket.once('close', () => connections.delete(socket));
  });
  server.on('request', (request: { socket: Socket }, response: ServerResponse) => {
    const socket = request.socket;
    connections.set(socket, (connections.get(socket) ?? 0) + 1);
    let done = false;
    const finished = () => {
      if (done) return;
      done = true;
      const inFlight = (connections.get(socket) ?? 1) - 1;
      if (!connections.has(socket)) return;
      connections.set(socket, inFlight);
      // While draining, a connection is closed as soon as it has nothing left to send.
      if (draining && inFlight === 0) setImmediate(() => socket.destroySoon());
    };
    response.once('finish', finished);
    response.once('close', finished);
  });

  return {
    start(graceMs) {
      if (draining) return;
      draining = true;
      for (const [socket, inFlight] of connections) if (inFlight === 0) socket.destroy();
      const force = setTimeout(() => {
        for (const socket of connections.keys()) socket.destroy();
      }, graceMs);
      force.unref();
      server.once('close', () => clearTimeout(force));
    },
  };
}
