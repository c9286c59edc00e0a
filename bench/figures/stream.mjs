import { fileURLToPath } from 'node:url';
import { storeEvents } from '@feed/store';
import { startNode } from '../lib/child.mjs';
import { figureRow } from '../lib/figureRow.mjs';
import { startServer } from '../lib/httpServers.mjs';
import { profileArgs, serviceMain } from '../lib/ourParts.mjs';
import { sampleEvent } from '../lib/sampleEvent.mjs';
import { sleep } from '../lib/stats.mjs';
import { ourServiceEnv } from '../lib/apiLoad.mjs';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

/**
 * Connects the SSE clients (their own process), then stores events one transaction each at
 * `streamRate` per second with the store's `storeEvents` (the worker's path: insert, commit,
 * NOTIFY), stamped with the time just before; the clients measure store-to-delivery.
 */
async function measureDelivery(ctx, url, label) {
  const { sizes } = ctx.params;
  const count = sizes.streamRate * sizes.streamSeconds;
  const clients = startNode(here('../clients/sseClients.mjs'), {
    label: `${sizes.sseClients} SSE clients of ${label}`,
    env: { URL: url, CLIENTS: String(sizes.sseClients), EXPECT: String(count) },
  });
  try {
    await clients.next((m) => m.ready, 60_000);
    for (let n = 0; n < count; n++) {
      const event = sampleEvent(`bench-stream-${label}`, n, new Date());
      await storeEvents(ctx.db.pool, [event]);
      await sleep(1000 / sizes.streamRate);
    }
    const done = clients
      .next((m) => m.result, 30_000)
      .catch(async () => {
        // Not every client got every event in time: report what they did get.
        await clients.stop();
        return clients.next((m) => m.result, 1000);
      });
    const result = await done;
    ctx.log(
      `stream ${label}: p50 ${result.p50} p99 ${result.p99} ms, ${result.complete}/${result.clients} clients got all ${count} events`,
    );
    return { ...result, expected: count * sizes.sseClients };
  } finally {
    await clients.stop();
  }
}

/** Stream: insert-to-delivery p50/p99 with many SSE clients, ours against a hand-written one. */
export async function measureStreamFigure(ctx) {
  const { sizes } = ctx.params;
  const baselineServer = await startServer({
    label: 'hand-written SSE server',
    script: here('../baselines/sseServer.mjs'),
    env: { DATABASE_URL: ctx.db.url },
    probePath: null,
  });
  let baseline;
  try {
    baseline = await measureDelivery(ctx, `${baselineServer.base}/events/stream`, 'baseline');
  } finally {
    await baselineServer.child.stop();
  }
  let ours = null;
  if (ctx.parts.service) {
    const server = await startServer({
      label: 'feed-service',
      script: serviceMain,
      nodeArgs: profileArgs('service'),
      env: ourServiceEnv(ctx),
      probePath: '/events?limit=1',
    });
    try {
      ours = await measureDelivery(ctx, `${server.base}/events/stream`, 'ours');
    } finally {
      await server.child.stop();
    }
  }
  const delivered = (r) => `${r.received}/${r.expected} delivered`;
  const name = `node:http + LISTEN/NOTIFY fan-out; ${sizes.sseClients} clients, ${sizes.streamRate} inserts/s for ${sizes.streamSeconds} s; baseline ${delivered(baseline)}`;
  const note = ctx.parts.service
    ? ours
      ? `ours ${delivered(ours)}`
      : undefined
    : 'feed-service not built yet';
  return [
    figureRow({
      figure: `Stream p99, ${sizes.sseClients} SSE clients`,
      ours: ours?.p99,
      baseline: baseline.p99,
      baselineName: name,
      unit: 'ms',
      target: { oursBelow: 250 },
      note,
    }),
    figureRow({
      figure: `Stream p50, ${sizes.sseClients} SSE clients`,
      ours: ours?.p50,
      baseline: baseline.p50,
      baselineName: 'same',
      unit: 'ms',
      note,
    }),
  ];
}
