// How one event looks on the page. Every value from an event is set with textContent, never
// parsed as HTML: whatever a publisher puts in a name stays text.
import { eventText } from '/event-text.js';

/** The catalogue as the page uses it; filled by setCatalogue from GET /catalogue. */
const known = { templates: {}, types: {}, reactions: [] };

export function setCatalogue(catalogue) {
  known.templates = {};
  known.types = {};
  for (const entry of catalogue.types) {
    known.templates[entry.type] = { template: entry.template, phrases: entry.phrases };
    known.types[entry.type] = entry;
  }
  known.reactions = catalogue.reactions;
}

export function element(tag, className, content) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (content !== undefined) node.textContent = content;
  return node;
}

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
export function ago(iso) {
  const seconds = Math.round((Date.parse(iso) - Date.now()) / 1000);
  const units = [
    ['year', 31536000],
    ['month', 2592000],
    ['week', 604800],
    ['day', 86400],
    ['hour', 3600],
    ['minute', 60],
  ];
  for (const [unit, size] of units)
    if (Math.abs(seconds) >= size) return relative.format(Math.round(seconds / size), unit);
  return relative.format(seconds, 'second');
}

const text = (value) => (typeof value === 'string' ? value : '');

/** Who did it or what sent it, for the line under the text. */
function origin(event) {
  const by = text(event.actorName) || text(event.actor);
  return by ? `${by} · ${event.source}` : event.source;
}

/**
 * The reaction bar of one event: a button per catalogue reaction (pressed when the reader
 * reacted), and counts of kinds sent by other publishers as plain text.
 */
export function renderReactions(bar, reactions, reacted, reactable) {
  bar.replaceChildren();
  const counts = reactions || {};
  const mine = new Set(reacted || []);
  const offered = new Set();
  if (reactable)
    for (const { kind, emoji, label } of known.reactions) {
      offered.add(kind);
      const count = counts[kind] || 0;
      const button = element('button', 'reaction', `${emoji} ${count}`);
      button.type = 'button';
      button.dataset.kind = kind;
      button.setAttribute('aria-pressed', String(mine.has(kind)));
      button.setAttribute('aria-label', `${label}: ${count}${mine.has(kind) ? ', yours' : ''}`);
      bar.append(button);
    }
  for (const [kind, count] of Object.entries(counts)) {
    if (offered.has(kind) || !(count > 0)) continue;
    const shown = known.reactions.find((r) => r.kind === kind);
    const item = element('span', 'reaction-count', `${shown ? shown.emoji : kind} ${count}`);
    item.setAttribute('aria-label', `${count} ${kind}`);
    bar.append(item);
  }
  bar.hidden = bar.childElementCount === 0;
}

/** One event as a list item; `entry` keeps what later frames update. */
export function renderEvent(event) {
  const declared = known.types[event.type];
  const reactable = declared ? declared.reactable : true;
  const item = element('li', 'event');
  item.dataset.type = event.type;
  const article = element('article');
  const line = element('p', 'sentence');
  line.append(element('span', 'icon', declared ? declared.icon : '📣'));
  line.append(element('span', 'text', eventText(event, known.templates)));
  article.append(line);
  const meta = element('p', 'meta');
  const time = element('time', '', ago(event.time));
  time.dateTime = event.time;
  time.title = new Date(event.time).toLocaleString();
  meta.append(time, element('span', 'origin', ` · ${origin(event)}`));
  article.append(meta);
  const bar = element('div', 'reactions');
  bar.setAttribute('role', 'group');
  bar.setAttribute('aria-label', 'Reactions');
  article.append(bar);
  item.append(article);
  const entry = {
    item,
    bar,
    event,
    reactions: event.reactions || {},
    reacted: event.reacted || [],
    reactable,
    render() {
      renderReactions(bar, entry.reactions, entry.reacted, reactable);
    },
  };
  entry.render();
  return entry;
}
