import { describe, expect, it } from 'vitest';
import { amqpConnect, withHeartbeat, type AmqpSocketOptions } from '../src/amqpConnect.js';

describe('amqpConnect', () => {
  it('connects with a heartbeat, a handshake deadline and a connection name', async () => {
    const calls: Array<[string, AmqpSocketOptions]> = [];
    const connection = await amqpConnect(
      async (url, socketOptions) => {
        calls.push([url, socketOptions]);
        return 'the connection';
      },
      'amqp://guest:secret@127.0.0.1:5672/%2F',
      { heartbeatS: 7, timeoutMs: 3000, name: 'feed-publisher hr' },
    );
    expect(connection).toBe('the connection');
    expect(calls).toEqual([
      [
        'amqp://guest:secret@127.0.0.1:5672/%2F?heartbeat=7',
        { timeout: 3000, clientProperties: { connection_name: 'feed-publisher hr' } },
      ],
    ]);
  });

  it("keeps a heartbeat the URL sets: it is the operator's choice", () => {
    expect(withHeartbeat('amqp://h/v?heartbeat=30&frameMax=8192', 10)).toBe(
      'amqp://h/v?heartbeat=30&frameMax=8192',
    );
    expect(withHeartbeat('amqp://h/v?frameMax=8192', 10)).toBe(
      'amqp://h/v?frameMax=8192&heartbeat=10',
    );
  });
});
