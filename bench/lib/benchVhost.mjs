import { randomBytes } from 'node:crypto';
import { onCleanup } from './cleanup.mjs';
import { rabbitmqctl } from './rabbitmqctl.mjs';

const amqpBase = process.env.BENCH_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

export function amqpUrlFor(vhost) {
  return `${amqpBase.replace(/\/+$/, '')}/${encodeURIComponent(vhost)}`;
}

/**
 * A vhost of the bench's own: the fixed topology names (`feed`, `feed.events`) never meet
 * anyone else's, and deleting it at the end removes every queue and message the bench made.
 */
export async function createBenchVhost() {
  const name = `feed-bench-${randomBytes(3).toString('hex')}`;
  await rabbitmqctl('add_vhost', name);
  onCleanup(`delete vhost ${name}`, () => rabbitmqctl('delete_vhost', name));
  await rabbitmqctl('set_permissions', '-p', name, 'guest', '.*', '.*', '.*');
  return { name, url: amqpUrlFor(name) };
}
