import net from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTcpProxy, waitFor, type TcpProxy } from '../index.js';

let echo: net.Server;
let proxy: TcpProxy;

beforeAll(async () => {
  echo = net.createServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  proxy = await createTcpProxy((echo.address() as net.AddressInfo).port);
});
afterAll(async () => {
  await proxy.close();
  await new Promise((resolve) => echo.close(resolve));
});

it('forwards, freezes, thaws, cuts and refuses', async () => {
  const socket = net.connect(proxy.port, '127.0.0.1');
  let received = '';
  socket.on('data', (chunk) => (received += chunk.toString()));
  socket.write('a');
  await waitFor('echo of a', () => received === 'a');
  proxy.freeze();
  socket.write('b');
  await waitFor('the proxy to hold the write', () => proxy.connections() === 1);
  expect(received).toBe('a');
  proxy.thaw();
  await waitFor('echo of b after thaw', () => received === 'ab');
  const closed = new Promise((resolve) => socket.on('close', resolve));
  proxy.cut();
  await closed;
  proxy.down();
  const refused = net.connect(proxy.port, '127.0.0.1');
  await new Promise((resolve) => refused.on('close', resolve));
  proxy.up();
  const again = net.connect(proxy.port, '127.0.0.1');
  await new Promise((resolve) => again.on('connect', resolve));
  again.destroy();
});
