import { describe, expect, it } from 'vitest';
import { FeedErrorCode, parseMessage, type MessageProperties } from '../src/index.js';

const now = () => new Date('2026-01-02T03:04:05.000Z');
const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const parse = (body: Buffer, props: MessageProperties = {}) => parseMessage(body, props, { now });

const registered = {
  specversion: '1.0',
  id: 'evt-1',
  source: 'registrar',
  type: 'employee.registered',
  time: '2026-03-01T09:00:00Z',
  data: {
    employeeId: 'e-1',
    name: 'Anna Smirnova',
    team: 'Platform',
    position: 'Backend developer',
  },
};

function expectRejected(body: Buffer, props: MessageProperties, code: string, reason: RegExp) {
  const result = parse(body, props);
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(result.code).toBe(code);
  expect(result.reason).toMatch(reason);
}

describe('parseMessage accepts every shape of the wire contract', () => {
  it('a single CloudEvents object', () => {
    const result = parse(json(registered), { contentType: 'application/cloudevents+json' });
    expect(result).toEqual({
      ok: true,
      events: [
        {
          specversion: '1.0',
          id: 'evt-1',
          source: 'registrar',
          type: 'employee.registered',
          time: '2026-03-01T09:00:00.000Z',
          subject: 'e-1',
          data: registered.data,
        },
      ],
    });
  });

  it('a JSON array of CloudEvents', () => {
    const second = {
      ...registered,
      id: 'evt-2',
      type: 'department.renamed',
      data: { departmentId: 'd-1', from: 'Sales', to: 'Revenue' },
    };
    const result = parse(json([registered, second]), { contentType: 'application/json' });
    expect(result.ok && result.events.map((e) => [e.id, e.type])).toEqual([
      ['evt-1', 'employee.registered'],
      ['evt-2', 'department.renamed'],
    ]);
  });

  it('a plain JSON body whose attributes come from the AMQP properties', () => {
    const result = parse(json({ departmentId: 'd-1', from: 'Sales', to: 'Revenue' }), {
      messageId: 'm-7',
      appId: 'hr-service',
      type: 'department.renamed',
      timestamp: 1767323045,
    });
    expect(result).toEqual({
      ok: true,
      events: [
        {
          specversion: '1.0',
          id: 'm-7',
          source: 'hr-service',
          type: 'department.renamed',
          time: '2026-01-02T03:04:05.000Z',
          data: { departmentId: 'd-1', from: 'Sales', to: 'Revenue' },
        },
      ],
    });
  });

  it('suffixes message_id with the index for the items of an array', () => {
    const item = { specversion: '1.0', type: 'custom.thing', data: { n: 1 } };
    const result = parse(json([item, item]), { messageId: 'batch-1', appId: 'svc' });
    expect(result.ok && result.events.map((e) => [e.id, e.source])).toEqual([
      ['batch-1:0', 'svc'],
      ['batch-1:1', 'svc'],
    ]);
  });

  it('body attributes win over properties', () => {
    const result = parse(json(registered), {
      messageId: 'other',
      appId: 'other',
      type: 'other.type',
    });
    expect(result.ok && result.events[0]).toMatchObject({
      id: 'evt-1',
      source: 'registrar',
      type: 'employee.registered',
    });
  });

  it('keeps a well-formed event of a type outside the catalogue as a generic event', () => {
    const result = parse(
      json({ ...registered, type: 'kudos.given', data: { anything: [1, 2, 3] } }),
    );
    expect(result.ok && result.events[0]).toMatchObject({
      type: 'kudos.given',
      data: { anything: [1, 2, 3] },
    });
  });

  it('gives events without any time the receive time, and reads millisecond timestamps', () => {
    const noTime = parse(json({ x: 1 }), { messageId: 'a', appId: 's', type: 'x.y' });
    expect(noTime.ok && noTime.events[0]!.time).toBe('2026-01-02T03:04:05.000Z');
    const ms = parse(json({ x: 1 }), {
      messageId: 'a',
      appId: 's',
      type: 'x.y',
      timestamp: 1767323045123,
    });
    expect(ms.ok && ms.events[0]!.time).toBe('2026-01-02T03:04:05.123Z');
  });

  it('takes subject and actor from the event, or from the data of catalogue types', () => {
    const reaction = {
      specversion: '1.0',
      id: 'r-1',
      source: 'reactions',
      type: 'reaction.added',
      data: { target: { source: 'registrar', id: 'evt-1' }, reaction: 'fire', actor: 'e-9' },
    };
    const result = parse(json([reaction, { ...registered, subject: 'custom', actor: 'hr-bot' }]));
    expect(result.ok && result.events.map((e) => [e.subject, e.actor])).toEqual([
      [undefined, 'e-9'],
      ['custom', 'hr-bot'],
    ]);
  });

  it('accepts utf-8 charsets and encodings, and a byte order mark', () => {
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), json(registered)]);
    expect(
      parse(body, { contentType: 'application/json; charset=UTF-8', contentEncoding: 'utf-8' }).ok,
    ).toBe(true);
  });

  it('keeps non-ASCII text intact', () => {
    const result = parse(json({ ...registered, data: { ...registered.data, name: 'Олег 🔥' } }));
    expect(result.ok && (result.events[0]!.data as { name: string }).name).toBe('Олег 🔥');
  });
});

describe('parseMessage rejects, each with its reason', () => {
  const props = { messageId: 'm', appId: 's', type: 'x.y' };

  it('a body over the size limit', () => {
    const big = Buffer.alloc(2 * 1024 * 1024, 0x20);
    expectRejected(big, props, FeedErrorCode.TooLarge, /over the limit of 1048576/);
  });
  it('a wrong content type', () => {
    expectRejected(
      json(registered),
      { contentType: 'text/plain' },
      FeedErrorCode.ContentType,
      /text\/plain/,
    );
    expectRejected(
      json(registered),
      { contentType: 'application/json; charset=latin1' },
      FeedErrorCode.ContentType,
      /latin1/,
    );
  });
  it('a compressed body', () => {
    expectRejected(
      json(registered),
      { contentEncoding: 'gzip' },
      FeedErrorCode.ContentEncoding,
      /gzip/,
    );
  });
  it('bytes that are not UTF-8', () => {
    expectRejected(
      Buffer.from([0x7b, 0xff, 0xfe, 0x7d]),
      props,
      FeedErrorCode.NotUtf8,
      /not valid UTF-8/,
    );
  });
  it('text that is not JSON', () => {
    expectRejected(Buffer.from('hello {'), props, FeedErrorCode.NotJson, /not JSON/);
    expectRejected(Buffer.from(''), props, FeedErrorCode.NotJson, /not JSON/);
  });
  it('JSON that is neither an object nor an array', () => {
    expectRejected(json(42), props, FeedErrorCode.NotEvent, /got number/);
    expectRejected(json('text'), props, FeedErrorCode.NotEvent, /got string/);
    expectRejected(json(null), props, FeedErrorCode.NotEvent, /got null/);
  });
  it('an array item that is not an object', () => {
    expectRejected(
      json([registered, 5]),
      props,
      FeedErrorCode.NotEvent,
      /^event 1: expected a JSON object, got number/,
    );
  });
  it('an empty array', () => {
    expectRejected(json([]), props, FeedErrorCode.EmptyBatch, /empty array/);
  });
  it('an array of more events than allowed', () => {
    expectRejected(
      json(Array.from({ length: 1001 }, () => registered)),
      props,
      FeedErrorCode.BatchTooLarge,
      /1001 events/,
    );
  });
  it('missing id, source or type', () => {
    const { id: _id, ...noId } = registered;
    const { source: _source, ...noSource } = registered;
    const { type: _type, ...noType } = registered;
    expectRejected(
      json(noId),
      {},
      FeedErrorCode.MissingField,
      /missing id: set 'id' in the event or the AMQP property message_id/,
    );
    expectRejected(json(noSource), {}, FeedErrorCode.MissingField, /missing source: .*app_id/);
    expectRejected(json(noType), {}, FeedErrorCode.MissingField, /missing type: .*property type/);
    expectRejected(
      json({ a: 1 }),
      { appId: 's', type: 'x.y' },
      FeedErrorCode.MissingField,
      /missing id/,
    );
  });
  it('attributes of the wrong kind', () => {
    expectRejected(
      json({ ...registered, specversion: '0.3' }),
      {},
      FeedErrorCode.BadField,
      /specversion must be "1.0"/,
    );
    expectRejected(
      json({ ...registered, id: 12 }),
      {},
      FeedErrorCode.BadField,
      /id must be a string, got number/,
    );
    expectRejected(
      json({ ...registered, id: 'x'.repeat(201) }),
      {},
      FeedErrorCode.BadField,
      /id is longer than 200/,
    );
    expectRejected(
      json({ ...registered, type: 'has space' }),
      {},
      FeedErrorCode.BadField,
      /type 'has space'/,
    );
    expectRejected(
      json({ ...registered, subject: 7 }),
      {},
      FeedErrorCode.BadField,
      /subject must be/,
    );
  });
  it('a bad time', () => {
    expectRejected(
      json({ ...registered, time: 'yesterday' }),
      {},
      FeedErrorCode.BadTime,
      /RFC 3339/,
    );
    expectRejected(
      json({ ...registered, time: '2026-02-31T99:00:00Z' }),
      {},
      FeedErrorCode.BadTime,
      /not a real date/,
    );
    expectRejected(
      json({ ...registered, time: 1700000000 }),
      {},
      FeedErrorCode.BadTime,
      /RFC 3339/,
    );
    expectRejected(
      json({ a: 1 }),
      { ...props, timestamp: -5 },
      FeedErrorCode.BadTime,
      /AMQP timestamp -5/,
    );
  });
  it('data failing its type schema, naming the path', () => {
    const bad = { ...registered, data: { ...registered.data, name: 42 } };
    expectRejected(
      json(bad),
      {},
      FeedErrorCode.Schema,
      /data of employee.registered does not match its schema: data\/name/,
    );
    const missing = { ...registered, type: 'department.renamed', data: { departmentId: 'd' } };
    expectRejected(json(missing), {}, FeedErrorCode.Schema, /data\/from/);
    const reaction = {
      ...registered,
      type: 'reaction.added',
      data: { target: { source: 's' }, reaction: 'fire', actor: 'a' },
    };
    expectRejected(json(reaction), {}, FeedErrorCode.Schema, /data\/target\/id/);
  });
  it('the schema failure of one event names its index', () => {
    const bad = { ...registered, data: {} };
    expectRejected(
      json([registered, bad]),
      {},
      FeedErrorCode.Schema,
      /^event 1: data of employee.registered/,
    );
  });
  it('keys that could pollute a prototype, at any depth, and pollutes nothing', () => {
    expectRejected(
      Buffer.from('{"__proto__":{"polluted":true},"a":1}'),
      props,
      FeedErrorCode.ForbiddenKey,
      /'__proto__'/,
    );
    expectRejected(
      json({ ...registered, data: { deep: { constructor: { prototype: 1 } } } }),
      {},
      FeedErrorCode.ForbiddenKey,
      /'constructor' is not allowed \(at \/data\/deep\)/,
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
  it('nesting deeper than the limit, without overflowing the stack', () => {
    const deep = Buffer.from('['.repeat(100_000) + ']'.repeat(100_000));
    expectRejected(deep, props, FeedErrorCode.TooDeep, /deeper than 32 levels/);
  });
});
