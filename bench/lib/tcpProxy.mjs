import net from 'node:net';

/**
 * A TCP proxy to a local port that can be taken down: the listener closes and every open
 * connection is destroyed, as when the broker's host goes away. Only the process that owns it
 * loses its broker; the broker itself is never touched.
 */
export async function createTcpProxy(targetPort, targetHost = '127.0.0.1') {
  const sockets = new Set();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, targetHost);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {});
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    down() {
      server.close();
      for (const socket of sockets) socket.destroy();
    },
  };
}
