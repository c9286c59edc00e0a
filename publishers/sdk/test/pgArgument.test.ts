import { describe, expect, it } from 'vitest';
import { FeedErrorCode } from '@feed/contracts';
import { enqueue, migrateOutbox, startOutboxRelay } from '../src/index.js';
import { assertPgObject } from '../src/pgArgument.js';

const publisher = { publish: async () => [] };
const namesPg = expect.objectContaining({
  code: FeedErrorCode.Config,
  message: expect.stringContaining('optional peer dependency of @feed/publisher (npm install pg)'),
});

describe('the outbox without pg', () => {
  it('startOutboxRelay without a pool names pg', () => {
    expect(() =>
      startOutboxRelay({ pool: undefined as never, publisher, pollIntervalMs: 60_000 }),
    ).toThrow(namesPg);
    expect(() =>
      startOutboxRelay({ pool: undefined as never, publisher, pollIntervalMs: 60_000 }),
    ).toThrow('startOutboxRelay({ pool }) needs a pg Pool, got undefined');
  });

  it('migrateOutbox and enqueue without a pg object name pg', async () => {
    await expect(migrateOutbox(null as never)).rejects.toThrow(namesPg);
    await expect(migrateOutbox({ query: () => {} } as never)).rejects.toThrow(
      'migrateOutbox(pool) needs a pg Pool, got object',
    );
    await expect(
      enqueue('postgres://localhost/app' as never, { type: 'x.y', data: {}, source: 's' }),
    ).rejects.toThrow('enqueue(client, …) needs a pg client or Pool, got string');
  });

  it('lets through anything with the methods it uses', () => {
    expect(() => assertPgObject({ query() {} }, 'enqueue', 'a pg client or Pool')).not.toThrow();
    expect(() => assertPgObject({ connect() {}, query() {} }, 'x', 'a pg Pool')).not.toThrow();
  });
});
