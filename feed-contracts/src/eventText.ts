// The one line of text an event reads as. This file imports nothing: the live page loads its
// compiled form as it is (GET /event-text.js), so the page and the tests share one rule.

/** What renderTemplate needs of a catalogue entry. */
export interface TextTemplate {
  template: string;
  phrases?: Record<string, Record<string, string>>;
}

/** What eventText reads of an event, as the API serves it. */
export interface TextEvent {
  type: string;
  source: string;
  data?: unknown;
  extensions?: Record<string, unknown> | null;
}

const field = /\{([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)\}/g;

/** A field of `data` as text: strings, numbers and booleans; anything else is missing. */
function valueAt(data: unknown, path: string): string {
  let value: unknown = data;
  for (const part of path.split('.')) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, part)) return '';
    value = (value as Record<string, unknown>)[part];
  }
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return '';
}

function fill(text: string, data: unknown, phrases: TextTemplate['phrases']): [string, boolean] {
  let complete = true;
  const filled = text.replace(field, (_match, path: string) => {
    const value = valueAt(data, path);
    if (value === '') complete = false;
    return phrases?.[path]?.[value] ?? value;
  });
  return [filled, complete];
}

/**
 * Fills a catalogue template with an event's data: `{field}` is that field of `data`
 * (`{a.b}` a nested one), a missing or empty one is nothing (never "undefined"), and a `[…]`
 * part is left out unless every field in it has a value. The result is plain text: the page
 * sets it as text, so whatever a value holds is never markup.
 */
export function renderTemplate(entry: TextTemplate, data: unknown): string {
  // Each part is filled once, on its own: what a value holds is never read as a field.
  const parts = entry.template.split(/(\[[^\]]*\])/);
  const text = parts
    .map((part) => {
      const optional = part.startsWith('[') && part.endsWith(']');
      const [filled, complete] = fill(optional ? part.slice(1, -1) : part, data, entry.phrases);
      return optional && !complete ? '' : filled;
    })
    .join('');
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * The line an event reads as: its type's template when the catalogue has one, else the
 * producer's own text, the first of a `summary` attribute, `data.summary`, `data.title` and
 * `data.text` that is a non-empty string; with none of them, the type and the source.
 */
export function eventText(
  event: TextEvent,
  templates: Readonly<Record<string, TextTemplate | undefined>>,
): string {
  const entry = Object.hasOwn(templates, event.type) ? templates[event.type] : undefined;
  if (entry !== undefined) {
    const text = renderTemplate(entry, event.data);
    if (text !== '') return text;
  }
  const own = [
    event.extensions?.summary,
    ...['summary', 'title', 'text'].map((name) => valueAt(event.data, name)),
  ].find((value) => typeof value === 'string' && value.trim() !== '') as string | undefined;
  return own?.trim() ?? `${event.type} from ${event.source}`;
}
