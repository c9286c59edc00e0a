import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load, ourServiceEnv, withServer } from '../lib/apiLoad.mjs';
import { figureRow } from '../lib/figureRow.mjs';
import { formatNumber } from '../lib/formatNumber.mjs';
import { profileArgs, serviceMain } from '../lib/ourParts.mjs';
import { rawGet } from '../lib/rawGet.mjs';
import { seedFeedTable } from '../lib/seedFeedTable.mjs';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const codings = ['identity', 'gzip', 'br'];

/**
 * The head of the feed (`/events?limit=N`, served from memory) against its limit: a bare
 * Fastify route sending the very bytes our service sent, from buffers prepared at start. Once
 * without Accept-Encoding, once asking for gzip, once for br, with the bytes of each page.
 * Ours runs first and its bodies become the baseline's; each is loaded alone on the machine.
 * Returns the rows and our identity run (for the row against the keyset route).
 */
export async function measureHeadFigure(ctx, limit) {
  const path = `/events?limit=${limit}`;
  if (!ctx.parts.service)
    return { rows: codings.map((coding) => headRow(coding, null, null, null)), identity: null };
  const dir = mkdtempSync(join(tmpdir(), 'feed-bench-head-'));
  try {
    const bytes = {};
    const ours = await withServer(
      {
        label: 'feed-service',
        script: serviceMain,
        nodeArgs: profileArgs('service'),
        env: ourServiceEnv(ctx),
        // Ready once the live feed listens: from then on the head is served from memory.
        probePath: '/readyz',
      },
      async (base) => {
        for (const coding of codings) {
          const answer = await rawGet(`${base}${path}`, { 'accept-encoding': coding });
          const sent = answer.headers['content-encoding'] ?? 'identity';
          if (answer.status !== 200 || sent !== coding)
            throw new Error(`head asked for ${coding}: ${answer.status}, sent ${sent}`);
          writeFileSync(join(dir, coding), answer.body);
          bytes[coding] = answer.body.length;
        }
        const runs = {};
        for (const coding of codings)
          runs[coding] = await load(ctx, `${base}${path}`, {
            headers: { 'accept-encoding': coding },
          });
        return runs;
      },
    );
    const prepared = await withServer(
      {
        label: 'prepared buffer route',
        script: here('../baselines/preparedServer.mjs'),
        env: { BODY_DIR: dir },
        probePath: path,
      },
      async (base) => {
        const runs = {};
        for (const coding of codings)
          runs[coding] = await load(ctx, `${base}${path}`, {
            headers: { 'accept-encoding': coding },
          });
        return runs;
      },
    );
    // The same route behind the plugins every answer of ours passes: their share of the gap.
    const behindPlugins = await withServer(
      {
        label: 'prepared buffer route behind helmet, cors, rate-limit',
        script: here('../baselines/preparedServer.mjs'),
        env: { BODY_DIR: dir, PLUGINS: 'security' },
        probePath: path,
      },
      (base) => load(ctx, `${base}${path}`, { headers: { 'accept-encoding': 'identity' } }),
    );
    const rows = codings.map((coding) =>
      headRow(coding, ours[coding], prepared[coding], bytes[coding], limit),
    );
    rows.push(
      figureRow({
        figure: 'API prepared buffer behind helmet, cors, rate-limit vs bare',
        ours: behindPlugins.rps,
        baseline: prepared.identity.rps,
        baselineName: `the bare prepared route above, identity; p99 ${formatNumber(behindPlugins.p99)} ms against ${formatNumber(prepared.identity.p99)} ms`,
        unit: 'req/s',
        note: 'what the plugins every answer of ours passes cost on their own',
      }),
      figureRow({
        figure: 'API head of feed vs prepared buffer behind the same plugins',
        ours: ours.identity.rps,
        baseline: behindPlugins.rps,
        baselineName:
          'the prepared route behind @fastify/helmet, @fastify/cors, @fastify/rate-limit',
        unit: 'req/s',
      }),
    );
    for (const coding of ['gzip', 'br'])
      rows.push(
        figureRow({
          figure: `API head of feed, bytes per page, ${coding} vs identity`,
          ours: bytes[coding],
          baseline: bytes.identity,
          baselineName: `the same page of ${limit} uncompressed`,
          unit: 'bytes',
        }),
      );
    return { rows, identity: ours.identity };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function headRow(coding, ours, prepared, bytes, limit) {
  const p99s =
    ours && prepared
      ? `; p99 ours ${formatNumber(ours.p99)} ms, baseline ${formatNumber(prepared.p99)} ms`
      : '';
  return figureRow({
    figure:
      coding === 'identity'
        ? 'API head of feed vs prepared buffer'
        : `API head of feed, ${coding}, vs prepared buffer`,
    ours: ours?.rps,
    baseline: prepared?.rps,
    baselineName: `bare Fastify route sending the same ${bytes ? formatNumber(bytes) : '?'} bytes${coding === 'identity' ? '' : ` of ${coding}`} from a buffer (page of ${limit ?? '?'})${p99s}`,
    unit: 'req/s',
    target: { ratioAtLeast: 0.9 },
    note: ours === null ? 'feed-service not built yet' : undefined,
  });
}

/** `--only=apiHead`: the head rows alone, on a table seeded as for the API figure. */
export async function measureApiHeadFigure(ctx) {
  await seedFeedTable(ctx.db.pool, ctx.params.sizes.tableRows);
  return (await measureHeadFigure(ctx, ctx.params.sizes.pageSize)).rows;
}
