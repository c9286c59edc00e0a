import { describe, expect, it } from 'vitest';
import { CliUsageError, parseCliArgs } from '../src/cliArgs.js';

const env = { AMQP_URL: 'amqp://u:p@rabbit:5672/feed' };
const parse = (line: string) => parseCliArgs(line.split(' ').filter(Boolean), env);

describe('parseCliArgs', () => {
  it('reads each command and its selection', () => {
    expect(parse('list')).toMatchObject({
      urls: ['amqp://u:p@rabbit:5672/feed'],
      run: { command: 'list', selection: undefined, limit: 100 },
    });
    expect(parse('list --code FEED_ERR_SCHEMA --limit 5 --json')).toMatchObject({
      json: true,
      run: { command: 'list', selection: { code: 'FEED_ERR_SCHEMA' }, limit: 5 },
    });
    expect(parse('show h:1:ab:2')).toMatchObject({ run: { command: 'show', id: 'h:1:ab:2' } });
    expect(parse('replay --source hr')).toMatchObject({
      run: { command: 'replay', selection: { source: 'hr' } },
    });
    expect(parse('purge --all --yes')).toMatchObject({
      run: { command: 'purge', selection: { all: true } },
    });
    expect(parse('--help')).toBe('help');
  });

  it('refuses what could widen or misdirect an operation, saying what to fix', () => {
    const cases: Array<[string, RegExp]> = [
      ['', /list, show, replay or purge/],
      ['replay', /exactly one/],
      ['replay some-id --all', /exactly one/],
      ['purge --all', /--yes/],
      ['show', /one id/],
      ['list --limit x', /whole number/],
      ['list --cod FEED_ERR_SCHEMA', /Unknown option/],
      ['erase --all', /unknown command/],
    ];
    for (const [line, message] of cases) {
      expect(() => parse(line), line).toThrow(CliUsageError);
      expect(() => parse(line), line).toThrow(message);
    }
  });

  it('takes --url over AMQP_URL', () => {
    expect(parse('list --url amqp://other')).toMatchObject({ urls: ['amqp://other'] });
  });
});
