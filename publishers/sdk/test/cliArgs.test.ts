import { describe, expect, it } from 'vitest';
import { parseCliArgs } from '../src/cliArgs.js';

const files: Record<string, string> = {
  'array.json': '[{"type":"a.b","data":{"x":1}},{"type":"c.d","data":null,"id":"k"}]',
  'events.ndjson': '{"type":"a.b","data":1}\n\n{"data":2}\n',
  'empty.json': '  ',
  'bad.ndjson': '{"type":"a.b","data":1}\n{oops}\n',
};
const read = (path: string) => {
  if (!(path in files)) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
  return files[path]!;
};
const parse = (args: string[], env: Record<string, string> = {}) => parseCliArgs(args, env, read);

describe('parseCliArgs', () => {
  it('reads one event from --type and --data, with defaults', () => {
    expect(
      parse(['--type', 'department.renamed', '--data', '{"departmentId":"d","from":"a","to":"b"}']),
    ).toEqual({
      url: 'amqp://guest:guest@127.0.0.1:5672',
      source: 'feed-cli',
      events: [{ type: 'department.renamed', data: { departmentId: 'd', from: 'a', to: 'b' } }],
      count: 1,
      rate: undefined,
      inFlight: 1000,
      timeoutMs: 10_000,
      queueType: 'quorum',
      quiet: false,
    });
  });

  it('takes AMQP_URL and FEED_QUEUE_TYPE from the environment, options first', () => {
    const env = { AMQP_URL: 'amqp://env', FEED_QUEUE_TYPE: 'classic' };
    expect(parse(['--type', 'a', '--data', '1'], env)).toMatchObject({
      url: 'amqp://env',
      queueType: 'classic',
    });
    expect(parse(['--type', 'a', '--data', '1', '--url', 'amqp://opt'], env)).toMatchObject({
      url: 'amqp://opt',
    });
  });

  it('reads a JSON array file and an NDJSON file (with --type filling the gaps)', () => {
    expect(parse(['--file', 'array.json'])).toMatchObject({
      events: [
        { type: 'a.b', data: { x: 1 } },
        { type: 'c.d', data: null, id: 'k' },
      ],
    });
    expect(parse(['--file', 'events.ndjson', '--type', 'z.z'])).toMatchObject({
      events: [
        { type: 'a.b', data: 1 },
        { type: 'z.z', data: 2 },
      ],
    });
  });

  it('reads --count, --rate, --in-flight', () => {
    expect(
      parse(['--type', 'a', '--data', '1', '--count', '500', '--rate', '100', '--in-flight', '10']),
    ).toMatchObject({ count: 500, rate: 100, inFlight: 10 });
  });

  it.each([
    [['--data', '{}'], '--type is required (or --file with the events)'],
    [['--type', 'a'], '--data is required with --type'],
    [['--type', 'a', '--data', '{nope'], /^--data is not JSON: /],
    [['--type', 'a', '--data', '1', '--count', '0'], "--count must be a positive integer, got '0'"],
    [
      ['--type', 'a', '--data', '1', '--rate', 'fast'],
      "--rate must be a positive integer, got 'fast'",
    ],
    [
      ['--type', 'a', '--data', '1', '--queue-type', 'x'],
      "--queue-type must be quorum or classic, got 'x'",
    ],
    [['--file', 'array.json', '--data', '1'], 'give --data or --file, not both'],
    [['--file', 'empty.json'], 'empty.json is empty'],
    [['--file', 'events.ndjson'], 'events.ndjson: event 1 has no type (or give --type)'],
    [['--file', 'bad.ndjson'], /^bad.ndjson line 2 is not JSON/],
    [['--bogus'], /Unknown option '--bogus'/],
    [['--type', 'employee.registered', '--data', '{}'], /^event 0 is invalid \(FEED_ERR_SCHEMA\)/],
  ])('refuses %j', (args, message) => {
    expect(() => parse(args)).toThrow(message);
  });

  it('answers --help', () => {
    expect(parse(['--help'])).toBe('help');
  });
});
