import net from 'node:net';

/**
 * A TCP port free right now on 127.0.0.1. The kernel hands out ports in a rotating order, so
 * the short gap until the process binds it is safe in practice; a clash shows as a failed
 * start, with the process's log.
 */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
