import { describe, expect, it } from 'vitest';
import { EventQuota } from '../src/eventQuota.js';

describe('EventQuota', () => {
  it('takes events per key and minute, all or none, and gives back what was not published', () => {
    let now = 1_000_000;
    const quota = new EventQuota(100, () => now);
    expect(quota.take('key:a', 60)).toBeUndefined();
    expect(quota.take('key:a', 50)).toEqual({ left: 40, retryInS: 60 });
    expect(quota.take('key:b', 100)).toBeUndefined();
    expect(quota.take('key:a', 40)).toBeUndefined();
    quota.giveBack('key:a', 30);
    now += 45_500;
    expect(quota.take('key:a', 31)).toEqual({ left: 30, retryInS: 15 });
    expect(quota.take('key:a', 30)).toBeUndefined();
    now += 14_500;
    expect(quota.take('key:a', 100)).toBeUndefined();
  });
});
