import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FeedErrorCode, parseMessage } from '@feed/contracts';
import { buildMessage, type PublishInput } from '../src/buildMessage.js';

const defaults = {
  source: 'hr',
  now: () => new Date('2026-11-22T10:00:00.000Z'),
  newId: () => 'id-1',
};

/** The event the worker will store from the message built for `input`. */
function stored(input: PublishInput) {
  const message = buildMessage(input, defaults);
  const parsed = parseMessage(message.body, message.properties);
  expect(parsed).toEqual({ ok: true, events: [message.event] });
  return message;
}

describe('buildMessage sends what the tolerant wire contract reads', () => {
  it('an actor object: the id is the actor, its name is kept beside it', () => {
    const { event, properties } = stored({
      type: 'kudos.sent',
      data: { text: 'thanks' },
      actor: { id: 'hr-7', name: 'HR bot' },
      subject: { id: 42, login: 'octocat' },
    });
    expect(event).toMatchObject({
      actor: 'hr-7',
      actorName: 'HR bot',
      subject: '42',
      subjectName: 'octocat',
    });
    expect(properties.messageId).toBe('id-1');
  });

  it('extension attributes beside the event', () => {
    const { event, body } = stored({
      type: 'kudos.sent',
      data: { text: 'thanks' },
      extensions: { summary: 'Anna thanked Oleg' },
    });
    expect(event.extensions).toEqual({ summary: 'Anna thanked Oleg' });
    // On the wire as CloudEvents puts them: top-level keys.
    expect(JSON.parse(body.toString())).toMatchObject({ summary: 'Anna thanked Oleg' });
  });

  it('an integer id, and a time without an offset read as UTC', () => {
    const { event, properties } = stored({
      type: 'x.y',
      data: 1,
      id: 17,
      time: '2026-11-22T10:00:00.123456',
    });
    expect(event).toMatchObject({ id: '17', time: '2026-11-22T10:00:00.123Z' });
    expect(properties).toMatchObject({ messageId: '17', timestamp: 1795341600 });
  });

  it.each([
    [
      'an extension named like an attribute',
      { type: 'x.y', data: 1, extensions: { time: 'now' } },
      /^event: extension "time" is named like an attribute/,
    ],
    ['extensions that are no object', { type: 'x.y', data: 1, extensions: [1] }, /extensions/],
    [
      'a forbidden key among the extensions',
      { type: 'x.y', data: 1, extensions: JSON.parse('{"__proto__": 1}') },
      /FEED_ERR_FORBIDDEN_KEY/,
    ],
    ['an actor object without an id', { type: 'x.y', data: 1, actor: { name: 'x' } }, /actor/],
  ])('refuses %s', (_label, input, reason) => {
    expect(() => buildMessage(input as PublishInput, defaults)).toThrow(reason);
    try {
      buildMessage(input as PublishInput, defaults);
    } catch (error) {
      expect((error as { code: string }).code).toBe(FeedErrorCode.PublishInvalid);
    }
  });

  it('agrees with the worker on actors, subjects, ids, times and extensions', () => {
    // A JSON value as it comes off the wire: fast-check may make -0, which JSON writes as 0.
    const jsonOnWire = (maxDepth: number) =>
      fc.jsonValue({ maxDepth }).map((value) => JSON.parse(JSON.stringify(value)) as unknown);
    const person = fc.oneof(
      fc.string({ maxLength: 3 }),
      fc.integer(),
      fc.record(
        { id: fc.oneof(fc.string({ maxLength: 3 }), fc.integer()), name: fc.string() },
        { requiredKeys: ['id'] },
      ),
    );
    fc.assert(
      fc.property(
        fc.record(
          {
            type: fc.constantFrom('x.y', 'reaction.added'),
            data: jsonOnWire(2),
            id: fc.oneof(fc.string({ maxLength: 3 }), fc.integer()),
            actor: person,
            subject: person,
            time: fc.constantFrom('2026-11-22T10:00:00', '2026-02-29T00:00:00Z', '2026-11-22'),
            extensions: fc.dictionary(fc.string({ maxLength: 4 }), jsonOnWire(1)),
          },
          { requiredKeys: ['type', 'data'] },
        ),
        (input) => {
          let message;
          try {
            message = buildMessage(input as PublishInput, defaults);
          } catch (error) {
            expect((error as Error).message).toMatch(/^event(:| is invalid \(FEED_ERR_)/);
            return;
          }
          expect(parseMessage(message.body, message.properties)).toEqual({
            ok: true,
            events: [message.event],
          });
        },
      ),
      { numRuns: 1000 },
    );
  });
});
