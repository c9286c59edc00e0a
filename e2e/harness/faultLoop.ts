import type { PublishLedger } from './ledger.js';

/** Lets a fault last: the time a broker or database stays unreachable. */
export function holdFor(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Injects a fault each time the load crosses one of the thresholds (confirmed events in the
 * ledger), so every fault lands in the middle of the load however fast or slow the machine
 * is. Every threshold must be at most the load's size. `done()` waits for the last fault
 * and returns what each injection returned (say, how many connections it cut), one entry
 * per fault injected, so a scenario can assert that each fault it meant really happened.
 */
export function faultsDuringLoad<T>(
  ledger: PublishLedger,
  thresholds: readonly number[],
  inject: (round: number) => Promise<T> | T,
): { done(): Promise<T[]> } {
  const results: T[] = [];
  const loop = (async () => {
    for (const threshold of thresholds) {
      while (ledger.confirmedKeys().size < threshold) await holdFor(10);
      results.push(await inject(results.length + 1));
    }
  })();
  return {
    async done() {
      await loop;
      return results;
    },
  };
}
