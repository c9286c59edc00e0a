import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './feedProcess.js';

export interface ScenarioRow {
  scenario: string;
  published: number;
  stored: number;
  duplicatesAbsorbed: number;
  parked: number;
  lost: number;
}

const columns: Array<[keyof ScenarioRow, string]> = [
  ['scenario', 'scenario'],
  ['published', 'published'],
  ['stored', 'stored'],
  ['duplicatesAbsorbed', 'duplicates absorbed'],
  ['parked', 'parked'],
  ['lost', 'lost'],
];

/** The short table the suite prints: one line per scenario. */
export function formatTable(rows: readonly ScenarioRow[]): string {
  const cells = rows.map((row) => columns.map(([key]) => String(row[key])));
  const widths = columns.map(([, title], i) =>
    Math.max(title.length, ...cells.map((line) => line[i]!.length)),
  );
  const line = (values: string[]) =>
    values.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join(' | ');
  return [
    line(columns.map(([, title]) => title)),
    widths.map((w) => '-'.repeat(w)).join('-|-'),
    ...cells.map(line),
  ].join('\n');
}

/**
 * Collects the rows of one test file; `print()` in its afterAll shows the table and keeps a
 * copy in test-output/e2e/summary/ so a whole run's rows can be read together.
 */
export function createSummary(file: string) {
  const rows: ScenarioRow[] = [];
  return {
    add(row: ScenarioRow) {
      rows.push(row);
    },
    print() {
      if (rows.length === 0) return;
      const dir = join(repoRoot, 'test-output', 'e2e', 'summary');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${file}.json`), JSON.stringify(rows, null, 2));
      console.log(`\n${file}\n${formatTable(rows)}\n`);
    },
  };
}
