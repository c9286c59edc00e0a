import { fileURLToPath } from 'node:url';
import { load, ourServiceEnv, withServer } from '../lib/apiLoad.mjs';
import { figureRow } from '../lib/figureRow.mjs';
import { formatNumber } from '../lib/formatNumber.mjs';
import { profileArgs, serviceMain } from '../lib/ourParts.mjs';
import { seedFeedTable, seedTypes } from '../lib/seedFeedTable.mjs';
import { measureHeadFigure } from './apiHead.mjs';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

/**
 * API: requests per second and p99 for the head of the feed (against a bare Fastify route
 * sending the same bytes from a buffer, in each coding: apiHead.mjs), a filtered page and a
 * page deep in a large table (against a straightforward Fastify + pg keyset route), all loaded
 * by autocannon from another process with the same connections; and a hello-world route for
 * scale.
 */
export async function measureApiFigure(ctx) {
  const { sizes } = ctx.params;
  const rows = sizes.tableRows;
  const started = Date.now();
  await seedFeedTable(ctx.db.pool, rows);
  ctx.log(`api: seeded ${rows} events in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const limit = sizes.pageSize;
  const filterType = seedTypes[1];
  const deepSeq = rows - sizes.deepOffset;
  // Pages are read at random positions so that no cache answers them: the filtered ones
  // anywhere in the newer half, the deep ones within 5% of the table around the depth, and the
  // head's database path within the newest 10%.
  const spread = Math.round(rows * 0.05);
  const ranges = {
    filtered: { min: Math.round(rows / 2), max: rows },
    deep: { min: deepSeq - spread, max: deepSeq + spread },
    head: { min: rows - 2 * spread, max: rows },
  };
  // The filtered pages, the same requests to each server in its own cursor's terms.
  const filtered = (cursor) => ({
    pages: {
      template: `/events?limit=${limit}&type=${filterType}&${cursor}`,
      ...ranges.filtered,
    },
  });
  const keysetFiltered = filtered('before={position}');
  const oursFiltered = filtered('cursor={cursor}');

  const hello = await withServer(
    { label: 'hello-world', script: here('../baselines/helloServer.mjs') },
    (base) => load(ctx, `${base}/`),
  );
  const keyset = await withServer(
    {
      label: 'keyset route',
      script: here('../baselines/keysetServer.mjs'),
      env: { DATABASE_URL: ctx.db.url },
      probePath: `/events?limit=${limit}`,
    },
    async (base) => ({
      head: await load(ctx, `${base}/events?limit=${limit}`),
      // Twice over the same range, as ours: the first pass, then the one compared.
      filteredFirst: await load(ctx, base, keysetFiltered),
      filtered: await load(ctx, base, keysetFiltered),
      deep: await load(ctx, base, {
        pages: { template: `/events?limit=${limit}&before={position}`, ...ranges.deep },
      }),
    }),
  );
  let ours = null;
  if (ctx.parts.service) {
    ours = await withServer(
      {
        label: 'feed-service',
        script: serviceMain,
        nodeArgs: profileArgs('service'),
        env: ourServiceEnv(ctx),
        probePath: `/events?limit=${limit}`,
      },
      async (base) => ({
        // The first pass over the filtered range is the one in which the service first reads
        // the range's events (an info row); the second, compared by the target, is what a
        // service that has run for a while answers: each of the three page figures follows a
        // load over its own range.
        filteredFirst: await withItemShare(base, () => load(ctx, base, oursFiltered)),
        filtered: await withItemShare(base, () => load(ctx, base, oursFiltered)),
        // Each of the two runs compared by p99 follows a short load over its own range, so
        // that neither pays in its p99 for filling the service's item cache and both are
        // measured alike (the cache does not hold both ranges and the filtered one at once).
        warmDeep: await warm(ctx, base, `/events?limit=${limit}&cursor={cursor}`, ranges.deep),
        deep: await withItemShare(base, () =>
          load(ctx, base, {
            pages: { template: `/events?limit=${limit}&cursor={cursor}`, ...ranges.deep },
          }),
        ),
        warmHead: await warm(ctx, base, `/events?limit=${limit}&cursor={cursor}`, ranges.head),
        // Pages near the head read through a cursor: the database path, whatever is cached.
        headByCursor: await load(ctx, base, {
          pages: { template: `/events?limit=${limit}&cursor={cursor}`, ...ranges.head },
        }),
      }),
    );
  }
  const head = await measureHeadFigure(ctx, limit);
  if (ours) ours.head = head.identity;
  const note = ctx.parts.service ? undefined : 'feed-service not built yet';
  const p99s = (o, b) =>
    `p99 ours ${o ? formatNumber(o.p99) : '—'} ms, baseline ${formatNumber(b.p99)} ms${
      o?.items === undefined ? '' : `; ${o.items}`
    }`;
  const depth = `${sizes.deepOffset.toLocaleString('en-US')} deep in ${rows.toLocaleString('en-US')}`;
  return [
    ...head.rows,
    figureRow({
      figure: 'API head of feed vs hello world',
      ours: ours?.head.rps,
      baseline: hello.rps,
      // No target: a 17-byte body is no limit for a page of 35 KB (the prepared buffer is).
      baselineName: `Fastify hello-world route (17 bytes); ${p99s(ours?.head, hello)}`,
      unit: 'req/s',
      note,
    }),
    figureRow({
      figure: 'API head of feed vs keyset route',
      ours: ours?.head.rps,
      baseline: keyset.head.rps,
      baselineName: `Fastify + pg keyset route, page of ${limit}; ${p99s(ours?.head, keyset.head)}`,
      unit: 'req/s',
      note,
    }),
    figureRow({
      figure: 'API filtered page vs keyset route',
      ours: ours?.filtered.rps,
      baseline: keyset.filtered.rps,
      baselineName: `type=${filterType} (1 in 5 rows), pages at random cursors, each server's second pass over the range; ${p99s(ours?.filtered, keyset.filtered)}`,
      unit: 'req/s',
      target: { ratioAtLeast: 1.5 },
      note,
    }),
    figureRow({
      figure: 'API filtered page, first pass, vs keyset route',
      ours: ours?.filteredFirst.rps,
      baseline: keyset.filteredFirst.rps,
      baselineName: `the same requests, each server's first pass over the range (the one in which ours first reads the range's events); ${p99s(ours?.filteredFirst, keyset.filteredFirst)}`,
      unit: 'req/s',
      note,
    }),
    figureRow({
      figure: 'API deep page vs keyset route',
      ours: ours?.deep.rps,
      baseline: keyset.deep.rps,
      baselineName: `pages ${depth} (±5%, random); ${p99s(ours?.deep, keyset.deep)}`,
      unit: 'req/s',
      target: { ratioAtLeast: 1.5 },
      note,
    }),
    figureRow({
      figure: 'API deep page p99 vs head (database path)',
      ours: ours?.deep.p99,
      baseline: ours?.headByCursor.p99,
      baselineName: `ours: pages in the newest 10% read through a cursor`,
      unit: 'ms',
      target: { ratioAtMost: 1.2 },
      note,
    }),
  ];
}

/** The service's items of pages below the head so far, by where they came from. */
async function itemCounts(base) {
  const text = await (await fetch(`${base}/metrics`)).text();
  const count = (from) =>
    Number(
      text.match(new RegExp(`^feed_item_cache_items_total\\{from="${from}"\\} (\\d+)`, 'm'))?.[1] ??
        0,
    );
  return { memory: count('memory'), database: count('database') };
}

/**
 * A load of ours, with the share of its pages' items that came from the service's item cache
 * (warm-up included): the figure's note says how much of it memory served.
 */
async function withItemShare(base, run) {
  const before = await itemCounts(base);
  const result = await run();
  const after = await itemCounts(base);
  const memory = after.memory - before.memory;
  const all = memory + after.database - before.database;
  const share = all === 0 ? 0 : Math.round((100 * memory) / all);
  return { ...result, items: `${share}% of items from the service's item cache` };
}

/** A short load of pages over a range, its figures not kept: what a cache holds after it. */
function warm(ctx, base, template, range) {
  return load(ctx, base, {
    pages: { template, ...range },
    seconds: ctx.params.sizes.apiWarmupSeconds,
  });
}
