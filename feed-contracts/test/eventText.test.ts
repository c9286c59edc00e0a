import { describe, expect, it } from 'vitest';
import { eventText, presentation, renderTemplate } from '../src/index.js';

describe('renderTemplate', () => {
  it('fills fields, nested ones too', () => {
    expect(
      renderTemplate(
        { template: '{name} joined {team.name}' },
        { name: 'Anna', team: { name: 'Platform' } },
      ),
    ).toBe('Anna joined Platform');
  });

  it('shows a missing field as nothing, and leaves out an optional part without its value', () => {
    const entry = presentation['employee.position_changed'];
    expect(renderTemplate(entry, { name: 'Oleg', position: 'Team Lead' })).toBe(
      'Oleg is now Team Lead',
    );
    expect(renderTemplate(entry, { name: 'Oleg', position: 'Team Lead', team: 'Sales' })).toBe(
      'Oleg is now Team Lead in Sales',
    );
    expect(renderTemplate({ template: '{name} joined {team}' }, { name: 'Anna' })).toBe(
      'Anna joined',
    );
    expect(renderTemplate({ template: '{name} joined {team}' }, null)).toBe('joined');
  });

  it('uses the phrases of a field, and keeps values that look like markup or fields as text', () => {
    const entry = presentation['team.structure_changed'];
    expect(renderTemplate(entry, { team: 'Core', change: 'merged', summary: 'into {team}' })).toBe(
      'Team Core was merged: into {team}',
    );
    expect(renderTemplate({ template: '{name}' }, { name: '<img src=x onerror=alert(1)>' })).toBe(
      '<img src=x onerror=alert(1)>',
    );
    expect(renderTemplate({ template: '{n} {ok} {obj}' }, { n: 3, ok: false, obj: { a: 1 } })).toBe(
      '3 false',
    );
  });
});

describe('eventText', () => {
  const templates = presentation;
  const generic = { type: 'kudos.sent', source: 'feed-cli' };

  it('reads a catalogue type through its template', () => {
    expect(
      eventText(
        {
          type: 'employee.registered',
          source: 'hr',
          data: { name: 'Anna', team: 'Platform', position: 'Backend developer' },
        },
        templates,
      ),
    ).toBe('Anna joined Platform as Backend developer');
  });

  it('reads an undeclared type by the wire contract: summary attribute, data.summary, data.title, data.text', () => {
    const data = { summary: 'S', title: 'T', text: 'X' };
    expect(eventText({ ...generic, data, extensions: { summary: 'attr' } }, templates)).toBe(
      'attr',
    );
    expect(eventText({ ...generic, data, extensions: { summary: 7 } }, templates)).toBe('S');
    expect(eventText({ ...generic, data: { title: 'T', text: 'X' } }, templates)).toBe('T');
    expect(
      eventText({ ...generic, data: { text: 'Thanks Oleg for fixing the build!' } }, templates),
    ).toBe('Thanks Oleg for fixing the build!');
    expect(eventText({ ...generic, data: { summary: '  ', text: 'X' } }, templates)).toBe('X');
  });

  it('falls back to the type and source', () => {
    expect(eventText({ ...generic, data: { count: 3 } }, templates)).toBe(
      'kudos.sent from feed-cli',
    );
    expect(eventText({ ...generic, data: null, extensions: null }, templates)).toBe(
      'kudos.sent from feed-cli',
    );
    // A type named like an object's own key is no template.
    expect(eventText({ type: 'constructor', source: 's' }, templates)).toBe('constructor from s');
  });
});
