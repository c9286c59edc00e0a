import { describe, expect, it } from 'vitest';
import { amqpConnectAny } from '../src/amqpConnectAny.js';

/** A connection as the fake connect hands it out: it records whether it was closed. */
class FakeConnection {
  closed = false;
  constructor(readonly url: string) {}
  on(): this {
    return this;
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

const options = { heartbeatS: 10, timeoutMs: 5000, name: 'test', staggerMs: 5 };
const urls = ['amqp://u:one@a:5672', 'amqp://u:two@b:5672', 'amqp://u:three@c:5672'];
const host = (url: string) => new URL(url).host;

describe('amqpConnectAny', () => {
  it('goes to the next node at once when a node refuses', async () => {
    const tried: string[] = [];
    const node = await amqpConnectAny(
      async (url) => {
        tried.push(host(url));
        if (url.includes('@a:')) throw new Error('connect ECONNREFUSED');
        return new FakeConnection(url);
      },
      urls,
      { ...options, first: 0, staggerMs: 60_000 },
    );
    expect(tried).toEqual(['a:5672', 'b:5672']);
    expect(node.index).toBe(1);
    expect(host(node.url)).toBe('b:5672');
  });

  it('tries the next node beside one that says nothing, and closes the silent one if it answers late', async () => {
    let answerLate!: (connection: FakeConnection) => void;
    const late = new Promise<FakeConnection>((resolve) => (answerLate = resolve));
    const node = await amqpConnectAny(
      (url) => (url.includes('@a:') ? late : Promise.resolve(new FakeConnection(url))),
      urls,
      { ...options, first: 0 },
    );
    expect(host(node.url)).toBe('b:5672');
    const silent = new FakeConnection(urls[0]!);
    answerLate(silent);
    await late;
    await Promise.resolve();
    expect(silent.closed).toBe(true);
    expect(node.connection.closed).toBe(false);
  });

  it('starts from the node asked for and wraps around the list', async () => {
    const tried: string[] = [];
    const node = await amqpConnectAny(
      async (url) => {
        tried.push(host(url));
        if (!url.includes('@a:')) throw new Error('connect ECONNREFUSED');
        return new FakeConnection(url);
      },
      urls,
      { ...options, first: 4 },
    );
    expect(tried).toEqual(['b:5672', 'c:5672', 'a:5672']);
    expect(node.index).toBe(0);
  });

  it('rejects when every node failed, naming each one without its password', async () => {
    const failing = amqpConnectAny(
      async (url) => {
        throw new Error(`connect ECONNREFUSED ${host(url)}`);
      },
      urls,
      { ...options, first: 0 },
    );
    await expect(failing).rejects.toThrow(
      'no node answered (amqp://u:***@a:5672: connect ECONNREFUSED a:5672; ' +
        'amqp://u:***@b:5672: connect ECONNREFUSED b:5672; amqp://u:***@c:5672: connect ECONNREFUSED c:5672)',
    );
    await failing.catch((error: Error) =>
      expect(String(error.message)).not.toMatch(/one|two|three/),
    );
  });

  it("with one node, rejects with that node's own error", async () => {
    const refused = new Error('connect ECONNREFUSED');
    await expect(
      amqpConnectAny(
        async () => {
          throw refused;
        },
        [urls[0]!],
        { ...options, first: 0 },
      ),
    ).rejects.toBe(refused);
  });
});
