import { existsSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser } from 'playwright-core';
import { createFeedPublisher, type FeedPublisher } from '@feed/publisher';
import { createPool, hideEvent, notifyFeedChanged, type Pool } from '@feed/store';
import {
  createTestDatabase,
  createTestVhost,
  startWorker,
  waitFor,
  type TestDatabase,
  type TestVhost,
  type WorkerProcess,
} from '../../test-support/index.js';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import type { FeedEvent } from '@feed/contracts';
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
let vhost: TestVhost;
let worker: WorkerProcess;
let publisher: FeedPublisher;
let pool: Pool;
let app: FastifyInstance;
let browser: Browser;
let base: string;

beforeAll(async () => {
  if (!hasChromium) return;
  db = await createTestDatabase('service-page');
  vhost = await createTestVhost('service-page');
  pool = createPool({ connectionString: db.url, max: 6 });
  // A reaction clicked on the page goes through the broker and the real worker.
  worker = await startWorker(vhost.url, db.url);
  publisher = createFeedPublisher({ url: vhost.url, source: 'feed-service' });
  app = await buildApp({
    config: loadConfig({
      DATABASE_URL: db.url,
      AMQP_URL: vhost.url,
      SERVICE_LOCAL_READER: 'e-page-reader',
    }),
    pool,
    publisher,
  });
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
  await publisher?.close();
  await worker?.stop();
  await pool?.end();
  await vhost?.drop();
  await db?.drop();
});

/** A page in a context of its own, recording every dialog (a script that ran) and error. */
async function openPage(width: number, height: number) {
  const context = await browser.newContext({ viewport: { width, height } });
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
  return { context, page, dialogs, consoleErrors };
}

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

      const { context, page, dialogs, consoleErrors } = await openPage(900, 1400);
      try {
        // The plain feed, one item per event (grouping: orgPage.int.test.ts).
        await page.goto(`${base}/?group=none`);
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
        expect(await annaItem.locator('.reaction').allTextContents()).toEqual([
          '👍 2',
          '🔥 1',
          '👏 0',
          '❤️ 0',
          '🎉 0',
        ]);
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
          .poll(() => olegItem.locator('.reaction[data-kind=fire]').textContent(), {
            timeout: 15_000,
          })
          .toBe('🔥 1');

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

  it.skipIf(!hasChromium && !inCi)(
    'renders any event from the catalogue, reacts by click and by keyboard through the real worker, filters, runs no script from event data, and reads at phone width',
    async () => {
      if (!hasChromium) throw new Error(`CI=true and ${missingChromium}`);
      const now = Date.now();
      const at = (secondsAgo: number) => new Date(now - secondsAgo * 1000).toISOString();
      const kudos: FeedEvent = {
        specversion: '1.0',
        id: `kudos-${process.pid}`,
        source: 'feed-cli',
        type: 'kudos.sent',
        time: at(30),
        data: { text: 'Thanks Oleg for fixing the build!' },
      };
      const hostile: FeedEvent = {
        specversion: '1.0',
        id: `hostile-${process.pid}`,
        source: 'portal',
        type: 'note.posted',
        time: at(20),
        data: { title: '<script>window.__ran = 1</script><img src=x onerror="window.__ran = 2">' },
      };
      const promoted = registered('Oleg Petrov', { time: at(10) });
      promoted.type = 'employee.position_changed';
      promoted.data = { employeeId: 'e-oleg', name: 'Oleg Petrov', position: 'Team Lead' };
      const renamed: FeedEvent = {
        specversion: '1.0',
        id: `renamed-${process.pid}`,
        source: 'registrar',
        type: 'department.renamed',
        time: at(5),
        data: { departmentId: 'd-1', from: 'Sales', to: 'Revenue' },
      };
      await store(pool, [kudos, hostile, promoted, renamed]);
      await waitFor('the events listed', async () =>
        (await app.inject('/events'))
          .json<{ items: Array<{ id: string }> }>()
          .items.some((item) => item.id === renamed.id),
      );

      const { context, page, dialogs, consoleErrors } = await openPage(1280, 900);
      try {
        await page.goto(`${base}/?group=none`);
        const items = page.locator('#feed > li.event');
        await expect
          .poll(() => page.locator('#status').textContent(), { timeout: 15_000 })
          .toBe('Live');
        // The producer's own text for an undeclared type; a template's missing part is nothing.
        const kudosItem = items.filter({ hasText: 'Thanks Oleg for fixing the build!' });
        await expect.poll(() => kudosItem.count()).toBe(1);
        const olegItem = items.filter({ hasText: 'Oleg Petrov is now Team Lead' });
        expect(await olegItem.locator('.text').textContent()).toBe('Oleg Petrov is now Team Lead');
        expect(await page.locator('#feed').textContent()).not.toContain('undefined');
        // Markup in event data is text: shown, never run.
        const hostileItem = items.filter({ hasText: '<script>window.__ran = 1</script>' });
        await expect.poll(() => hostileItem.count()).toBe(1);
        expect(await page.evaluate(() => (window as { __ran?: number }).__ran)).toBeUndefined();
        expect(await page.locator('#feed img, #feed script').count()).toBe(0);

        // A click reacts: the button is pressed and the count, through the worker, is 1.
        const fire = kudosItem.locator('.reaction[data-kind=fire]');
        expect(await fire.textContent()).toBe('🔥 0');
        await fire.click();
        await expect
          .poll(() => fire.getAttribute('aria-pressed'), { timeout: 15_000 })
          .toBe('true');
        await expect.poll(() => fire.textContent(), { timeout: 15_000 }).toBe('🔥 1');
        // By keyboard: Tab to the next reaction, Enter.
        await fire.focus();
        await page.keyboard.press('Tab');
        expect(await page.evaluate(() => document.activeElement?.getAttribute('data-kind'))).toBe(
          'clap',
        );
        await page.keyboard.press('Enter');
        const clap = kudosItem.locator('.reaction[data-kind=clap]');
        await expect.poll(() => clap.textContent(), { timeout: 15_000 }).toBe('👏 1');
        // Clicked again, it is taken back.
        await fire.click();
        await expect.poll(() => fire.textContent(), { timeout: 15_000 }).toBe('🔥 0');
        expect(await fire.getAttribute('aria-pressed')).toBe('false');
        const { rows } = await pool.query<{ reaction: string }>(
          "select reaction from feed_reactions where actor = 'e-page-reader' and active",
        );
        expect(rows.map((r) => r.reaction)).toEqual(['clap']);

        mkdirSync(outputDir, { recursive: true });
        await page.screenshot({ path: `${outputDir}feed-page-desktop.png` });

        // The filter narrows the list to one type, and the stream follows it.
        await page.locator('#type-filter').selectOption('department.renamed');
        await expect.poll(() => items.count(), { timeout: 15_000 }).toBe(1);
        expect(await items.first().locator('.text').textContent()).toBe(
          'Sales was renamed Revenue',
        );
        await expect
          .poll(() => page.locator('#status').textContent(), { timeout: 15_000 })
          .toBe('Live');
        await page.locator('#type-filter').selectOption('');
        await expect.poll(() => kudosItem.count(), { timeout: 15_000 }).toBe(1);
        // The reader's own reaction comes back with the page.
        expect(await clap.getAttribute('aria-pressed')).toBe('true');

        // Phone width: nothing wider than the screen.
        await page.setViewportSize({ width: 375, height: 812 });
        expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
          375,
        );
        await page.screenshot({ path: `${outputDir}feed-page-phone.png` });
        expect(dialogs).toEqual([]);
        expect(consoleErrors).toEqual([]);
      } finally {
        await context.close();
      }
    },
  );
});
