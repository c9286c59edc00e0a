import type { FastifyInstance } from 'fastify';
import { createPool, type Pool } from '@feed/store';
import { createParkingBench, type ParkingBench } from '../../feed-dead/test/support.js';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';

export const adminToken = 'admin-token-0123456789abcdef';
export const adminHeaders = { authorization: `Bearer ${adminToken}` };

/** A vhost, a database and a real worker that parks, with the service built on both. */
export interface ParkingApp {
  bench: ParkingBench;
  pool: Pool;
  app: FastifyInstance;
  /** The same service on another broker (one that is away, say); closed by the caller. */
  appOn(amqpUrl: string): Promise<FastifyInstance>;
  close(): Promise<void>;
}

export async function createParkingApp(label: string): Promise<ParkingApp> {
  const bench = await createParkingBench(label);
  const pool = createPool({ connectionString: bench.db.url, max: 4 });
  const appOn = (amqpUrl: string) =>
    buildApp({
      config: loadConfig({
        DATABASE_URL: bench.db.url,
        AMQP_URL: amqpUrl,
        SERVICE_ADMIN_TOKEN: adminToken,
        SERVICE_MEMORY_CACHE: 'false',
      }),
      pool,
    });
  const app = await appOn(bench.vhost.url);
  await bench.startWorker();
  return {
    bench,
    pool,
    app,
    appOn,
    async close() {
      await app.close();
      await pool.end();
      await bench.close();
    },
  };
}
