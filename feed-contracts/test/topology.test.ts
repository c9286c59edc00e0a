import { describe, expect, it } from 'vitest';
import { describeTopologyMismatch, queueArguments } from '../src/index.js';

describe('describeTopologyMismatch', () => {
  it('names the queue and the differing argument', () => {
    const message =
      "Operation failed: QueueDeclare; 406 (PRECONDITION-FAILED) with message \"PRECONDITION_FAILED - inequivalent arg 'x-queue-type' for queue 'feed.events' in vhost '/': received 'classic' but current is 'quorum'\"";
    expect(describeTopologyMismatch({ code: 406, message })).toEqual({
      kind: 'queue',
      name: 'feed.events',
      queue: 'feed.events',
      argument: 'x-queue-type',
      message,
    });
  });

  it('names an exchange declared with another type', () => {
    const message =
      "PRECONDITION_FAILED - inequivalent arg 'type' for exchange 'feed' in vhost '/': received 'topic' but current is 'direct'";
    expect(describeTopologyMismatch({ code: 406, message })).toMatchObject({
      kind: 'exchange',
      name: 'feed',
      argument: 'type',
    });
  });

  it('is null for any other error', () => {
    expect(describeTopologyMismatch(new Error('boom'))).toBeNull();
    expect(
      describeTopologyMismatch({ code: 404, message: "NOT_FOUND - no exchange 'x'" }),
    ).toBeNull();
    expect(describeTopologyMismatch(null)).toBeNull();
  });
});

describe('queueArguments', () => {
  it('is quorum by default, classic by option, dead-lettering to feed.dlx', () => {
    expect(queueArguments()).toEqual({
      'x-queue-type': 'quorum',
      'x-dead-letter-exchange': 'feed.dlx',
    });
    expect(queueArguments({ queueType: 'classic' })['x-queue-type']).toBe('classic');
  });
});
