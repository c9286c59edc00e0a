import type { PublishLedger } from './ledger.js';

/** Lets a fault last: the time a broker or database stays unreachable. */
export function holdFor(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Injects a fault each time the load crosses one of the thresholds (confirmed events in the
 * ledger), so every fault lands in the middle of the load however fast or slow the machine
 * is. Every threshold must be at most the load's size. `done()` waits for the last fault
 * and says how many were injected.
 */
export function faultsDuringLoad(
  ledger: PublishLedger,
  thresholds: readonly number[],
  inject: (round: number) => Promise<void> | void,
): { done(): Promise<number> } {
  let rounds = 0;
  const loop = (async () => {
    for (const threshold of thresholds) {
      while (ledger.confirmedKeys().size < threshold) await holdFor(10);
      rounds += 1;
      await inject(rounds);
    }
  })();
  return {
    async done() {
      await loop;
      return rounds;
    },
  };
}
