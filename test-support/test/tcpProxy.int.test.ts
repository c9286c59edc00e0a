import net from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTcpProxy, waitFor, type TcpProxy } from '../index.js';

/** An echo server that also keeps its sockets, so a test can make it speak first. */
let echo: net.Server;
let serverReceived = '';
const serverSockets: net.Socket[] = [];
let proxy: TcpProxy;

beforeAll(async () => {
  echo = net.createServer((socket) => {
    serverSockets.push(socket);
    socket.on('data', (chunk) => {
      serverReceived += chunk.toString();
      socket.write(chunk);
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  proxy = await createTcpProxy((echo.address() as net.AddressInfo).port);
});
afterAll(async () => {
  await proxy.close();
  for (const socket of serverSockets) socket.destroy();
  await new Promise((resolve) => echo.close(resolve));
});

it('forwards, freezes both directions, thaws, cuts and refuses', async () => {
  const socket = net.connect(proxy.port, '127.0.0.1');
  let received = '';
  socket.on('data', (chunk) => (received += chunk.toString()));
  socket.write('a');
  await waitFor('echo of a', () => received === 'a');
  expect(proxy.held()).toBe(0);

  proxy.freeze();
  // Client to server: the byte reaches the proxy and stops there. A proxy that kept
  // forwarding would pass it on as it arrives and hold nothing, and this wait would fail.
  socket.write('b');
  await waitFor('the proxy to hold the client byte', () => proxy.held() === 1);
  expect(serverReceived).toBe('a');
  // Server to client: the same, the other way.
  serverSockets[0]!.write('x');
  await waitFor('the proxy to hold the server byte', () => proxy.held() === 2);
  expect(received).toBe('a');

  proxy.thaw();
  await waitFor('what was held, delivered after the thaw', () => received.length === 3);
  expect([...received].sort().join('')).toBe('abx');
  expect(serverReceived).toBe('ab');
  expect(proxy.held()).toBe(0);

  const closed = new Promise((resolve) => socket.on('close', resolve));
  expect(proxy.cut()).toBe(1);
  await closed;
  expect(proxy.cut()).toBe(0);
  proxy.down();
  const refused = net.connect(proxy.port, '127.0.0.1');
  await new Promise((resolve) => refused.on('close', resolve));
  proxy.up();
  const again = net.connect(proxy.port, '127.0.0.1');
  await new Promise((resolve) => again.on('connect', resolve));
  again.destroy();
});
