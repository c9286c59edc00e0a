import { describe, expect, it } from 'vitest';
import { PendingQueue } from '../src/pendingQueue.js';

const item = (seq: number) => ({ seq, settled: false });

describe('PendingQueue', () => {
  it('is first in, first out, skipping settled entries', () => {
    const queue = new PendingQueue<ReturnType<typeof item>>();
    const items = [1, 2, 3, 4].map(item);
    items.forEach((i) => queue.push(i));
    items[1]!.settled = true;
    expect([queue.shift()?.seq, queue.shift()?.seq, queue.shift()?.seq, queue.shift()]).toEqual([
      1,
      3,
      4,
      undefined,
    ]);
  });

  it('puts lost in-flight messages back in front, in publish order', () => {
    const queue = new PendingQueue<ReturnType<typeof item>>();
    queue.push(item(5));
    queue.push(item(6));
    const lost = [item(3), item(1), item(2)];
    lost[2]!.settled = true;
    queue.requeueFront(lost);
    const order: number[] = [];
    for (let next = queue.shift(); next; next = queue.shift()) order.push(next.seq);
    expect(order).toEqual([1, 3, 5, 6]);
  });

  it('frees expired entries at the head and stays linear over many', () => {
    const queue = new PendingQueue<ReturnType<typeof item>>();
    const items = Array.from({ length: 50_000 }, (_, i) => item(i));
    items.forEach((i) => queue.push(i));
    for (const i of items.slice(0, 49_999)) i.settled = true;
    queue.dropSettledHead();
    expect(queue.length).toBe(1);
    expect(queue.shift()?.seq).toBe(49_999);
  });
});
