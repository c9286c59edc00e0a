/** The CloudEvents attributes the feed reads from a body, `specversion` aside. */
export const eventAttributes = [
  'id',
  'source',
  'type',
  'time',
  'subject',
  'actor',
  'data',
] as const;
export type EventAttribute = (typeof eventAttributes)[number];

const attributeNames: ReadonlySet<string> = new Set(eventAttributes);

/** Whether a key of a body is an attribute the feed reads (or `specversion`). */
export function isAttributeName(key: string): boolean {
  return key === 'specversion' || attributeNames.has(key);
}

/**
 * How one JSON object of a body is read:
 * - `cloudevent`: it has `specversion`. Its attributes are read from it, the AMQP properties
 *   fill the ones it leaves out, and every other key is an extension attribute.
 * - `envelope`: no `specversion`, but it has a `data` key, or a string `type` while the message
 *   has no `type` property. Read like a CloudEvent; other keys are its `data` when it has no
 *   `data` key (`{"type": "kudos.sent", "text": "thanks"}`), else extension attributes.
 * - `data`: anything else. The whole object is the `data`; the attributes come from the AMQP
 *   properties only, so a data body with `id`, `type` or `time` keys of its own keeps them as
 *   data (a body with no `type` of its own is the data of an event typed by the property).
 *
 * Decided here, once, before any attribute is read: no other code guesses the mode.
 */
export type BodyMode = 'cloudevent' | 'envelope' | 'data';

export function bodyMode(
  body: Readonly<Record<string, unknown>>,
  typeProperty: string | undefined,
): BodyMode {
  if (Object.hasOwn(body, 'specversion')) return 'cloudevent';
  if (Object.hasOwn(body, 'data')) return 'envelope';
  const hasTypeProperty = typeProperty !== undefined && typeProperty !== '';
  if (typeof body.type === 'string' && !hasTypeProperty) return 'envelope';
  return 'data';
}

export interface BodyParts {
  /** The attributes the body gives, as it gives them (not checked yet). Empty in data mode. */
  attributes: Partial<Record<Exclude<EventAttribute, 'data'>, unknown>>;
  data: unknown;
  /** Extension attributes kept beside the event; undefined when there are none. */
  extensions: Record<string, unknown> | undefined;
}

/** Splits an object of a body into attributes, data and extension attributes, by its mode. */
export function splitBody(body: Readonly<Record<string, unknown>>, mode: BodyMode): BodyParts {
  if (mode === 'data') return { attributes: {}, data: body, extensions: undefined };
  const attributes: BodyParts['attributes'] = {};
  const others: Array<[string, unknown]> = [];
  for (const [key, value] of Object.entries(body)) {
    if (key === 'specversion' || key === 'data') continue;
    if (attributeNames.has(key)) attributes[key as keyof BodyParts['attributes']] = value;
    else others.push([key, value]);
  }
  // fromEntries defines own properties: a key named like a prototype member stays a key.
  const rest = others.length === 0 ? undefined : Object.fromEntries(others);
  if (Object.hasOwn(body, 'data')) return { attributes, data: body.data, extensions: rest };
  if (mode === 'envelope') return { attributes, data: rest ?? null, extensions: undefined };
  return { attributes, data: null, extensions: rest };
}
