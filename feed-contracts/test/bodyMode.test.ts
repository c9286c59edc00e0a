import { describe, expect, it } from 'vitest';
import { bodyMode, splitBody } from '../src/index.js';

describe('bodyMode decides how a JSON object of a body is read, once', () => {
  it.each([
    ['specversion', { specversion: '1.0', data: 1 }, undefined, 'cloudevent'],
    ['specversion, whatever it holds', { specversion: 2 }, 'x.y', 'cloudevent'],
    ['a data key', { data: { text: 'a' } }, undefined, 'envelope'],
    ['a data key, with a type property', { data: 1, text: 'a' }, 'x.y', 'envelope'],
    ['a string type, no type property', { type: 'kudos.sent', text: 'a' }, undefined, 'envelope'],
    ['a string type, an empty type property', { type: 'kudos.sent' }, '', 'envelope'],
    ['a string type, with a type property', { type: 'admin', text: 'a' }, 'x.y', 'data'],
    ['a type that is no string', { type: 3 }, undefined, 'data'],
    ['no type, no data', { employeeId: 'e-1' }, 'employee.registered', 'data'],
    ['no type, no data, no property', { id: 'a', time: 'b' }, undefined, 'data'],
  ] as const)('%s', (_label, body, typeProperty, mode) => {
    expect(bodyMode(body, typeProperty)).toBe(mode);
  });
});

describe('splitBody keeps every key somewhere', () => {
  it('data mode: all of it is data', () => {
    const body = { id: 'a', text: 'b' };
    expect(splitBody(body, 'data')).toEqual({ attributes: {}, data: body, extensions: undefined });
  });
  it('an envelope without data: the other keys are the data', () => {
    expect(splitBody({ type: 't', actor: 'a', text: 'b' }, 'envelope')).toEqual({
      attributes: { type: 't', actor: 'a' },
      data: { text: 'b' },
      extensions: undefined,
    });
  });
  it('an envelope with data: the other keys are extensions', () => {
    expect(splitBody({ type: 't', data: null, summary: 's' }, 'envelope')).toEqual({
      attributes: { type: 't' },
      data: null,
      extensions: { summary: 's' },
    });
  });
  it('a CloudEvent: the other keys are extensions, with or without data', () => {
    expect(splitBody({ specversion: '1.0', type: 't', summary: 's' }, 'cloudevent')).toEqual({
      attributes: { type: 't' },
      data: null,
      extensions: { summary: 's' },
    });
  });
  it('a key named like a prototype member stays an own key', () => {
    const body = JSON.parse('{"type":"t","data":1,"constructor":2}') as Record<string, unknown>;
    const { extensions } = splitBody(body, 'envelope');
    expect(Object.hasOwn(extensions!, 'constructor')).toBe(true);
    expect(Object.getPrototypeOf(extensions)).toBe(Object.prototype);
  });
});
