import { existsSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser } from 'playwright-core';
import { createPool, hideEvent, notifyFeedChanged, type Pool } from '@feed/store';
import { createTestDatabase, waitFor, type TestDatabase } from '../../test-support/index.js';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { reaction, registered, store } from './feedFixtures.js';

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = existsSync(chromiumPath);
// Outside CI a machine without Chromium skips the page test and says so; in CI it must run.
const inCi = process.env.CI === 'true';
const missingChromium =
  `Chromium is missing at ${chromiumPath} (CHROMIUM_PATH): install it with ` +
  '`bash scripts/debian-packages.sh chromium`, which exits 1 and says why when it cannot';
const outputDir = fileURLToPath(new URL('../../test-output/', import.meta.url));
const xssName = '<img src=x onerror=alert(1)>';

let db: TestDatabase;
let pool: Pool;
let app: FastifyInstance;
let browser: Browser;
let base: string;

beforeAll(async () => {
  if (!hasChromium) return;
  db = await createTestDatabase('service-page');
  pool = createPool({ connectionString: db.url, max: 6 });
  app = await buildApp({ config: loadConfig({ DATABASE_URL: db.url }), pool });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  await waitFor(
    'the app to be ready',
    async () => (await app.inject('/readyz')).statusCode === 200,
  );
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
  await pool?.end();
  await db?.drop();
});

describe('the live feed page', () => {
  it.skipIf(!hasChromium && !inCi)(
    `shows the feed, loads more, shows new events live, and renders content as text (${chromiumPath} ${hasChromium ? 'found' : 'missing: run scripts/debian-packages.sh chromium'})`,
    async () => {
      if (!hasChromium) throw new Error(`CI=true and ${missingChromium}`);
      const older = Array.from({ length: 24 }, (_, i) =>
        registered(`Person ${i}`, {
          time: new Date(Date.now() - (48 - i) * 3_600_000).toISOString(),
        }),
      );
      const anna = registered('Anna Smirnova', {
        time: new Date(Date.now() - 120_000).toISOString(),
      });
      const xss = registered(xssName, { time: new Date(Date.now() - 60_000).toISOString() });
      await store(pool, [...older, anna, xss]);
      await store(pool, [
        reaction({ source: anna.source, id: anna.id }, 'like', 'u1'),
        reaction({ source: anna.source, id: anna.id }, 'like', 'u2'),
        reaction({ source: anna.source, id: anna.id }, 'fire', 'u3'),
      ]);
      // 26 events: Anna, the XSS name and 24 older ones (reactions are counts, not events).
      await waitFor('the head of the feed to hold them all', async () => {
        const body = (await app.inject('/events')).json<{ items: Array<{ id: string }> }>();
        return body.items.length === 20 && body.items.some((item) => item.id === xss.id);
      });

      const context = await browser.newContext({ viewport: { width: 900, height: 1400 } });
      const page = await context.newPage();
      const dialogs: string[] = [];
      page.on('dialog', (dialog) => {
        dialogs.push(dialog.message());
        void dialog.dismiss();
      });
      const consoleErrors: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') consoleErrors.push(message.text());
      });
      page.on('pageerror', (error) => consoleErrors.push(error.message));
      try {
        await page.goto(`${base}/`);
        const items = page.locator('#feed > li.event');
        await expect.poll(() => items.count(), { timeout: 15_000 }).toBe(20);
        await expect
          .poll(() => page.locator('#status').textContent(), { timeout: 15_000 })
          .toBe('Live');

        // A human sentence, reaction counts, and a relative time.
        const annaItem = items.filter({
          hasText: 'Anna Smirnova joined Platform as Backend developer',
        });
        await expect.poll(() => annaItem.count()).toBe(1);
        expect(await annaItem.locator('.reactions li').allTextContents()).toEqual(['👍 2', '🔥 1']);
        expect(await annaItem.locator('time').textContent()).toBe('2 minutes ago');

        // The name with markup is shown as text and runs nothing.
        const xssItem = items.filter({ hasText: `${xssName} joined Platform` });
        await expect.poll(() => xssItem.count()).toBe(1);
        expect(await page.locator('#feed img').count()).toBe(0);
        expect(await page.locator('img').count()).toBe(0);

        // Load more: the remaining 6, then no button.
        await page.getByRole('button', { name: 'Load more' }).click();
        await expect.poll(() => items.count()).toBe(26);
        await expect.poll(() => page.locator('#more').isHidden()).toBe(true);

        // A new event appears at the top without a reload.
        const fresh = registered('Oleg Petrov', {}, { team: 'Payments', position: 'Team Lead' });
        await store(pool, [fresh]);
        await expect
          .poll(() => items.first().textContent(), { timeout: 15_000 })
          .toContain('Oleg Petrov joined Payments as Team Lead');
        expect(await items.count()).toBe(27);

        // A live reaction updates the counts of its event.
        await store(pool, [reaction({ source: fresh.source, id: fresh.id }, 'fire', 'u4')]);
        const olegItem = items.filter({ hasText: 'Oleg Petrov joined Payments' });
        await expect
          .poll(() => olegItem.locator('.reactions li').allTextContents(), { timeout: 15_000 })
          .toEqual(['🔥 1']);

        // An event hidden by an admin leaves the page without a reload.
        await hideEvent(pool, anna);
        await notifyFeedChanged(pool);
        await expect.poll(() => annaItem.count(), { timeout: 15_000 }).toBe(0);
        expect(await items.count()).toBe(26);

        expect(dialogs).toEqual([]);
        expect(consoleErrors).toEqual([]);
        mkdirSync(outputDir, { recursive: true });
        await page.screenshot({ path: `${outputDir}feed-page.png`, fullPage: true });
      } finally {
        await context.close();
      }
    },
  );
});
