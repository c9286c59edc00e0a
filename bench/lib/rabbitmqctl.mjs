import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function rabbitmqctl(...args) {
  const { stdout } = await run('rabbitmqctl', args, { timeout: 60_000 });
  return stdout;
}
