import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (path: string) => fileURLToPath(new URL(`${path}/src/index.ts`, import.meta.url));

// Tests import the packages' sources, so they run without a build; the processes that the
// integration and end-to-end tests start run the compiled `dist`.
const alias = {
  '@feed/contracts': src('feed-contracts'),
  '@feed/logger': src('feed-logger'),
  '@feed/store': src('feed-store'),
  '@feed/dead': src('feed-dead'),
  '@feed/publisher': src('publishers/sdk'),
};

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        resolve: { alias },
        test: {
          name: 'unit',
          // The e2e harness's own pure logic (the verdict, the summary) is unit tested too.
          include: ['**/test/**/*.test.ts', 'e2e/harness/**/*.test.ts'],
          exclude: ['**/node_modules/**', '**/*.int.test.ts', '**/*.serial.test.ts'],
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'integration',
          include: ['**/test/**/*.int.test.ts', 'e2e/*.test.ts'],
          exclude: ['**/node_modules/**', '**/*.serial.test.ts'],
          globalSetup: ['test-support/globalSetup.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        // Faults that touch the whole broker (stop_app, a memory alarm) run after everything
        // else, one file at a time.
        resolve: { alias },
        test: {
          name: 'serial',
          include: ['**/*.serial.test.ts'],
          exclude: ['**/node_modules/**'],
          globalSetup: ['test-support/globalSetup.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
