import { describe, expect, it } from 'vitest';
import type { FeedEvent } from '@feed/contracts';
import { checkSourceUser, parseSourceUsers } from '../src/sourceUsers.js';

const event = (source: string): FeedEvent => ({
  specversion: '1.0',
  id: `e-${source}`,
  source,
  type: 'department.renamed',
  time: '2026-11-22T10:00:00.000Z',
  data: { departmentId: 'd-1', from: 'Sales', to: 'Revenue' },
});

describe('WORKER_SOURCE_USERS', () => {
  const users = parseSourceUsers('registrar=registrar, hr-bot=hr-service|hr')!;

  it('is off when empty, and reads users with their sources', () => {
    expect(parseSourceUsers(' , ')).toBeUndefined();
    expect([...users]).toEqual([
      ['registrar', ['registrar']],
      ['hr-bot', ['hr-service', 'hr']],
    ]);
    expect(() => parseSourceUsers('registrar')).toThrow(
      'invalid configuration: WORKER_SOURCE_USERS: entry 1 is not <user>=<source>[|<source>…] (registrar=registrar)',
    );
  });

  it('lets a user publish as its own sources only, and names the rule otherwise', () => {
    expect(checkSourceUser([event('hr'), event('hr-service')], 'hr-bot', users)).toMatchObject({
      ok: true,
    });
    expect(checkSourceUser([event('registrar'), event('payroll')], 'registrar', users)).toEqual({
      ok: false,
      code: 'FEED_ERR_SOURCE_FORBIDDEN',
      reason:
        'event 1: user "registrar" may publish as registrar, not "payroll" (WORKER_SOURCE_USERS)',
    });
    expect(checkSourceUser([event('payroll')], 'guest', users)).toEqual({
      ok: false,
      code: 'FEED_ERR_SOURCE_FORBIDDEN',
      reason: 'user_id "guest" may publish as no source (add it to WORKER_SOURCE_USERS)',
    });
    expect(checkSourceUser([event('registrar')], undefined, users)).toMatchObject({
      ok: false,
      code: 'FEED_ERR_SOURCE_FORBIDDEN',
    });
  });
});
