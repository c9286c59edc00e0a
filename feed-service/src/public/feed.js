// The live feed page: the catalogue says how each event reads, the list pages with Load more,
// the stream adds events and counts live, and readers react.
/* global EventSource, URLSearchParams, navigator */
import { ago, element, renderEvent, setCatalogue } from '/feed-view.js';
import { describeScope, readView, renderGroup, setUpOrgFilters } from '/feed-groups.js';

const pageSize = 20;
const list = document.getElementById('feed');
const more = document.getElementById('more');
const status = document.getElementById('status');
const empty = document.getElementById('empty');
const errorBox = document.getElementById('error');
const typeFilter = document.getElementById('type-filter');
const scopeLine = document.getElementById('scope');
/** Grouped, and a team or department: from the page's address (feed-groups.js). */
const view = readView();
/** The plain feed: each event of the stream is simply the newest item. */
const plain = !view.grouped && !view.team && !view.department;
/** Shown events by "source id": later frames update their counts or take them off. */
const shown = new Map();
const key = (source, id) => `${source} ${id}`;
let nextCursor = null;
let newestCursor = null;
let stream = null;
/** Each load of the list (a new filter) gets a number: answers for an older one are dropped. */
let generation = 0;

function say(line) {
  status.textContent = line;
}

function showError(message) {
  errorBox.textContent = message;
  errorBox.hidden = message === '';
}

function query(extra, list = true) {
  const params = new URLSearchParams(extra);
  if (typeFilter.value) params.set('type', typeFilter.value);
  if (view.grouped) params.set('group', 'similar');
  // The stream does not filter by team or department: the list does.
  if (list && view.team) params.set('team', view.team);
  if (list && view.department) params.set('department', view.department);
  return params;
}

/** One event, registered so that later frames update its counts or take it off. */
function entryOf(event) {
  const entry = renderEvent(event);
  entry.item.dataset.cursor = event.cursor;
  shown.set(key(event.source, event.id), entry);
  return entry;
}

/** An item of a page: a group (its members registered when shown) or one event. */
function itemOf(item) {
  return item.kind === 'group' ? renderGroup(item, entryOf) : entryOf(item).item;
}

/**
 * A new event on a grouped or filtered page: read the newest item of this view again. An
 * item keeps the cursor of its oldest event, so the same cursor means the event joined it
 * (a group grown, or a single event now a group): it is replaced; another cursor is a new
 * item on top.
 */
let refreshing = Promise.resolve();
function refreshTop() {
  const mine = generation;
  refreshing = refreshing.then(async () => {
    try {
      const [top] = (await getJson(`/events?${query({ limit: 1 })}`)).items;
      if (!top || mine !== generation) return;
      const first = list.firstElementChild;
      const item = itemOf(top);
      const same = first && first.dataset.cursor === top.cursor;
      // An event of another part of the company changes nothing here.
      if (same && first.textContent === item.textContent) return;
      item.classList.add('new');
      if (same) first.replaceWith(item);
      else list.prepend(item);
      empty.hidden = true;
    } catch {
      // The next event tries again.
    }
  });
}

async function getJson(url, options) {
  const response = await fetch(url, { headers: { accept: 'application/json' }, ...options });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(body.error ? body.error.message : response.statusText);
    error.code = body.error ? body.error.code : String(response.status);
    throw error;
  }
  return body;
}

function show(events, where) {
  for (const event of events) {
    if (event.kind !== 'group' && shown.has(key(event.source, event.id))) continue;
    const item = itemOf(event);
    if (where === 'top') {
      item.classList.add('new');
      list.prepend(item);
    } else list.append(item);
  }
  empty.hidden = list.childElementCount > 0;
}

async function loadMore() {
  const mine = generation;
  more.disabled = true;
  try {
    const page = await getJson(`/events?${query({ limit: pageSize, cursor: nextCursor })}`);
    if (mine !== generation) return;
    show(page.items);
    nextCursor = page.nextCursor;
    more.hidden = nextCursor === null;
  } catch (error) {
    showError(`Could not load more: ${error.message}`);
  } finally {
    more.disabled = false;
  }
}

/** Opens the live stream after the newest event shown, with the same filter as the list. */
function live() {
  if (stream) stream.close();
  const params = query(newestCursor ? { after: newestCursor } : {}, false);
  const source = new EventSource(`/events/stream?${params}`);
  stream = source;
  let resuming = false;
  source.onopen = () => say(resuming ? 'Live (reconnected; nothing was missed)' : 'Live');
  source.onerror = () => {
    // EventSource retries by itself (with Last-Event-ID) unless the service refused it.
    resuming = true;
    if (source.readyState === EventSource.CLOSED) {
      say('Not live: the service refused the stream. New events show after a reload.');
      return;
    }
    say(navigator.onLine === false ? 'Offline: waiting for the network…' : 'Reconnecting…');
  };
  source.onmessage = (message) => {
    const event = JSON.parse(message.data);
    newestCursor = event.cursor;
    if (plain) show([event], 'top');
    else refreshTop();
  };
  source.addEventListener('reactions', (message) => {
    const change = JSON.parse(message.data);
    const entry = shown.get(key(change.source, change.id));
    if (!entry) return;
    entry.reactions = change.reactions;
    entry.render();
  });
  source.addEventListener('removed', (message) => {
    const change = JSON.parse(message.data);
    const entry = shown.get(key(change.source, change.id));
    if (!entry) return;
    entry.item.remove();
    shown.delete(key(change.source, change.id));
    empty.hidden = list.childElementCount > 0;
  });
  source.addEventListener('close', (message) => {
    // The service ended the stream (a restart, or this page fell behind): resume after a pause.
    source.close();
    const reason = JSON.parse(message.data).error;
    say(`Reconnecting (${reason.code})…`);
    setTimeout(() => {
      if (stream === source) live();
    }, 2000);
  });
}

/** Loads the list from the top for the current filter, then follows it live. */
async function reload() {
  generation += 1;
  const mine = generation;
  if (stream) stream.close();
  stream = null;
  shown.clear();
  list.replaceChildren();
  showError('');
  say('Loading…');
  try {
    const page = await getJson(`/events?${query({ limit: pageSize })}`);
    if (mine !== generation) return;
    scopeLine.textContent = describeScope(page.scope);
    scopeLine.hidden = scopeLine.textContent === '';
    show(page.items);
    nextCursor = page.nextCursor;
    const top = page.items[0];
    newestCursor = top ? (top.kind === 'group' ? top.members[0].cursor : top.cursor) : null;
    more.hidden = nextCursor === null;
    say('Connecting…');
    live();
  } catch (error) {
    say('Not live: the feed could not be loaded.');
    showError(`Could not load the feed: ${error.message}`);
  }
}

/** A reaction button: PUT to react, DELETE to take it back; the count comes from the stream. */
async function toggle(button) {
  const entry = [...shown.values()].find((e) => e.bar.contains(button));
  if (!entry || button.disabled) return;
  const kind = button.dataset.kind;
  const reacting = button.getAttribute('aria-pressed') !== 'true';
  const { source, id } = entry.event;
  // Disabling a button takes the focus away: note it first, to give it back.
  const focused = document.activeElement === button;
  button.disabled = true;
  try {
    const state = await getJson(
      `/events/${encodeURIComponent(id)}/reactions/${kind}?${new URLSearchParams({ source })}`,
      { method: reacting ? 'PUT' : 'DELETE' },
    );
    const mine = new Set(entry.reacted);
    if (state.reacted) mine.add(kind);
    else mine.delete(kind);
    entry.reacted = [...mine];
    showError('');
  } catch (error) {
    showError(
      error.code === 'FEED_API_READER_MISSING'
        ? 'Reacting needs the portal to say who you are; open the feed through the portal.'
        : `Could not react: ${error.message}`,
    );
  } finally {
    entry.render();
    // The bar was drawn anew: keep the keyboard on the same reaction.
    const again = entry.bar.querySelector(`button[data-kind="${kind}"]`);
    if (again && focused) again.focus();
  }
}

list.addEventListener('click', (event) => {
  const button = event.target.closest('button.reaction');
  if (button) void toggle(button);
});
more.addEventListener('click', () => void loadMore());
typeFilter.addEventListener('change', () => void reload());
window.addEventListener('offline', () => say('Offline: waiting for the network…'));

setInterval(() => {
  for (const time of list.querySelectorAll('time')) time.textContent = ago(time.dateTime);
}, 30000);

/** The filter's choices: the declared types that are feed items, then the types seen. */
function fillFilter(catalogue) {
  const add = (value, label) =>
    typeFilter.append(Object.assign(element('option', '', label), { value }));
  // Reactions change counters and a snapshot seeds the organisation: neither is an item.
  for (const entry of catalogue.types)
    if (entry.category !== 'reactions' && entry.type !== 'organisation.snapshot')
      add(entry.type, `${entry.icon} ${entry.type}`);
  for (const seen of catalogue.seen) add(seen.type, `📣 ${seen.type}`);
}

void setUpOrgFilters(document.getElementById('org-filters'), document.getElementById('mine'), view);

(async () => {
  try {
    const catalogue = await getJson('/catalogue');
    setCatalogue(catalogue);
    fillFilter(catalogue);
  } catch (error) {
    // Without the catalogue every event still reads by the text rule of undeclared types.
    setCatalogue({ types: [], reactions: [], seen: [] });
    showError(`Could not load the catalogue: ${error.message}`);
  }
  await reload();
})();
