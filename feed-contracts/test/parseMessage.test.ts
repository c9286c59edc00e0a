import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FeedErrorCode, parseMessage, readTime, type MessageProperties } from '../src/index.js';

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
    expectRejected(json(42), props, FeedErrorCode.NotEvent, /got a number/);
    expectRejected(json('text'), props, FeedErrorCode.NotEvent, /got a string/);
    expectRejected(json(null), props, FeedErrorCode.NotEvent, /got null/);
  });
  it('an array item that is not an object', () => {
    expectRejected(
      json([registered, 5]),
      props,
      FeedErrorCode.NotEvent,
      /^event 1: expected a JSON object, got a number/,
    );
  });
  it('an empty array', () => {
    expectRejected(json([]), props, FeedErrorCode.EmptyBatch, /empty array/);
  });
  it('an array of more events than allowed, naming the fix', () => {
    expectRejected(
      Buffer.from(`[${'{},'.repeat(100_000)}{}]`),
      props,
      FeedErrorCode.BatchTooLarge,
      /^body holds 100001 events, over the limit of 100000 per message: split it into several messages$/,
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
      json({ ...registered, id: 1.5 }),
      {},
      FeedErrorCode.BadField,
      /id must be a string or an integer, got a number 1.5/,
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
      /type "has space" is not dotted words/,
    );
    expectRejected(
      json({ ...registered, subject: true }),
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

/** The properties a plain pika or aio-pika publisher sets: no `type`, no timestamp. */
const pikaProps: MessageProperties = {
  contentType: 'application/json',
  contentEncoding: 'utf-8',
  messageId: 'm-1',
  appId: 'hr-service',
};

function parsedEvents(body: Buffer, props: MessageProperties = pikaProps) {
  const result = parse(body, props);
  if (!result.ok) throw new Error(`rejected: ${result.code}: ${result.reason}`);
  return result.events;
}

describe('parseMessage reads a plain object without specversion by its mode', () => {
  it('an object naming its own attributes is an event (the issue example, literally)', () => {
    const body = Buffer.from(
      '{"type": "kudos.sent", "time": "2026-11-22T10:00:00Z", "data": {"text": "thanks"}}',
    );
    expect(parsedEvents(body)).toEqual([
      {
        specversion: '1.0',
        id: 'm-1',
        source: 'hr-service',
        type: 'kudos.sent',
        time: '2026-11-22T10:00:00.000Z',
        data: { text: 'thanks' },
      },
    ]);
  });

  it('without a data key, the keys other than attributes are the data', () => {
    const [event] = parsedEvents(json({ type: 'kudos.sent', text: 'thanks', actor: 'u-1' }));
    expect(event).toEqual({
      specversion: '1.0',
      id: 'm-1',
      source: 'hr-service',
      type: 'kudos.sent',
      time: now().toISOString(),
      actor: 'u-1',
      data: { text: 'thanks' },
    });
    expect(parsedEvents(json({ type: 'ping.sent' }))[0]!.data).toBeNull();
  });

  it('with a data key, the other keys are extension attributes kept beside the event', () => {
    const [event] = parsedEvents(
      json({ type: 'kudos.sent', summary: 'Anna thanked Oleg', data: { text: 'thanks' } }),
    );
    expect(event).toMatchObject({
      type: 'kudos.sent',
      data: { text: 'thanks' },
      extensions: { summary: 'Anna thanked Oleg' },
    });
  });

  it('a data key makes an envelope even with a type property: the body wins, properties fill', () => {
    const withType = parsedEvents(json({ type: 'kudos.sent', data: { text: 'a' } }), {
      ...pikaProps,
      type: 'other.type',
    });
    expect(withType[0]).toMatchObject({ type: 'kudos.sent', data: { text: 'a' } });
    const typeFromProperty = parsedEvents(json({ id: 'own-id', data: { text: 'a' } }), {
      ...pikaProps,
      type: 'kudos.sent',
    });
    expect(typeFromProperty[0]).toMatchObject({
      id: 'own-id',
      source: 'hr-service',
      type: 'kudos.sent',
      data: { text: 'a' },
    });
  });

  it('an attribute set to null in the body is filled from the properties', () => {
    const [event] = parsedEvents(json({ type: 'kudos.sent', id: null, data: 1 }));
    expect(event).toMatchObject({ id: 'm-1', data: 1 });
  });

  it('a body with no type of its own stays the data of an event typed by the property', () => {
    // The publishers README's pika example: the data as the body, the rest in properties.
    const data = { employeeId: 'e-42', name: 'Ada Lovelace', position: 'Lead Analyst' };
    const [event] = parsedEvents(json(data), {
      ...pikaProps,
      type: 'employee.position_changed',
      timestamp: 1767323045,
    });
    expect(event).toEqual({
      specversion: '1.0',
      id: 'm-1',
      source: 'hr-service',
      type: 'employee.position_changed',
      time: '2026-01-02T03:04:05.000Z',
      subject: 'e-42',
      data,
    });
  });

  it('a data body with its own id, type and time keys keeps them as data', () => {
    const data = { id: 7, type: 'admin', time: 'lunch', actor: { id: 'x' }, note: 'hi' };
    const [event] = parsedEvents(json(data), { ...pikaProps, type: 'note.written' });
    expect(event).toEqual({
      specversion: '1.0',
      id: 'm-1',
      source: 'hr-service',
      type: 'note.written',
      time: now().toISOString(),
      data,
    });
  });

  it('says that the body was read as data when an attribute is missing', () => {
    expectRejected(
      json({ type: 42, text: 'x' }),
      pikaProps,
      FeedErrorCode.MissingField,
      /missing type: .* \(the body has no "data" key and no string "type": it is all data\)$/,
    );
  });

  it('mode is decided per item of an array; items take message_id:index', () => {
    const events = parsedEvents(
      json([
        { type: 'kudos.sent', text: 'a' },
        { specversion: '1.0', type: 'kudos.sent', data: { text: 'b' } },
        { text: 'c' },
      ]),
      { ...pikaProps, type: 'note.written' },
    );
    expect(events.map((e) => [e.id, e.type, e.data])).toEqual([
      ['m-1:0', 'note.written', { type: 'kudos.sent', text: 'a' }],
      ['m-1:1', 'kudos.sent', { text: 'b' }],
      ['m-1:2', 'note.written', { text: 'c' }],
    ]);
  });
});

describe('parseMessage keeps extension attributes of CloudEvents', () => {
  it('any key beside the attributes, served with the event', () => {
    const [event] = parsedEvents(
      json({ ...registered, summary: 'Anna joined Platform', traceparent: '00-ab-cd-01' }),
    );
    expect(event).toMatchObject({
      id: 'evt-1',
      data: registered.data,
      extensions: { summary: 'Anna joined Platform', traceparent: '00-ab-cd-01' },
    });
  });

  it('a CloudEvent without data has null data, its other keys are still extensions', () => {
    const { data: _data, ...noData } = registered;
    const [event] = parsedEvents(json({ ...noData, type: 'ping.sent', summary: 's' }));
    expect(event).toMatchObject({ data: null, extensions: { summary: 's' } });
  });

  it('no extensions key at all when there are none', () => {
    expect(parsedEvents(json(registered))[0]).not.toHaveProperty('extensions');
  });
});

describe('parseMessage reads actor and subject objects', () => {
  const withActor = (actor: unknown, subject?: unknown) =>
    json({ type: 'kudos.sent', data: { text: 'thanks' }, actor, subject });

  it('the id is the actor, the name is kept beside it (the issue example)', () => {
    const [event] = parsedEvents(withActor({ id: 'hr-7', name: 'HR bot', kind: 'service' }));
    expect(event).toMatchObject({ actor: 'hr-7', actorName: 'HR bot' });
    expect(JSON.stringify(event)).not.toContain('kind');
  });

  it('the display name is name, else displayName, else login', () => {
    const names = [
      { id: 'a', name: 'Name', displayName: 'Display', login: 'login' },
      { id: 'a', displayName: 'Display', login: 'login' },
      { id: 'a', login: 'login' },
      { id: 'a', name: null, login: 'octocat' },
      { id: 'a', name: '', displayName: 'Display' },
      { id: 'a' },
    ].map((actor) => parsedEvents(withActor(actor))[0]!.actorName);
    expect(names).toEqual(['Name', 'Display', 'login', 'octocat', 'Display', undefined]);
  });

  it('numeric ids are read as strings, in an object or alone', () => {
    const [event] = parsedEvents(withActor({ id: 42, login: 'octocat' }, 7));
    expect(event).toMatchObject({ actor: '42', actorName: 'octocat', subject: '7' });
  });

  it('a subject object gives the subject and its name', () => {
    const [event] = parsedEvents(withActor('hr-7', { id: 'e-1', name: 'Anna' }));
    expect(event).toMatchObject({ actor: 'hr-7', subject: 'e-1', subjectName: 'Anna' });
    expect(event).not.toHaveProperty('actorName');
  });

  it('the same in a CloudEvent', () => {
    const [event] = parsedEvents(
      json({ ...registered, actor: { id: 'hr-7', displayName: 'HR bot' } }),
    );
    expect(event).toMatchObject({ actor: 'hr-7', actorName: 'HR bot', subject: 'e-1' });
  });

  it('refuses an object without a usable id or with a wrong name, naming the shape', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ name: 'HR bot' }, /^actor object has no id: send \{"id": "hr-7", "name": "HR bot"\}/],
      [{ id: '' }, /^actor\.id must be a non-empty string, an integer or an object such as/],
      [{ id: { x: 1 } }, /^actor\.id must be .*; got an object \{"x":1\}/],
      [
        { id: 2 ** 60 },
        /^actor\.id 1152921504606847000 is too large an integer.*send it as a string/,
      ],
      [{ id: 1.5 }, /^actor\.id must be a string or an integer, got a number 1\.5/],
      [{ id: 'a', name: 5 }, /^actor\.name must be a string or null, got a number 5/],
      [{ id: 'a', login: 'l'.repeat(201) }, /^actor\.login is longer than 200 characters/],
      [['hr-7'], /^actor must be a non-empty string, an integer or an object/],
      [false, /^actor must be .*got a boolean false/],
      ['a'.repeat(201), /^actor is longer than 200 characters/],
    ];
    for (const [actor, reason] of cases)
      expectRejected(withActor(actor), pikaProps, FeedErrorCode.BadField, reason);
  });
});

describe('parseMessage reads ids as publishers send them', () => {
  it('an integer event id is its decimal string', () => {
    expect(parsedEvents(json({ ...registered, id: 12 }))[0]!.id).toBe('12');
  });
  it('refuses an integer too large to have been read exactly', () => {
    expectRejected(
      Buffer.from('{"type":"x.y","id":12345678901234567890,"data":1}'),
      pikaProps,
      FeedErrorCode.BadField,
      /^id 12345678901234567000 is too large an integer to read exactly: send it as a string$/,
    );
  });
});

describe('parseMessage reads times as publishers write them', () => {
  const timeOf = (time: unknown) => parsedEvents(json({ ...registered, time }))[0]!.time;

  it('a time without an offset is UTC (Python datetime.utcnow().isoformat())', () => {
    expect(timeOf('2026-11-22T10:00:00.123456')).toBe('2026-11-22T10:00:00.123Z');
    expect(timeOf('2026-11-22T10:00:00')).toBe('2026-11-22T10:00:00.000Z');
    expect(timeOf('2026-11-22 10:00:00')).toBe('2026-11-22T10:00:00.000Z');
  });
  it('offsets with or without a colon, and any number of fraction digits', () => {
    expect(timeOf('2026-11-22T12:00:00+02:00')).toBe('2026-11-22T10:00:00.000Z');
    expect(timeOf('2026-11-22T05:30:00-0430')).toBe('2026-11-22T10:00:00.000Z');
    expect(timeOf('2026-11-22t10:00:00.5z')).toBe('2026-11-22T10:00:00.500Z');
    expect(timeOf('2026-11-22T10:00:00.123456789Z')).toBe('2026-11-22T10:00:00.123Z');
  });
  it('refuses a date that does not exist instead of rolling it over', () => {
    for (const time of [
      '2024-02-30T00:00:00Z',
      '2026-13-01T00:00:00Z',
      '2026-11-22T24:00:00Z',
      '2026-11-22T10:60:00Z',
      '2026-11-22T10:00:00+24:00',
    ])
      expectRejected(
        json({ ...registered, time }),
        {},
        FeedErrorCode.BadTime,
        /is not a real date and time: send RFC 3339 such as "2026-11-22T10:00:00Z" \(without an offset it is read as UTC\)$/,
      );
  });
  it('refuses a year PostgreSQL cannot store', () => {
    expectRejected(
      json({ ...registered, time: '0000-06-01T00:00:00Z' }),
      {},
      FeedErrorCode.BadTime,
      /outside the years 0001 to 9999/,
    );
    expectRejected(
      json({ a: 1 }),
      { messageId: 'm', appId: 's', type: 'x.y', timestamp: 9e15 },
      FeedErrorCode.BadTime,
      /AMQP timestamp 9000000000000000 is not a valid time/,
    );
  });
  it('a number is not a time, and the reason says where epoch seconds go', () => {
    expectRejected(
      json({ ...registered, time: 1700000000 }),
      {},
      FeedErrorCode.BadTime,
      /got a number 1700000000; epoch seconds go in the AMQP timestamp property$/,
    );
  });
});

describe('parseMessage refuses NaN and Infinity, which Python json.dumps writes', () => {
  for (const literal of ['NaN', 'Infinity', '-Infinity'])
    it(literal, () => {
      expectRejected(
        Buffer.from(`{"type": "meter.read", "value": ${literal}}`),
        pikaProps,
        FeedErrorCode.NotJson,
        new RegExp(
          `^body is not JSON: ${literal} at position 32 is no JSON value; send null instead \\(Python: json\\.dumps\\(\\.\\.\\., allow_nan=False\\) refuses it before sending\\)$`,
        ),
      );
    });
  it('but not NaN inside a string', () => {
    const result = parse(Buffer.from('{"text": "NaN Infinity", oops}'), pikaProps);
    expect(result.ok || result.reason).not.toMatch(/allow_nan/);
    expect(parsedEvents(Buffer.from('{"type": "x.y", "text": "NaN"}'))[0]!.data).toEqual({
      text: 'NaN',
    });
  });
});

describe('parseMessage stores a bulk array whole', () => {
  it('10,000 small events in one message (an HR system loading a department)', () => {
    const items = Array.from({ length: 10_000 }, (_, i) => ({
      type: 'employee.imported',
      id: `imp-${i}`,
      data: { employeeId: `e-${i}`, department: 'Sales' },
    }));
    const body = json(items);
    expect(body.byteLength).toBeLessThan(1024 * 1024);
    const events = parsedEvents(body);
    expect(events).toHaveLength(10_000);
    expect(events[9_999]).toMatchObject({ id: 'imp-9999', source: 'hr-service' });
  });
  it('up to the count limit, which a body of realistic events never reaches', () => {
    expect(
      parsedEvents(Buffer.from(`[${'{},'.repeat(99_999)}{}]`), { ...pikaProps, type: 'x.y' }),
    ).toHaveLength(100_000);
  });
});

describe('parseMessage reasons are short whatever the input', () => {
  const long = 'x'.repeat(70_000);
  const cases: Array<[string, Buffer, MessageProperties]> = [
    ['time', json({ ...registered, time: long }), {}],
    ['time as an object', json({ ...registered, time: { [long]: long } }), {}],
    ['specversion', json({ ...registered, specversion: long }), {}],
    ['type', json({ ...registered, type: long }), {}],
    ['type pattern', json({ ...registered, type: `${'a '.repeat(60)}` }), {}],
    ['id', json({ ...registered, id: long }), {}],
    ['source', json({ ...registered, source: long }), {}],
    ['actor', json({ ...registered, actor: long }), {}],
    ['actor name', json({ ...registered, actor: { id: 'a', name: long } }), {}],
    ['actor id object', json({ ...registered, actor: { id: { [long]: 1 } } }), {}],
    [
      'a long key under a forbidden key',
      Buffer.from(`{"type":"x.y","data":{"${long}":{"${long}":{"__proto__":1}}}}`),
      {},
    ],
    [
      'a long key deeper than the limit',
      Buffer.from(
        `{"type":"x.y","data":${`{"${long.slice(0, 30_000)}":`.repeat(33)}1${'}'.repeat(33)}}`,
      ),
      {},
    ],
    ['not JSON', Buffer.from(`{"a": "${long}" oops`), {}],
    ['content type', json(registered), { contentType: long }],
    ['charset', json(registered), { contentType: `application/json; charset=${long}` }],
    ['content encoding', json(registered), { contentEncoding: long }],
    ['schema', json({ ...registered, data: { ...registered.data, name: long } }), {}],
  ];
  for (const [label, body, props] of cases)
    it(`a 70,000-character ${label}`, () => {
      const result = parse(body, props);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.reason.length).toBeLessThan(300);
      expect(result.reason).not.toContain('x'.repeat(81));
    });

  it('a 70,000-character key in data is stored as it is', () => {
    const [event] = parsedEvents(json({ type: 'x.y', data: { [long]: 1 } }));
    expect(Object.keys(event!.data as object)[0]).toHaveLength(70_000);
  });
});

describe('readTime of the stored form', () => {
  it('keeps every instant of the years 0001 to 9999 written by toISOString as it is', () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('0001-01-01T00:00:00.000Z'),
          max: new Date('9999-12-31T23:59:59.999Z'),
          noInvalidDate: true,
        }),
        (date) => {
          const text = date.toISOString();
          expect(readTime(text)).toEqual({ ok: true, time: text });
        },
      ),
    );
  });
  it('reads any text of its shape as the general reading does (the same text with +00:00)', () => {
    const digits = (n: number) => fc.stringMatching(new RegExp(`^[0-9]{${n}}$`));
    fc.assert(
      fc.property(
        fc.tuple(digits(4), digits(2), digits(2), digits(2), digits(2), digits(2), digits(3)),
        ([year, month, day, hour, minute, second, ms]) => {
          const at = `${year}-${month}-${day}T${hour}:${minute}:${second}.${ms}`;
          expect(readTime(`${at}Z`)).toEqual(readTime(`${at}+00:00`));
        },
      ),
      { numRuns: 2000 },
    );
    for (const at of [
      '2024-02-29',
      '2023-02-29',
      '2000-02-29',
      '1900-02-29',
      '0000-01-01',
      '2026-04-31',
    ])
      expect(readTime(`${at}T00:00:00.000Z`)).toEqual(readTime(`${at}T00:00:00.000+00:00`));
  });
});
