// Grouped items, the team and department filters and the reader's shortcuts of the live
// page (feed.js). Every value is set with textContent, as everywhere on the page.
/* global URLSearchParams, location */
import { ago, element } from '/feed-view.js';

/**
 * What the page shows, from its address: grouped unless `group=none`, a team's or a
 * department's feed with `team=` / `department=` (ids or names, former names too).
 */
export function readView() {
  const query = new URLSearchParams(location.search);
  return {
    grouped: query.get('group') !== 'none',
    team: query.get('team') || '',
    department: query.get('department') || '',
  };
}

/**
 * A group as a list item: its summary, the newest member's time, its count, and a button
 * that lists its members (all of them through `membersHref`). `renderMember` renders one
 * event and returns its entry (feed.js registers it, so its reactions stay live).
 */
export function renderGroup(group, renderMember) {
  const item = element('li', 'event group');
  item.dataset.type = group.type;
  item.dataset.cursor = group.cursor;
  const article = element('article');
  const line = element('p', 'sentence');
  line.append(element('span', 'text', group.summary));
  article.append(line);
  const meta = element('p', 'meta');
  const newest = group.members[0];
  if (newest) {
    const time = element('time', '', ago(newest.time));
    time.dateTime = newest.time;
    time.title = new Date(newest.time).toLocaleString();
    meta.append(time);
  }
  meta.append(element('span', 'count', ` · ${group.count} events`));
  article.append(meta);
  const members = element('ol', 'members');
  members.hidden = true;
  members.setAttribute('aria-label', group.summary);
  const expand = element('button', 'expand', `Show ${group.count}`);
  expand.type = 'button';
  expand.setAttribute('aria-expanded', 'false');
  let loaded = false;
  expand.addEventListener('click', async () => {
    const open = members.hidden;
    if (open && !loaded) {
      loaded = true;
      // The members are the next `count` events from membersCursor (at most 100 at once).
      let events = group.members;
      if (group.count > group.members.length) {
        try {
          const response = await fetch(group.membersHref, {
            headers: { accept: 'application/json' },
          });
          if (response.ok) events = (await response.json()).items.slice(0, group.count);
        } catch {
          // The members sent inline are still shown.
        }
      }
      for (const event of events) members.append(renderMember(event).item);
    }
    members.hidden = !open;
    expand.setAttribute('aria-expanded', String(open));
    expand.textContent = open ? 'Hide' : `Show ${group.count}`;
  });
  article.append(expand, members);
  item.append(article);
  return item;
}

/** What a team or department filter resolved to, in words. */
export function describeScope(scope) {
  const unit = scope && (scope.team || scope.department);
  if (!unit) return '';
  const kind = scope.team ? 'Team' : 'Department';
  const former = unit.formerNames.length ? ` (formerly ${unit.formerNames.join(', ')})` : '';
  const merged =
    unit.merged && unit.merged.length
      ? `, with ${unit.merged.map((m) => m.name).join(', ')} merged into it`
      : '';
  return `${kind} ${unit.name}${former}${merged}`;
}

/** The team and department fields, the grouping box, and the reader's own as shortcuts. */
export async function setUpOrgFilters(form, mine, view) {
  form.elements.team.value = view.team;
  form.elements.department.value = view.department;
  form.elements.grouped.checked = view.grouped;
  form.addEventListener('submit', (submitted) => {
    submitted.preventDefault();
    const next = new URLSearchParams();
    const team = form.elements.team.value.trim();
    const department = form.elements.department.value.trim();
    if (team) next.set('team', team);
    else if (department) next.set('department', department);
    if (!form.elements.grouped.checked) next.set('group', 'none');
    location.search = next.toString();
  });
  try {
    const response = await fetch('/organisation/me', { headers: { accept: 'application/json' } });
    if (!response.ok) return;
    const me = await response.json();
    for (const [param, unit, name] of [
      ['team', me.team, 'My team'],
      ['department', me.department, 'My department'],
    ]) {
      if (!unit) continue;
      const link = element('a', 'shortcut', `${name}: ${unit.name}`);
      const target = new URLSearchParams({ [param]: unit.id });
      if (!view.grouped) target.set('group', 'none');
      link.href = `/?${target}`;
      if (view[param] === unit.id) link.setAttribute('aria-current', 'page');
      mine.append(link);
    }
    mine.hidden = mine.childElementCount === 0;
  } catch {
    // No shortcuts: the fields still work.
  }
}
