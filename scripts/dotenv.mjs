#!/usr/bin/env node
// Runs a command with the repository's .env loaded: `node scripts/dotenv.mjs <command> [args…]`.
// The npm scripts that start processes (start, services, migrate, worker, service) go through
// it; the processes themselves never read .env, so a test that spawns dist/main.js gets only
// the environment it gives. A variable already set in the environment wins over .env, and
// FEED_DOTENV=off skips the file.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const file = fileURLToPath(new URL('../.env', import.meta.url));
if (process.env.FEED_DOTENV !== 'off' && existsSync(file)) process.loadEnvFile(file);

const [command, ...args] = process.argv.slice(2);
if (command === undefined) {
  console.error('usage: node scripts/dotenv.mjs <command> [args…]');
  process.exit(2);
}
const child = spawn(command, args, { stdio: 'inherit' });
// The child stops the way it was asked to: the signal is passed on, the exit code passed back.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
child.on('error', (error) => {
  console.error(`${command}: ${error.message}`);
  process.exit(127);
});
child.on('exit', (code, signal) => {
  if (signal !== null) process.kill(process.pid, signal);
  else process.exit(code ?? 1);
});
