import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseMessage } from '@feed/contracts';
import { buildMessage, type PublishInput } from '../src/buildMessage.js';

const defaults = { source: 'prop', newId: () => 'id' };

/** What the worker makes of the message built for `input`. */
function workerView(input: PublishInput) {
  let message;
  try {
    message = buildMessage(input, defaults);
  } catch (error) {
    return { built: false as const, error: (error as Error).message };
  }
  return { built: true as const, message, parsed: parseMessage(message.body, message.properties) };
}

describe('the fast check agrees with the worker', () => {
  const attributes = {
    id: fc.option(fc.oneof(fc.string({ maxLength: 210 }), fc.constant('')), { nil: undefined }),
    subject: fc.option(fc.string({ maxLength: 205 }), { nil: undefined }),
    actor: fc.option(fc.string({ maxLength: 5 }), { nil: undefined }),
    time: fc.option(
      fc.oneof(
        fc
          .date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true })
          .map((d) => d.toISOString()),
        fc.constantFrom(
          '2024-02-30T00:00:00Z',
          '2024-01-01 10:00:00+02:00',
          'soon',
          '2024-01-01T00:00:00',
        ),
      ),
      { nil: undefined },
    ),
  };
  const employee = fc.record(
    {
      employeeId: fc.string({ maxLength: 3 }),
      name: fc.string({ maxLength: 3 }),
      team: fc.string({ maxLength: 3 }),
      position: fc.oneof(fc.string({ maxLength: 3 }), fc.integer()),
      department: fc.string({ maxLength: 3 }),
    },
    { requiredKeys: ['employeeId', 'name', 'team'] },
  );
  const anyData = fc.oneof(
    fc.jsonValue({ maxDepth: 4 }),
    fc.constant(JSON.parse('{"a":{"__proto__":1}}')),
    fc.constant({ when: new Date(0) }),
    fc.constant({ n: Number.NaN, m: undefined }),
    fc.constant({ z: -0, list: [-0] }),
  );

  it('on catalogue and generic events: the same event, or both refuse', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.record({ type: fc.constant('employee.registered'), data: employee, ...attributes }),
          fc.record({
            type: fc.constantFrom('x.y', 'bad type', 'a..b'),
            data: anyData,
            ...attributes,
          }),
        ),
        (raw) => {
          const input = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined));
          const view = workerView(input as unknown as PublishInput);
          if (!view.built) {
            // Refused here: the worker would refuse the same body.
            expect(view.error).toMatch(/^event is invalid \(FEED_ERR_/);
            return;
          }
          expect(view.parsed).toEqual({ ok: true, events: [view.message.event] });
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('builds the deeply nested data the worker accepts and refuses one level more', () => {
    const nest = (levels: number): unknown => (levels === 0 ? 1 : { a: nest(levels - 1) });
    // The body is depth 1 and its data depth 2: data may nest 31 objects, as the worker counts.
    const deepest = workerView({ type: 'x.y', data: nest(31) });
    expect(deepest.built && deepest.parsed.ok).toBe(true);
    expect(workerView({ type: 'x.y', data: nest(32) })).toMatchObject({
      built: false,
      error: expect.stringContaining('FEED_ERR_TOO_DEEP'),
    });
  });
});
