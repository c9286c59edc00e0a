// The live feed page. Event content is always set with textContent, never parsed as HTML:
// whatever a publisher puts in a name stays text.
/* global EventSource, URLSearchParams */
'use strict';

(function () {
  const pageSize = 20;
  const list = document.getElementById('feed');
  const more = document.getElementById('more');
  const status = document.getElementById('status');
  const empty = document.getElementById('empty');
  const errorBox = document.getElementById('error');
  /** Rendered events by "source id" key, to update reaction counts and skip repeats. */
  const shown = new Map();
  let nextCursor = null;
  let newestCursor = null;

  const emoji = { like: '👍', fire: '🔥', love: '❤️', clap: '👏', laugh: '😄', party: '🎉' };
  const label = (kind) => (emoji[kind] ? `${emoji[kind]} ${kind}` : kind);
  const text = (value) => (typeof value === 'string' ? value : '');
  const key = (source, id) => `${source} ${id}`;
  /** A person as the feed shows them: the display name sent with the id, else the id. */
  const who = (name, id) => text(name) || text(id);

  /** One human sentence per event type; unknown types still read as a sentence. */
  function sentence(event) {
    const d = event.data && typeof event.data === 'object' ? event.data : {};
    switch (event.type) {
      case 'employee.registered':
        return `${text(d.name)} joined ${text(d.team)} as ${text(d.position)}`;
      case 'employee.position_changed':
        return (
          `${text(d.name)} is now ${text(d.position)}` +
          (d.previousPosition ? ` (was ${text(d.previousPosition)})` : '') +
          (d.team ? ` in ${text(d.team)}` : '')
        );
      case 'team.structure_changed': {
        const change = {
          created: 'was created',
          renamed: 'was renamed',
          merged: 'was merged',
          split: 'was split',
          dissolved: 'was dissolved',
          moved: 'moved',
          members_changed: 'has new members',
        }[d.change];
        return `Team ${text(d.team)} ${change || 'changed'}`;
      }
      case 'department.renamed':
        return `${text(d.from)} was renamed ${text(d.to)}`;
      case 'reaction.added':
        return `${who(event.actorName, d.actor)} reacted ${label(text(d.reaction))}`;
      case 'reaction.removed':
        return `${who(event.actorName, d.actor)} took back a ${label(text(d.reaction))}`;
      default:
        return (
          `${event.type} from ${event.source}` +
          (event.subject ? ` about ${who(event.subjectName, event.subject)}` : '') +
          (event.actor ? ` by ${who(event.actorName, event.actor)}` : '')
        );
    }
  }

  function detail(event) {
    const summary = event.extensions && event.extensions.summary;
    if (typeof summary === 'string') return summary;
    if (event.type === 'team.structure_changed' && event.data) return text(event.data.summary);
    if (event.type === 'employee.registered' && event.data && event.data.department)
      return `Department: ${text(event.data.department)}`;
    return '';
  }

  const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
  function ago(iso) {
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

  function element(tag, className, content) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (content !== undefined) node.textContent = content;
    return node;
  }

  function renderReactions(container, reactions) {
    container.replaceChildren();
    const entries = Object.entries(reactions || {})
      .filter(([, n]) => n > 0)
      .sort(([a, n], [b, m]) => m - n || (a < b ? -1 : 1));
    container.hidden = entries.length === 0;
    for (const [kind, count] of entries) {
      const item = element('li', '', `${emoji[kind] || kind} ${count}`);
      item.setAttribute('aria-label', `${count} ${kind}`);
      container.append(item);
    }
  }

  function render(event) {
    const item = element('li', 'event');
    item.dataset.type = event.type;
    const article = element('article');
    article.append(element('p', 'sentence', sentence(event)));
    const more = detail(event);
    if (more) article.append(element('p', 'detail', more));
    const meta = element('p', 'meta');
    const time = element('time', '', ago(event.time));
    time.dateTime = event.time;
    time.title = new Date(event.time).toLocaleString();
    meta.append(time);
    const reactions = element('ul', 'reactions');
    reactions.setAttribute('aria-label', 'Reactions');
    renderReactions(reactions, event.reactions);
    meta.append(reactions);
    article.append(meta);
    item.append(article);
    shown.set(key(event.source, event.id), { item, reactions });
    return item;
  }

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = false;
  }

  async function fetchPage(cursor) {
    const params = new URLSearchParams({ limit: String(pageSize) });
    if (cursor) params.set('cursor', cursor);
    const response = await fetch(`/events?${params}`, { headers: { accept: 'application/json' } });
    const body = await response.json();
    if (!response.ok) throw new Error(body.error ? body.error.message : response.statusText);
    return body;
  }

  function append(items) {
    for (const event of items) {
      if (shown.has(key(event.source, event.id))) continue;
      list.append(render(event));
    }
    empty.hidden = shown.size > 0;
  }

  async function loadMore() {
    more.disabled = true;
    try {
      const page = await fetchPage(nextCursor);
      append(page.items);
      nextCursor = page.nextCursor;
      more.hidden = nextCursor === null;
    } catch (error) {
      showError(`Could not load more: ${error.message}`);
    } finally {
      more.disabled = false;
    }
  }

  /** True after the stream was lost once: the next open is a resume, not a first connect. */
  let resuming = false;

  function live() {
    const url = newestCursor
      ? `/events/stream?after=${encodeURIComponent(newestCursor)}`
      : '/events/stream';
    const source = new EventSource(url);
    source.onopen = () => {
      // What was missed meanwhile arrives first (Last-Event-ID), then the live tail.
      status.textContent = resuming ? 'Live (resumed)' : 'Live';
    };
    source.onerror = () => {
      // EventSource reconnects by itself and resumes with Last-Event-ID.
      resuming = true;
      status.textContent = 'Reconnecting…';
    };
    source.onmessage = (message) => {
      const event = JSON.parse(message.data);
      if (shown.has(key(event.source, event.id))) return;
      const item = render(event);
      item.classList.add('new');
      list.prepend(item);
      empty.hidden = true;
    };
    // An event's counters changed: update them where it is shown.
    source.addEventListener('reactions', (message) => {
      const change = JSON.parse(message.data);
      const entry = shown.get(key(change.source, change.id));
      if (entry) renderReactions(entry.reactions, change.reactions);
    });
    // An event left the feed (hidden, or its person erased): take it off the page.
    source.addEventListener('removed', (message) => {
      const change = JSON.parse(message.data);
      const entry = shown.get(key(change.source, change.id));
      if (!entry) return;
      entry.item.remove();
      shown.delete(key(change.source, change.id));
      empty.hidden = shown.size > 0;
    });
    source.addEventListener('close', (message) => {
      // The service ended the stream (restart, or we fell behind): resume from the last event.
      source.close();
      const reason = JSON.parse(message.data).error;
      status.textContent = `Reconnecting (${reason.code})…`;
      resuming = true;
      newestCursor = message.lastEventId || newestCursor;
      setTimeout(live, 2000);
    });
  }

  setInterval(() => {
    for (const time of list.querySelectorAll('time')) time.textContent = ago(time.dateTime);
  }, 30000);

  more.addEventListener('click', () => void loadMore());

  (async () => {
    try {
      const page = await fetchPage(null);
      append(page.items);
      nextCursor = page.nextCursor;
      newestCursor = page.items.length > 0 ? page.items[0].cursor : null;
      more.hidden = nextCursor === null;
      status.textContent = 'Connecting…';
      live();
    } catch (error) {
      status.textContent = '';
      showError(`Could not load the feed: ${error.message}`);
    }
  })();
})();
