import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { catalogue, presentation, reactionKinds, type FeedEvent } from '@feed/contracts';
import { createPool, type Pool } from '@feed/store';
import { createTestDatabase, waitFor, type TestDatabase } from '../../test-support/index.js';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { inlineSchema } from '../src/schemas.js';
import { registered, store } from './feedFixtures.js';

let db: TestDatabase;
let pool: Pool;
let app: FastifyInstance;

interface Seen {
  type: string;
  firstSeen: string;
  lastSeen: string;
  events: number;
  sources: Array<{ source: string; firstSeen: string; lastSeen: string; events: number }>;
}
interface CatalogueBody {
  version: string;
  textRule: string;
  types: Array<{
    type: string;
    version: number;
    template: string;
    icon: string;
    category: string;
    reactable: boolean;
    schema: { type: string; required: string[]; properties: Record<string, unknown> };
  }>;
  reactions: Array<{ kind: string; emoji: string }>;
  seen: Seen[];
  seenOmitted: number;
}

let counter = 0;
function generic(type: string, source: string, data: unknown): FeedEvent {
  counter += 1;
  return {
    specversion: '1.0',
    id: `g-${process.pid}-${counter}`,
    source,
    type,
    time: new Date().toISOString(),
    data,
  };
}

beforeAll(async () => {
  db = await createTestDatabase('service-catalogue');
  pool = createPool({ connectionString: db.url, max: 4 });
  app = await buildApp({ config: loadConfig({ DATABASE_URL: db.url }), pool });
  await app.ready();
  await waitFor('the live feed', async () => (await app.inject('/readyz')).statusCode === 200);
});
afterAll(async () => {
  await app?.close();
  await pool?.end();
  await db?.drop();
});

const getCatalogue = async () => {
  const response = await app.inject('/catalogue');
  expect(response.statusCode).toBe(200);
  return response.json<CatalogueBody>();
};

describe('GET /catalogue', () => {
  it('lists every declared type with its schema, version, template, icon, category and reactability', async () => {
    const body = await getCatalogue();
    expect(body.types.map((t) => t.type)).toEqual(Object.keys(catalogue));
    for (const entry of body.types) {
      const shown = presentation[entry.type as keyof typeof presentation];
      expect(entry).toMatchObject({
        version: shown.version,
        template: shown.template,
        icon: shown.icon,
        category: shown.category,
        reactable: shown.reactable,
      });
      expect(entry.schema.type).toBe('object');
      expect(JSON.stringify(entry.schema)).not.toContain('$id');
    }
    const registeredType = body.types.find((t) => t.type === 'employee.registered')!;
    expect(registeredType.template).toBe('{name} joined {team} as {position}[ in {department}]');
    expect(registeredType.schema.required).toEqual(['employeeId', 'name', 'team', 'position']);
    expect(body.types.find((t) => t.type === 'reaction.added')!.reactable).toBe(false);
    expect(body.reactions.map((r) => r.kind)).toEqual(reactionKinds.map((r) => r.kind));
    expect(body.textRule).toContain(
      '`summary` attribute, `data.summary`, `data.title`, `data.text`',
    );
  });

  it("serves each type's schema from the one TypeBox source (validated in docs.int.test.ts)", async () => {
    const body = await getCatalogue();
    for (const entry of body.types)
      expect(entry.schema).toEqual(inlineSchema(catalogue[entry.type as keyof typeof catalogue]));
  });

  it('lists undeclared types as seen, with every source and the first and last time, and keeps up with new ones', async () => {
    const before = await getCatalogue();
    expect(before.seen).toEqual([]);
    await store(pool, [
      generic('kudos.sent', 'feed-cli', { text: 'Thanks Oleg for fixing the build!' }),
      registered('Anna'),
    ]);
    await store(pool, [
      generic('kudos.sent', 'portal', { text: 'well done' }),
      generic('kudos.sent', 'portal', { text: 'again' }),
    ]);
    const body = await waitFor('kudos.sent from both sources', async () => {
      const read = await getCatalogue();
      return read.seen[0]?.sources.length === 2 && read.seen[0].events === 3 && read;
    });
    expect(body.seen.map((s) => s.type)).toEqual(['kudos.sent']);
    const [kudos] = body.seen as [Seen];
    expect(kudos.sources.map((s) => [s.source, s.events]).sort()).toEqual([
      ['feed-cli', 1],
      ['portal', 2],
    ]);
    const portal = kudos.sources.find((s) => s.source === 'portal')!;
    expect(portal.firstSeen <= portal.lastSeen).toBe(true);
    expect(kudos.firstSeen).toBe(kudos.sources.find((s) => s.source === 'feed-cli')!.firstSeen);
    expect(kudos.lastSeen).toBe(portal.lastSeen);
    expect(Date.parse(kudos.lastSeen)).toBeGreaterThan(Date.now() - 60_000);
    expect(body.seenOmitted).toBe(0);

    // A type that arrives after the last read is listed on the next one; the counts so far stay.
    await store(pool, [generic('build.finished', 'ci', { title: 'main is green' })]);
    const later = await waitFor('build.finished seen', async () => {
      const read = await getCatalogue();
      return read.seen.some((s) => s.type === 'build.finished') && read;
    });
    expect(later.seen.map((s) => [s.type, s.events])).toEqual([
      ['build.finished', 1],
      ['kudos.sent', 3],
    ]);
  });

  it('answers 304 to a client that has the current catalogue', async () => {
    const first = await app.inject('/catalogue');
    const again = await app.inject({
      url: '/catalogue',
      headers: { 'if-none-match': String(first.headers.etag) },
    });
    expect(again.statusCode).toBe(304);
  });
});
