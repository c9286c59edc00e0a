import { describe, expect, it } from 'vitest';
import { connectLoop } from '../src/connectLoop.js';

const logger = { warn: () => {} };

describe('connectLoop', () => {
  it('waits capped exponential delays with full jitter, resetting after a healthy connection', async () => {
    const controller = new AbortController();
    const delays: number[] = [];
    let clock = 0;
    let calls = 0;
    await connectLoop({
      signal: controller.signal,
      minMs: 100,
      maxMs: 1000,
      healthyAfterMs: 5000,
      logger,
      random: () => 0.999999,
      now: () => clock,
      sleep: async (ms) => {
        delays.push(ms);
        clock += ms;
      },
      connection: async () => {
        calls += 1;
        // The 7th connection runs healthy for a while before it is lost.
        if (calls === 7) {
          clock += 6000;
          return;
        }
        if (calls === 10) controller.abort();
        throw new Error('ECONNREFUSED');
      },
    });
    expect(delays).toEqual([99, 199, 399, 799, 999, 999, 99, 199, 399]);
  });

  it('starts from the minimum again after a connection that called healthy(), however short', async () => {
    const controller = new AbortController();
    const delays: number[] = [];
    const attempts: number[] = [];
    let calls = 0;
    await connectLoop({
      signal: controller.signal,
      minMs: 100,
      maxMs: 1000,
      logger,
      random: () => 0.999999,
      now: () => 0,
      sleep: async (ms) => {
        delays.push(ms);
      },
      connection: async (attempt, healthy) => {
        attempts.push(attempt);
        calls += 1;
        // The 4th connection gets its channel open, then is lost at once.
        if (calls === 4) return healthy();
        if (calls === 7) controller.abort();
        throw new Error('ECONNREFUSED');
      },
    });
    expect(attempts).toEqual([0, 1, 2, 3, 1, 2, 3]);
    expect(delays).toEqual([99, 199, 399, 99, 199, 399]);
  });

  it('without healthyAfterMs, a long connection that never called healthy() keeps the delay growing', async () => {
    const controller = new AbortController();
    const delays: number[] = [];
    let clock = 0;
    let calls = 0;
    await connectLoop({
      signal: controller.signal,
      minMs: 100,
      maxMs: 1000,
      logger,
      random: () => 0.999999,
      now: () => clock,
      sleep: async (ms) => {
        delays.push(ms);
      },
      connection: async () => {
        clock += 60_000;
        if (++calls === 4) controller.abort();
        throw new Error('refused after the handshake');
      },
    });
    expect(delays).toEqual([99, 199, 399]);
  });

  it('after a connection that ended having lasted atOnceAfterMs, tries again at once; never after a failure or a short connection', async () => {
    const controller = new AbortController();
    const delays: number[] = [];
    let clock = 0;
    let calls = 0;
    // Connection by connection: up 5 s then lost, refused, up 5 s then lost, up 0.2 s then lost,
    // refused, up 5 s then lost.
    const lives: Array<number | 'refused'> = [5000, 'refused', 5000, 200, 'refused', 5000];
    await connectLoop({
      signal: controller.signal,
      minMs: 100,
      maxMs: 1000,
      atOnceAfterMs: 1000,
      logger,
      random: () => 0.999999,
      now: () => clock,
      sleep: async (ms) => {
        delays.push(ms);
      },
      connection: async () => {
        const life = lives[calls++]!;
        if (calls === lives.length) controller.abort();
        if (life === 'refused') throw new Error('ECONNREFUSED');
        clock += life;
      },
    });
    expect(delays).toEqual([0, 199, 0, 799, 999]);
  });

  it('stops on a fatal error and rethrows it', async () => {
    const fatal = new Error('mismatch');
    let calls = 0;
    await expect(
      connectLoop({
        signal: new AbortController().signal,
        minMs: 0,
        maxMs: 1,
        healthyAfterMs: 1000,
        logger,
        isFatal: (error) => error === fatal,
        connection: async () => {
          calls += 1;
          throw fatal;
        },
      }),
    ).rejects.toBe(fatal);
    expect(calls).toBe(1);
  });

  it('keeps the stack flat over thousands of failed attempts', async () => {
    const controller = new AbortController();
    const depths: number[] = [];
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = Infinity;
    try {
      await connectLoop({
        signal: controller.signal,
        minMs: 0,
        maxMs: 1,
        healthyAfterMs: 1000,
        logger,
        sleep: () => new Promise((resolve) => setImmediate(resolve)),
        onAttempt: (attempt) => {
          depths.push(new Error().stack!.split('\n').length);
          if (attempt === 5000) controller.abort();
        },
        connection: async () => {
          await Promise.resolve();
          throw new Error('ECONNREFUSED');
        },
      });
    } finally {
      Error.stackTraceLimit = limit;
    }
    expect(depths.length).toBe(5001);
    expect(new Set(depths.slice(1)).size).toBe(1);
  });

  it('logs every attempt with its delay', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const capture = {
      warn: (details: object, msg: string) => lines.push({ ...details, msg }),
    };
    const controller = new AbortController();
    let calls = 0;
    await connectLoop({
      signal: controller.signal,
      minMs: 10,
      maxMs: 10,
      healthyAfterMs: 1000,
      logger: capture,
      random: () => 0.5,
      connection: async () => {
        if (++calls === 3) controller.abort();
        throw new Error('down');
      },
    });
    expect(lines.map((l) => [l.attempt, l.delayMs, l.msg])).toEqual([
      [1, 5, 'connect attempt failed; retrying after delay'],
      [2, 5, 'connect attempt failed; retrying after delay'],
    ]);
  });

  it('names the client in its log lines when given a name', async () => {
    const messages: string[] = [];
    const controller = new AbortController();
    let calls = 0;
    await connectLoop({
      name: 'live feed',
      signal: controller.signal,
      minMs: 1,
      maxMs: 1,
      logger: { warn: (_details, message) => messages.push(message) },
      sleep: async () => {},
      connection: async (_attempt, healthy) => {
        calls += 1;
        if (calls === 1) throw new Error('down');
        if (calls === 3) controller.abort();
        healthy();
      },
    });
    expect(messages).toEqual([
      'live feed: connect attempt failed; retrying after delay',
      'live feed: connection lost; reconnecting after delay',
    ]);
  });
});
