import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Batcher } from '../src/batcher.js';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('Batcher', () => {
  it('hands out a full batch at once, in order, and keeps the rest', async () => {
    const batcher = new Batcher<number>({ maxSize: 3, maxWaitMs: 1000 });
    for (const n of [1, 2, 3, 4]) batcher.push(n);
    expect(await batcher.next()).toEqual([1, 2, 3]);
    expect(batcher.size).toBe(1);
  });

  it('hands out a partial batch once its oldest item waited maxWaitMs', async () => {
    const batcher = new Batcher<number>({ maxSize: 10, maxWaitMs: 20 });
    let batch: number[] | undefined;
    void batcher.next().then((b) => (batch = b));
    batcher.push(1);
    await vi.advanceTimersByTimeAsync(10);
    batcher.push(2);
    expect(batch).toBeUndefined();
    await vi.advanceTimersByTimeAsync(10);
    expect(batch).toEqual([1, 2]);
  });

  it('hands out at once items that already waited while the caller was busy', async () => {
    const batcher = new Batcher<number>({ maxSize: 10, maxWaitMs: 20 });
    batcher.push(1);
    await vi.advanceTimersByTimeAsync(50);
    expect(await batcher.next()).toEqual([1]);
  });

  it('fills up to maxSize while waiting', async () => {
    const batcher = new Batcher<number>({ maxSize: 2, maxWaitMs: 1000 });
    const next = batcher.next();
    batcher.push(1);
    batcher.push(2);
    expect(await next).toEqual([1, 2]);
  });

  it('removes the items of a lost channel', async () => {
    const batcher = new Batcher<{ ch: string; n: number }>({ maxSize: 10, maxWaitMs: 0 });
    batcher.push({ ch: 'a', n: 1 });
    batcher.push({ ch: 'b', n: 2 });
    batcher.push({ ch: 'a', n: 3 });
    expect(batcher.remove((item) => item.ch === 'a').map((i) => i.n)).toEqual([1, 3]);
    expect(await batcher.next()).toEqual([{ ch: 'b', n: 2 }]);
  });

  it('after close, hands out what is left without waiting, then empty batches', async () => {
    const batcher = new Batcher<number>({ maxSize: 10, maxWaitMs: 60_000 });
    const next = batcher.next();
    batcher.push(1);
    batcher.close();
    expect(await next).toEqual([1]);
    expect(await batcher.next()).toEqual([]);
  });

  it('refuses a second concurrent waiter', () => {
    const batcher = new Batcher<number>({ maxSize: 10, maxWaitMs: 10 });
    void batcher.next();
    expect(() => batcher.next()).toThrow(/already awaited/);
  });
});
