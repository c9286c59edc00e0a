import { cpus, loadavg, totalmem } from 'node:os';
import { adminQuery } from './benchDatabase.mjs';
import { rabbitmqctl } from './rabbitmqctl.mjs';

/** What the figures were measured on: they are only comparable on the same machine. */
export async function describeMachine() {
  const postgres = await adminQuery('show server_version')
    .then((r) => r.rows[0].server_version)
    .catch(() => 'unknown');
  const rabbitmq = await rabbitmqctl('version')
    .then((out) => out.trim())
    .catch(() => 'unknown');
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    loadAverageAtStart: loadavg().map((l) => Math.round(l * 100) / 100),
    node: process.version,
    postgres,
    rabbitmq,
  };
}
