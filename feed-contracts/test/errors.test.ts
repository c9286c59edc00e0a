import { describe, expect, it } from 'vitest';
import { FeedError, FeedErrorCode, isFeedError } from '../src/index.js';

describe('FeedError', () => {
  it('is permanent for rejections of the event itself', () => {
    for (const code of [
      FeedErrorCode.NotJson,
      FeedErrorCode.Schema,
      FeedErrorCode.Refused,
      FeedErrorCode.PublishInvalid,
      FeedErrorCode.PublishUnroutable,
      FeedErrorCode.TopologyMismatch,
    ])
      expect(new FeedError(code, 'x').permanent).toBe(true);
  });

  it('is transient when the same event can succeed later', () => {
    for (const code of [
      FeedErrorCode.DatabaseUnavailable,
      FeedErrorCode.BrokerUnavailable,
      FeedErrorCode.PublishBufferFull,
      FeedErrorCode.PublishTimeout,
      FeedErrorCode.PublishNacked,
      FeedErrorCode.PublishClosed,
    ])
      expect(new FeedError(code, 'x').permanent).toBe(false);
  });

  it('keeps its code, message and cause', () => {
    const cause = new Error('socket closed');
    const error = new FeedError(FeedErrorCode.BrokerUnavailable, 'broker away', { cause });
    expect(isFeedError(error)).toBe(true);
    expect(error).toMatchObject({
      code: 'FEED_ERR_BROKER_UNAVAILABLE',
      message: 'broker away',
      cause,
    });
  });
});
