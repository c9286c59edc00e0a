import { describe, expect, it } from 'vitest';
import { AckTracker } from '../src/ackTracker.js';

/** A tracker over a recording channel and a clock and timers the test moves by hand. */
function setup(waitMs = 1000) {
  const sent: string[] = [];
  let clock = 0;
  const timers: Array<{ at: number; run: () => void; cancelled: boolean }> = [];
  const tracker = new AckTracker<string>(
    {
      ack: (tag, allUpTo) => sent.push(`ack ${tag}${allUpTo ? ' multiple' : ''}`),
      reject: (tag) => sent.push(`reject ${tag}`),
    },
    {
      waitMs,
      now: () => clock,
      setTimer: (run, ms) => {
        const timer = { at: clock + ms, run, cancelled: false };
        timers.push(timer);
        return { cancel: () => (timer.cancelled = true) };
      },
    },
  );
  const advance = (ms: number) => {
    clock += ms;
    for (const timer of timers.splice(0))
      if (!timer.cancelled && timer.at <= clock) timer.run();
      else if (!timer.cancelled) timers.push(timer);
  };
  const deliver = (...names: string[]) =>
    names.forEach((name) => tracker.received(name, Number(name.slice(1))));
  return { tracker, sent, advance, deliver };
}

describe('AckTracker', () => {
  it('acks a finished run at the front with one multiple ack on its last tag', () => {
    const { tracker, sent, deliver } = setup();
    deliver('m1', 'm2', 'm3', 'm4');
    tracker.done(['m1', 'm2', 'm3']);
    expect(sent).toEqual(['ack 3 multiple']);
    expect(tracker.outstanding).toBe(1);
  });

  it('holds finished messages behind an unfinished one, then acks them in one go when it finishes', () => {
    const { tracker, sent, deliver } = setup();
    deliver('m1', 'm2', 'm3');
    tracker.done(['m2', 'm3']);
    expect(sent).toEqual([]);
    expect(tracker.holdup()).toMatchObject({ message: 'm1', waiting: 2 });
    tracker.done(['m1']);
    expect(sent).toEqual(['ack 3 multiple']);
    expect(tracker.holdup()).toBeUndefined();
  });

  it('acks messages that waited past the bound on their own, and never covers them again', () => {
    const { tracker, sent, advance, deliver } = setup(1000);
    deliver('m1', 'm2', 'm3', 'm4');
    tracker.done(['m2', 'm3']);
    advance(999);
    expect(sent).toEqual([]);
    advance(1);
    expect(sent).toEqual(['ack 2', 'ack 3']);
    // m1 finishes: the run m1..m3 has only m1 left unacked; the multiple ack names m1.
    tracker.done(['m1']);
    expect(sent).toEqual(['ack 2', 'ack 3', 'ack 1 multiple']);
    tracker.done(['m4']);
    expect(sent.at(-1)).toBe('ack 4 multiple');
    expect(tracker.outstanding).toBe(0);
  });

  it('rejects at once and lets the run continue past the rejected tag', () => {
    const { tracker, sent, deliver } = setup();
    deliver('m1', 'm2', 'm3');
    tracker.done(['m1']);
    tracker.reject('m2');
    tracker.done(['m3']);
    expect(sent).toEqual(['ack 1 multiple', 'reject 2', 'ack 3 multiple']);
  });

  it('sends nothing once closed (the channel is gone; the broker redelivers)', () => {
    const { tracker, sent, advance, deliver } = setup();
    deliver('m1', 'm2');
    tracker.done(['m2']);
    tracker.close();
    advance(5000);
    tracker.done(['m1']);
    expect(sent).toEqual([]);
  });

  it('counts the bytes in hand, as received and as reweighed after parsing, until acked', () => {
    const { tracker } = setup();
    tracker.received('m1', 1, 100);
    tracker.received('m2', 2, 50);
    tracker.reweigh('m1', 1000);
    expect(tracker.bytes).toBe(1050);
    tracker.done(['m1']);
    expect(tracker.bytes).toBe(50);
    expect(tracker.peakBytes).toBe(1050);
  });

  it('ignores messages it never saw and repeated dones', () => {
    const { tracker, sent, deliver } = setup();
    deliver('m1');
    tracker.done(['m9', 'm1', 'm1']);
    tracker.done(['m1']);
    expect(sent).toEqual(['ack 1 multiple']);
  });
});
