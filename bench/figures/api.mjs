import { fileURLToPath } from 'node:url';
import { startNode } from '../lib/child.mjs';
import { figureRow } from '../lib/figureRow.mjs';
import { formatNumber } from '../lib/formatNumber.mjs';
import { startServer } from '../lib/httpServers.mjs';
import { profileArgs, serviceMain } from '../lib/ourParts.mjs';
import { seedFeedTable, seedTypes } from '../lib/seedFeedTable.mjs';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

/**
 * One autocannon run from its own process. `pages` (optional): { template, min, max } to ask
 * for a page at the position of a random seeded row `seq` in [min, max] on each request.
 */
async function load(ctx, url, pages) {
  const { sizes } = ctx.params;
  const child = startNode(here('../clients/httpLoad.mjs'), {
    label: `autocannon ${url}`,
    env: {
      URL: url,
      CONNECTIONS: String(sizes.apiConnections),
      DURATION: String(sizes.apiSeconds),
      WARMUP: String(sizes.apiWarmupSeconds),
      ...(pages && {
        PATH_TEMPLATE: pages.template,
        SEQ_MIN: String(pages.min),
        SEQ_MAX: String(pages.max),
      }),
    },
  });
  const result = await child.next(
    (m) => m.result,
    (sizes.apiSeconds + sizes.apiWarmupSeconds + 60) * 1000,
  );
  await child.exited;
  const shown = pages ? `${url}${pages.template} (${pages.min}…${pages.max})` : url;
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(
      `${shown}: ${result.non2xx} non-2xx responses, ${result.errors} errors under load`,
    );
  ctx.log(`  ${shown}: ${result.rps.toFixed(0)} req/s, p99 ${result.p99} ms`);
  return result;
}

async function withServer(options, use) {
  const server = await startServer(options);
  try {
    return await use(server.base);
  } finally {
    await server.child.stop();
  }
}

export function ourServiceEnv(ctx) {
  return {
    DATABASE_URL: ctx.db.url,
    AMQP_URL: ctx.vhost.url,
    LOG_LEVEL: 'warn',
    // The bench is one client address sending thousands of requests a second, and holding
    // its 1,000 stream clients (SERVICE_STREAMS_PER_CLIENT is 50 by default).
    SERVICE_RATE_LIMIT_MAX: '10000000',
    SERVICE_STREAMS_PER_CLIENT: '10000',
    SERVICE_STREAMS_MAX: '10000',
  };
}

/**
 * API: requests per second and p99 for the head of the feed, a filtered page and a page deep
 * in a large table, against a Fastify hello-world route and a straightforward Fastify + pg
 * keyset route, all loaded by autocannon from another process with the same connections.
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
      filtered: await load(ctx, base, {
        template: `/events?limit=${limit}&type=${filterType}&before={position}`,
        ...ranges.filtered,
      }),
      deep: await load(ctx, base, {
        template: `/events?limit=${limit}&before={position}`,
        ...ranges.deep,
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
        head: await load(ctx, `${base}/events?limit=${limit}`),
        filtered: await load(ctx, base, {
          template: `/events?limit=${limit}&type=${filterType}&cursor={cursor}`,
          ...ranges.filtered,
        }),
        deep: await load(ctx, base, {
          template: `/events?limit=${limit}&cursor={cursor}`,
          ...ranges.deep,
        }),
        // Pages near the head read through a cursor: the database path, whatever is cached.
        headByCursor: await load(ctx, base, {
          template: `/events?limit=${limit}&cursor={cursor}`,
          ...ranges.head,
        }),
      }),
    );
  }
  const note = ctx.parts.service ? undefined : 'feed-service not built yet';
  const p99s = (o, b) =>
    `p99 ours ${o ? formatNumber(o.p99) : '—'} ms, baseline ${formatNumber(b.p99)} ms`;
  const depth = `${sizes.deepOffset.toLocaleString('en-US')} deep in ${rows.toLocaleString('en-US')}`;
  return [
    figureRow({
      figure: 'API head of feed vs hello world',
      ours: ours?.head.rps,
      baseline: hello.rps,
      baselineName: `Fastify hello-world route; ${p99s(ours?.head, hello)}`,
      unit: 'req/s',
      target: { ratioAtLeast: 0.5 },
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
      baselineName: `type=${filterType} (1 in 5 rows), pages at random cursors; ${p99s(ours?.filtered, keyset.filtered)}`,
      unit: 'req/s',
      target: { ratioAtLeast: 1.5 },
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
