import { fileURLToPath } from 'node:url';
import { startNode } from '../lib/child.mjs';
import { figureRow } from '../lib/figureRow.mjs';
import { resetTopology } from '../lib/feedQueue.mjs';

const client = (name) => fileURLToPath(new URL(`../clients/${name}`, import.meta.url));

async function publishRate(ctx, mode) {
  await resetTopology(ctx.vhost.url, 'quorum');
  const { sizes } = ctx.params;
  const child = startNode(client('publishRate.mjs'), {
    label: `publisher (${mode})`,
    env: {
      AMQP_URL: ctx.vhost.url,
      MODE: mode,
      COUNT: String(sizes.publishCount),
      IN_FLIGHT: String(sizes.publishInFlight),
    },
  });
  const result = await child.next((m) => m.result);
  await child.exited;
  ctx.log(`publish ${mode}: ${result.rate.toFixed(0)}/s`);
  return result.rate;
}

async function outboxRate(ctx) {
  await resetTopology(ctx.vhost.url, 'quorum');
  const child = startNode(client('outboxRelay.mjs'), {
    label: 'outbox relay',
    env: {
      AMQP_URL: ctx.vhost.url,
      DATABASE_URL: ctx.db.url,
      COUNT: String(ctx.params.sizes.outboxCount),
    },
  });
  const result = await child.next((m) => m.result);
  await child.exited;
  ctx.log(`outbox relay: ${result.rate.toFixed(0)}/s`);
  return result.rate;
}

/**
 * Publisher SDK: confirmed events per second with 1000 publishes in flight, against raw
 * amqplib on a confirm channel (waitForConfirms every 1000) and amqp-connection-manager with
 * 1000 in flight; and the outbox relay's rate against the SDK publishing directly.
 */
export async function measurePublisherFigure(ctx) {
  const { sizes } = ctx.params;
  const raw = await publishRate(ctx, 'raw');
  const acm = await publishRate(ctx, 'acm');
  const sdk = ctx.parts.publisher ? await publishRate(ctx, 'sdk') : null;
  let outbox = null;
  let outboxNote = ctx.parts.outbox ? undefined : 'outbox not in @feed/publisher yet';
  if (ctx.parts.outbox && sdk !== null) {
    try {
      outbox = await outboxRate(ctx);
    } catch (error) {
      outboxNote = `failed: ${error.message.split('\n')[0]}`;
    }
  }
  const note = ctx.parts.publisher ? undefined : '@feed/publisher not built yet';
  return [
    figureRow({
      figure: 'Publisher SDK vs amqp-connection-manager',
      ours: sdk,
      baseline: acm,
      baselineName: `amqp-connection-manager 5, ${sizes.publishInFlight} in flight, ${sizes.publishCount} events`,
      unit: 'ev/s',
      target: { ratioAtLeast: 0.8 },
      note,
    }),
    figureRow({
      figure: 'Publisher SDK vs raw confirm channel',
      ours: sdk,
      baseline: raw,
      baselineName: `amqplib confirm channel, waitForConfirms every ${sizes.publishInFlight}`,
      unit: 'ev/s',
      note,
    }),
    figureRow({
      figure: 'Outbox relay vs SDK direct',
      ours: outbox,
      baseline: sdk,
      baselineName: `our SDK publishing directly; relay of ${sizes.outboxCount} outbox rows`,
      unit: 'ev/s',
      note: outboxNote,
    }),
  ];
}
