import { describe, expect, it } from 'vitest';
import { FeedErrorCode, parseMessage } from '@feed/contracts';
import { buildMessage, buildMessages } from '../src/buildMessage.js';

const defaults = {
  source: 'registrar',
  now: () => new Date('2024-05-01T10:00:00.000Z'),
  newId: () => 'id-1',
};
const registered = {
  type: 'employee.registered',
  data: { employeeId: 'e1', name: 'Ada', team: 'Core', position: 'Engineer' },
};

describe('buildMessage', () => {
  it('builds the wire contract: persistent, mandatory, CloudEvents JSON, properties set', () => {
    const message = buildMessage(registered, defaults);
    expect(message.routingKey).toBe('employee.registered');
    expect(message.properties).toEqual({
      persistent: true,
      mandatory: true,
      contentType: 'application/cloudevents+json',
      messageId: 'id-1',
      appId: 'registrar',
      type: 'employee.registered',
      timestamp: Date.parse('2024-05-01T10:00:00.000Z') / 1000,
    });
    expect(JSON.parse(message.body.toString('utf8'))).toEqual({
      specversion: '1.0',
      id: 'id-1',
      source: 'registrar',
      type: 'employee.registered',
      time: '2024-05-01T10:00:00.000Z',
      data: registered.data,
    });
    // What the caller gets back is what the worker will parse out of the message.
    const parsed = parseMessage(message.body, message.properties);
    expect(parsed).toEqual({ ok: true, events: [message.event] });
    expect(message.event.subject).toBe('e1');
  });

  it('keeps the id, source, time, subject and actor the caller gives', () => {
    const message = buildMessage(
      {
        ...registered,
        id: 'mine',
        source: 'hr',
        time: new Date('2023-01-02T03:04:05.000Z'),
        subject: 's',
        actor: 'a',
      },
      defaults,
    );
    expect(message.event).toMatchObject({
      id: 'mine',
      source: 'hr',
      time: '2023-01-02T03:04:05.000Z',
      subject: 's',
      actor: 'a',
    });
    expect(message.properties.appId).toBe('hr');
    expect(message.properties.messageId).toBe('mine');
  });

  it('defaults the id to a fresh UUID', () => {
    const a = buildMessage(registered, { source: 's' });
    const b = buildMessage(registered, { source: 's' });
    expect(a.event.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.event.id).not.toBe(b.event.id);
  });

  it.each([
    ['wrong data', { type: 'employee.registered', data: { name: 'x' } }, /FEED_ERR_SCHEMA.*data/],
    ['bad type', { type: 'not a type', data: {} }, /FEED_ERR_BAD_FIELD.*type/],
    ['bad time', { ...registered, time: 'yesterday' }, /FEED_ERR_BAD_TIME/],
    ['empty subject', { ...registered, subject: '' }, /subject/],
    [
      'forbidden key',
      { type: 'x.y', data: JSON.parse('{"__proto__": 1}') },
      /FEED_ERR_FORBIDDEN_KEY/,
    ],
    ['too long id', { ...registered, id: 'x'.repeat(201) }, /id is longer than 200/],
  ])('rejects %s with FEED_PUBLISH_INVALID', (_name, input, message) => {
    expect(() => buildMessage(input, defaults)).toThrow(message);
    try {
      buildMessage(input, defaults);
    } catch (error) {
      expect((error as { code: string }).code).toBe(FeedErrorCode.PublishInvalid);
    }
  });

  it('rejects a body over the size limit', () => {
    expect(() =>
      buildMessage({ type: 'big.one', data: { x: 'y'.repeat(1024 * 1024) } }, defaults),
    ).toThrow(/FEED_ERR_TOO_LARGE/);
  });

  it('accepts a type outside the catalogue (stored as a generic event)', () => {
    expect(
      buildMessage({ type: 'lunch.served', data: { menu: 'soup' } }, defaults).event.type,
    ).toBe('lunch.served');
  });
});

describe('buildMessages', () => {
  it('is all or nothing: one bad event fails the call, naming its index', () => {
    expect(() =>
      buildMessages([registered, { type: 'employee.registered', data: {} }], defaults),
    ).toThrow(/^event 1 is invalid/);
  });

  it('refuses an empty array', () => {
    expect(() => buildMessages([], defaults)).toThrow(/no events given/);
  });

  it('gives one message per event', () => {
    let n = 0;
    const messages = buildMessages([registered, registered], {
      ...defaults,
      newId: () => `id-${++n}`,
    });
    expect(messages.map((m) => m.event.id)).toEqual(['id-1', 'id-2']);
  });
});
