import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { FeedError, FeedErrorCode } from '@feed/contracts';

export interface HealthServerOptions {
  host: string;
  /** 0: any free port. */
  port: number;
  registry: Registry;
  /** Why the worker is not ready, or null when it is. */
  readiness: () => Promise<string | null>;
  /** Called before each /metrics answer, to bring gauges up to date. */
  beforeMetrics?: () => void;
}

export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

/**
 * `/healthz`: the process is alive. `/readyz`: consuming, broker and database reachable
 * (503 with the reason otherwise). `/metrics`: Prometheus text.
 */
export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const server = http.createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const send = (status: number, body: string, type = 'text/plain; charset=utf-8') => {
      response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      response.end(body);
    };
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return send(405, 'method not allowed\n');
    if (path === '/healthz') return send(200, 'ok\n');
    if (path === '/readyz') {
      options.readiness().then(
        (reason) => (reason === null ? send(200, 'ready\n') : send(503, `not ready: ${reason}\n`)),
        (error: unknown) => send(503, `not ready: ${String(error)}\n`),
      );
      return;
    }
    if (path === '/metrics') {
      options.beforeMetrics?.();
      options.registry.metrics().then(
        (text) => send(200, text, options.registry.contentType),
        (error: unknown) => send(500, String(error)),
      );
      return;
    }
    send(404, 'not found\n');
  });
  // Probes must not keep the process alive at shutdown.
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) =>
      reject(
        // The one port of the worker's own: a taken one stops the start with a line to act on.
        error.code === 'EADDRINUSE'
          ? new FeedError(
              FeedErrorCode.Config,
              `WORKER_HTTP_PORT ${options.port} is already in use on ${options.host}: stop what listens there, or set WORKER_HTTP_PORT to a free port`,
              { cause: error },
            )
          : error,
      );
    server.once('error', failed);
    server.listen(options.port, options.host, () => {
      server.off('error', failed);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
