import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { amqpUrl } from './urls.js';

const run = promisify(execFile);

export async function rabbitmqctl(...args: string[]): Promise<string> {
  const { stdout } = await run('rabbitmqctl', args, { timeout: 60_000 });
  return stdout;
}

export interface TestVhost {
  name: string;
  url: string;
  /** Connections open on the vhost now, per `rabbitmqctl list_connections`. */
  connections(): Promise<number>;
  /** Deletes the vhost. Fails when a connection to it is still open: a leak in the test. */
  drop(): Promise<void>;
}

/** A RabbitMQ vhost of the test's own, so the fixed topology names never collide. */
export async function createTestVhost(label: string): Promise<TestVhost> {
  const name = `feed-test-${label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, 30)}-${randomBytes(3).toString('hex')}`;
  await rabbitmqctl('add_vhost', name);
  await rabbitmqctl('set_permissions', '-p', name, 'guest', '.*', '.*', '.*');
  const connections = async () => {
    const out = await rabbitmqctl('list_connections', '-q', '--no-table-headers', 'vhost');
    return out.split('\n').filter((line) => line.trim() === name).length;
  };
  return {
    name,
    url: amqpUrl(name),
    connections,
    async drop() {
      const open = await connections();
      await rabbitmqctl('delete_vhost', name);
      if (open > 0)
        throw new Error(`${open} AMQP connection(s) to ${name} were left open by the test`);
    },
  };
}
