/** One client's progress counter, read over time: (ms since the scenario began, count). */
export type Samples = Array<[number, number]>;

/**
 * How long a client took to make progress again after a fault at `faultAt`: the longest
 * stretch, within `[faultAt, until]`, between two moments its counter rose (a stretch that
 * began before the fault counts from the fault). A client the fault did not touch shows
 * about the sampling interval; one that never rose again shows null.
 */
export function timeBack(samples: Samples, faultAt: number, until: number): number | null {
  let last = faultAt;
  let longest = 0;
  let rose = false;
  for (let i = 1; i < samples.length; i += 1) {
    const [at, count] = samples[i]!;
    if (at <= faultAt || count <= samples[i - 1]![1]) continue;
    if (at > until) break;
    longest = Math.max(longest, at - last);
    last = at;
    rose = true;
  }
  return rose ? longest : null;
}

/**
 * Reads each client's counter every `intervalMs` while the scenario runs, so the time each
 * one took to come back after each fault can be read afterwards.
 */
export function sampleProgress(
  clients: Record<string, () => number | Promise<number>>,
  intervalMs = 50,
): { samples: Record<string, Samples>; now(): number; stop(): Promise<void> } {
  const started = Date.now();
  const samples: Record<string, Samples> = Object.fromEntries(
    Object.keys(clients).map((name) => [name, [] as Samples]),
  );
  let stopped = false;
  const loops = Object.entries(clients).map(async ([name, read]) => {
    while (!stopped) {
      try {
        samples[name]!.push([Date.now() - started, await read()]);
      } catch {
        // A client being killed or restarted does not answer: no sample this round.
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  });
  return {
    samples,
    now: () => Date.now() - started,
    async stop() {
      stopped = true;
      await Promise.all(loops);
    },
  };
}

/** The table of time back per client and fault, as the scenario prints it. */
export function formatTimeBack(
  faults: ReadonlyArray<{ name: string; at: number; until: number }>,
  samples: Record<string, Samples>,
  /** Clients killed on purpose, and when: no time back from then on. */
  killed: Record<string, number> = {},
): string {
  const clients = Object.keys(samples);
  const header = ['client', ...faults.map((f) => f.name)];
  const rows = clients.map((client) => [
    client,
    ...faults.map((f) => {
      if (killed[client] !== undefined && f.at >= killed[client]) return 'killed';
      const ms = timeBack(samples[client]!, f.at, f.until);
      return ms === null ? 'not back' : `${(ms / 1000).toFixed(2)} s`;
    }),
  ]);
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...rows.map(line)].join('\n');
}
