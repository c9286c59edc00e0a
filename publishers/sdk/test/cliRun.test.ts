import { describe, expect, it } from 'vitest';
import { FeedError, FeedErrorCode, type FeedEvent } from '@feed/contracts';
import type { PublishInput } from '../src/buildMessage.js';
import { runCli, summaryLine } from '../src/cliRun.js';
import type { CliOptions } from '../src/cliArgs.js';

const options = (overrides: Partial<CliOptions> = {}): CliOptions => ({
  url: 'amqp://x',
  source: 'cli-test',
  events: [{ type: 'a.b', data: { n: 1 } }],
  count: 1,
  rate: undefined,
  inFlight: 10,
  timeoutMs: 1000,
  queueType: 'quorum',
  quiet: true,
  ...overrides,
});

function fakeIo() {
  let clock = 0;
  const lines: string[] = [];
  return {
    lines,
    io: {
      progress: (line: string) => lines.push(line),
      now: () => clock,
      sleep: async (ms: number) => {
        clock += ms;
      },
    },
  };
}

describe('runCli', () => {
  it('keeps at most --in-flight publishes waiting and counts every outcome', async () => {
    let open = 0;
    let most = 0;
    const seen: PublishInput[] = [];
    const publisher = {
      async publish(input: PublishInput | readonly PublishInput[]): Promise<FeedEvent[]> {
        const n = seen.push(input as PublishInput);
        open += 1;
        most = Math.max(most, open);
        await new Promise((resolve) => setImmediate(resolve));
        open -= 1;
        if (n % 10 === 0) throw new FeedError(FeedErrorCode.PublishNacked, 'nacked');
        return [];
      },
    };
    const { io, lines } = fakeIo();
    const summary = await runCli(
      options({ count: 50, events: [{ type: 'a.b', data: 1, id: 'k' }] }),
      publisher,
      io,
    );
    expect(summary).toMatchObject({
      published: 50,
      confirmed: 45,
      rejected: 5,
      errors: { FEED_PUBLISH_NACKED: 5 },
      firstError: 'nacked',
    });
    expect(most).toBeLessThanOrEqual(10);
    expect(new Set(seen.map((e) => e.id)).size).toBe(50);
    expect(lines.at(-1)).toBe('published 50/50, confirmed 45, rejected 5, 45000/s');
  });

  it('paces publishes to --rate', async () => {
    const { io } = fakeIo();
    const summary = await runCli(
      options({ count: 100, rate: 50 }),
      { publish: async () => [] },
      io,
    );
    // 100 publishes at 50/s: the last one is due at 1.98 s.
    expect(summary.seconds).toBeCloseTo(1.98, 2);
  });
});

describe('summaryLine', () => {
  it('redacts the password of every node of a cluster URL list, and says what was retried', () => {
    const url =
      'amqp://feed:first-secret@n1:5681/%2F,amqp://feed:second-secret@n2:5682/%2F,amqps://feed:third-secret@n3:5683/%2F';
    const line = summaryLine(
      url,
      { published: 3, confirmed: 3, rejected: 0, seconds: 1, perSecond: 3, errors: {} },
      { retried: 7, resent: 2, reconnects: 1 },
    );
    expect(line).not.toMatch(/secret/);
    expect(JSON.parse(line)).toEqual({
      url: 'amqp://feed:***@n1:5681/%2F,amqp://feed:***@n2:5682/%2F,amqps://feed:***@n3:5683/%2F',
      published: 3,
      confirmed: 3,
      rejected: 0,
      seconds: 1,
      perSecond: 3,
      errors: {},
      retried: 7,
      resent: 2,
      reconnects: 1,
    });
  });
});
