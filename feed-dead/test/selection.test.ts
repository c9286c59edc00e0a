import { describe, expect, it } from 'vitest';
import { FeedErrorCode } from '@feed/contracts';
import { mentions, readSelection, selects } from '../src/selection.js';

const message = (body: string | Buffer, properties: Record<string, unknown> = {}) => ({
  content: Buffer.isBuffer(body) ? body : Buffer.from(body),
  properties: { headers: {}, ...properties } as never,
});

describe('readSelection', () => {
  it('takes exactly one of id, code, source or all', () => {
    expect(readSelection({ code: 'FEED_ERR_SCHEMA' })).toEqual({ code: 'FEED_ERR_SCHEMA' });
    expect(readSelection({ all: true })).toEqual({ all: true });
    for (const input of [{}, { id: 'a', code: 'b' }, { source: 's', all: true }, { all: false }])
      expect(() => readSelection(input)).toThrow(
        expect.objectContaining({ code: FeedErrorCode.DeadSelection }),
      );
  });

  it('refuses an empty value rather than select nothing or everything', () => {
    expect(() => readSelection({ source: ' ' })).toThrow(/empty/);
  });
});

describe('selects', () => {
  it('matches a source by app_id or by the source of any event in the body', () => {
    const bySource = selects({ source: 'hr' });
    expect(bySource(message('{', { appId: 'hr' }))).toBe(true);
    expect(bySource(message('[{"source":"x"},{"source":"hr"}]'))).toBe(true);
    expect(bySource(message('{"source":"payroll"}', { appId: 'payroll' }))).toBe(false);
  });

  it('matches a code by x-feed-error-code', () => {
    const bad = message('{', { headers: { 'x-feed-error-code': 'FEED_ERR_NOT_JSON' } });
    expect(selects({ code: 'FEED_ERR_NOT_JSON' })(bad)).toBe(true);
    expect(selects({ code: 'FEED_ERR_SCHEMA' })(bad)).toBe(false);
  });
});

describe('mentions', () => {
  const ada = mentions('emp-42');

  it('finds the value as any string of a JSON body, however nested', () => {
    expect(ada(message('{"actor":"emp-42"}'))).toBe(true);
    expect(ada(message('{"subject":{"id":"emp-42"}}'))).toBe(true);
    expect(ada(message('[{"data":{"people":["x","emp-42"]}}]'))).toBe(true);
  });

  it('matches values, not parts of them, in a body that parses', () => {
    expect(ada(message('{"actor":"emp-420","note":"not emp-42 but"}'))).toBe(false);
  });

  it('matches the raw bytes of a body that does not parse', () => {
    expect(ada(message('{"actor":"emp-42", oops'))).toBe(true);
    expect(ada(message(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('emp-42')])))).toBe(
      true,
    );
    expect(ada(message('{"actor":"emp-4'))).toBe(false);
  });

  it('finds the value in a property or a header', () => {
    expect(ada(message('{}', { messageId: 'emp-42' }))).toBe(true);
    expect(ada(message('{}', { headers: { subject: Buffer.from('emp-42') } }))).toBe(true);
  });
});
