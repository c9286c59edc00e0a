import { existsSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser } from 'playwright-core';
import type { FeedEvent } from '@feed/contracts';
import { createPool, type Pool } from '@feed/store';
import { createTestDatabase, waitFor, type TestDatabase } from '../../test-support/index.js';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { store } from './feedFixtures.js';

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = existsSync(chromiumPath);
const inCi = process.env.CI === 'true';
const outputDir = fileURLToPath(new URL('../../test-output/', import.meta.url));

let db: TestDatabase;
let pool: Pool;
let app: FastifyInstance;
let browser: Browser;
let base: string;

beforeAll(async () => {
  if (!hasChromium) return;
  db = await createTestDatabase('service-org-page');
  pool = createPool({ connectionString: db.url, max: 6 });
  // The portal names the reader: here, as on a developer's machine, one local reader.
  const config = loadConfig({ DATABASE_URL: db.url, SERVICE_LOCAL_READER: 'reader-1' });
  app = await buildApp({ config, pool });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  await waitFor(
    'the app to be ready',
    async () => (await app.inject('/readyz')).statusCode === 200,
  );
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
  });
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
  await pool?.end();
  await db?.drop();
});

let counter = 0;
function event(type: string, data: Record<string, unknown>): FeedEvent {
  counter += 1;
  return {
    specversion: '1.0',
    id: `op-${counter}`,
    source: 'hr',
    type,
    time: new Date(Date.now() - (100 - counter) * 60_000).toISOString(),
    ...(typeof data.employeeId === 'string' ? { subject: data.employeeId } : {}),
    data,
  };
}
const joins = (employeeId: string, name: string, teamId: string, team: string) =>
  event('employee.registered', { employeeId, name, team, teamId, position: 'Developer' });

describe('the live page, grouped and filtered', () => {
  it.skipIf(!hasChromium && !inCi)(
    'groups by default, expands a group, joins a new event to its group live, and filters by team, department and the reader’s own',
    async () => {
      if (!hasChromium) throw new Error(`CI=true and Chromium is missing at ${chromiumPath}`);
      const platform = ['Anna', 'Oleg', 'Mia', 'Ivan', 'Lena'];
      await store(pool, [
        event('team.structure_changed', {
          teamId: 't-plat',
          team: 'Platform',
          change: 'created',
          departmentId: 'd-eng',
          department: 'Engineering',
        }),
        joins('reader-1', 'Reader One', 't-plat', 'Platform'),
        ...platform.map((name) => joins(`p-${name}`, name, 't-plat', 'Platform')),
        event('team.structure_changed', {
          teamId: 't-sales',
          team: 'Sales',
          change: 'created',
          departmentId: 'd-com',
          department: 'Commerce',
        }),
        joins('s-1', 'Sara', 't-sales', 'Sales'),
        joins('s-2', 'Tom', 't-sales', 'Sales'),
        event('department.renamed', { departmentId: 'd-com', from: 'Commerce', to: 'Revenue' }),
      ]);
      // The reader's own reactions are on every event, those of a group's members included.
      const grouped = (await app.inject('/events?group=similar')).json<{
        items: { kind?: string; reacted?: string[]; members?: { reacted?: string[] }[] }[];
      }>();
      const members = grouped.items.flatMap((item) => item.members ?? []);
      expect(members.length).toBeGreaterThan(0);
      expect(members.every((m) => Array.isArray(m.reacted))).toBe(true);
      expect(grouped.items.filter((i) => i.kind === 'group' && 'reacted' in i)).toEqual([]);
      mkdirSync(outputDir, { recursive: true });
      const context = await browser.newContext({ viewport: { width: 900, height: 1100 } });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      try {
        await page.goto(`${base}/`);
        const items = page.locator('#feed > li');
        await expect.poll(() => items.count(), { timeout: 15_000 }).toBe(5);
        await expect
          .poll(() => page.locator('#status').textContent(), { timeout: 15_000 })
          .toBe('Live');
        expect(
          await items.locator(':scope > article > .sentence > .text').allTextContents(),
        ).toEqual([
          'Commerce was renamed Revenue',
          'Tom and Sara joined Sales',
          'Team Sales was created',
          'Lena, Ivan and 4 others joined Platform',
          'Team Platform was created',
        ]);

        // Expanding a group shows all its members, beyond the three sent inline.
        const group = items.filter({ hasText: 'joined Platform' });
        await group.getByRole('button', { name: 'Show 6' }).click();
        await expect.poll(() => group.locator('.members > li').count()).toBe(6);
        expect(await group.locator('.members .text').first().textContent()).toBe(
          'Lena joined Platform as Developer',
        );
        await page.screenshot({ path: `${outputDir}feed-grouped.png`, fullPage: true });

        // A new event joins its group live: the newest item grows instead of a new item.
        await store(pool, [
          event('department.renamed', { departmentId: 'd-com', from: 'Revenue', to: 'Growth' }),
        ]);
        await expect
          .poll(() => items.first().locator('.text').first().textContent(), { timeout: 15_000 })
          .toBe('Commerce was renamed Revenue, then Growth');
        expect(await items.count()).toBe(5);

        // The reader's own department, from the portal's identity.
        const myDepartment = page.getByRole('link', { name: 'My department: Engineering' });
        await expect.poll(() => myDepartment.count(), { timeout: 15_000 }).toBe(1);
        await myDepartment.click();
        await expect
          .poll(() => page.locator('#scope').textContent(), { timeout: 15_000 })
          .toBe('Department Engineering');
        await expect.poll(() => items.count()).toBe(2);
        expect(
          await items.locator(':scope > article > .sentence > .text').allTextContents(),
        ).toEqual(['Lena, Ivan and 4 others joined Platform', 'Team Platform was created']);
        await page.screenshot({ path: `${outputDir}feed-department.png`, fullPage: true });

        // A team by a former department's name works too; and by team name, ungrouped.
        await page.goto(`${base}/`);
        await page.getByLabel('Team').fill('Sales');
        await page.getByLabel('Group similar events').uncheck();
        await page.getByRole('button', { name: 'Apply' }).click();
        await expect
          .poll(() => page.locator('#scope').textContent(), { timeout: 15_000 })
          .toBe('Team Sales');
        await expect.poll(() => items.count()).toBe(3);
        expect(await items.locator('.text').allTextContents()).toEqual([
          'Tom joined Sales as Developer',
          'Sara joined Sales as Developer',
          'Team Sales was created',
        ]);
        await page.screenshot({ path: `${outputDir}feed-team.png`, fullPage: true });
        await page.goto(`${base}/?department=Commerce`);
        await expect
          .poll(() => page.locator('#scope').textContent(), { timeout: 15_000 })
          .toBe('Department Growth (formerly Commerce, Revenue)');
        expect(errors).toEqual([]);
      } finally {
        await context.close();
      }
    },
  );
});
