import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
export const workerMain = `${root}feed-worker/dist/main.js`;
export const serviceMain = `${root}feed-service/dist/main.js`;

async function exportsOf(name) {
  try {
    return await import(name);
  } catch {
    return {};
  }
}

function isBuilt(main) {
  try {
    return !readFileSync(main, 'utf8').includes('not built yet');
  } catch {
    return false;
  }
}

/**
 * Which of our parts exist in this checkout. The bench measures what is there and reports the
 * rest as not available, so the baselines can be run (and checked) on their own.
 */
export async function findOurParts() {
  const worker = await exportsOf('@feed/worker');
  const publisher = await exportsOf('@feed/publisher');
  return {
    worker: isBuilt(workerMain) && typeof worker.startWorker === 'function',
    service: isBuilt(serviceMain),
    publisher: typeof publisher.createFeedPublisher === 'function',
    outbox:
      typeof publisher.enqueue === 'function' &&
      typeof publisher.startOutboxRelay === 'function' &&
      typeof publisher.migrateOutbox === 'function',
  };
}

/**
 * Node flags for one of our processes: with BENCH_PROFILE=worker (or service, or both,
 * comma-separated) it runs under --cpu-prof and leaves its profile in bench/out/profiles, to
 * open in Chrome DevTools or VS Code.
 */
export function profileArgs(part) {
  const wanted = (process.env.BENCH_PROFILE ?? '').split(',');
  return wanted.includes(part) ? ['--cpu-prof', `--cpu-prof-dir=${root}bench/out/profiles`] : [];
}
