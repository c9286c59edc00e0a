import { fileURLToPath } from 'node:url';
import { startNode } from './child.mjs';
import { startServer } from './httpServers.mjs';
import { cpuSecondsOf } from './processCpu.mjs';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

/**
 * One autocannon run from its own process. `pages` (optional): { template, min, max } to ask
 * for a page at the position of a random seeded row `seq` in [min, max] on each request;
 * `headers` (optional): request headers, such as Accept-Encoding. `serverPid` (optional): the
 * server's process, whose CPU per answer is then reported (`serverCpuUs`, beside the client's
 * `clientCpuUs`): on a shared machine the rate moves with others' load, the CPU an answer
 * costs much less. `seconds` (optional): how long to load instead of the run's size.
 */
export async function load(ctx, url, { pages, headers, serverPid, seconds } = {}) {
  const { sizes } = ctx.params;
  const serverBefore = serverPid === undefined ? undefined : cpuSecondsOf(serverPid);
  const child = startNode(here('../clients/httpLoad.mjs'), {
    label: `autocannon ${url}`,
    env: {
      URL: url,
      CONNECTIONS: String(sizes.apiConnections),
      DURATION: String(seconds ?? sizes.apiSeconds),
      WARMUP: String(sizes.apiWarmupSeconds),
      ...(headers && { HEADERS: JSON.stringify(headers) }),
      ...(pages && {
        PATH_TEMPLATE: pages.template,
        SEQ_MIN: String(pages.min),
        SEQ_MAX: String(pages.max),
      }),
    },
  });
  const result = await child.next(
    (m) => m.result,
    ((seconds ?? sizes.apiSeconds) + sizes.apiWarmupSeconds + 60) * 1000,
  );
  await child.exited;
  if (serverBefore !== undefined) {
    // The server's CPU over the warm-up and the run, per answer of both: it answers nothing
    // else meanwhile (the live feed's look each second is noise against thousands of answers).
    const cpuSeconds = cpuSecondsOf(serverPid) - serverBefore;
    result.serverCpuUs = (cpuSeconds * 1e6) / (result.requests + result.warmupRequests);
  }
  const shown = `${pages ? `${url}${pages.template} (${pages.min}…${pages.max})` : url}${
    headers?.['accept-encoding'] ? ` [${headers['accept-encoding']}]` : ''
  }`;
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(
      `${shown}: ${result.non2xx} non-2xx responses, ${result.errors} errors under load`,
    );
  ctx.log(`  ${shown}: ${result.rps.toFixed(0)} req/s, p99 ${result.p99} ms`);
  return result;
}

/** Runs `use(base)` against a server process started for it, and stops it after. */
export async function withServer(options, use) {
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
