import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { onCleanup } from './cleanup.mjs';

/**
 * Starts `node <script>` as a process of its own, so what it measures or serves does not share
 * an event loop with the bench. A child reports on stdout in JSON lines; `next(match)` waits for
 * the first line that matches. Everything the child writes to stderr is kept for the error
 * message if it dies.
 */
export function startNode(script, { env = {}, args = [], nodeArgs = [], label = script } = {}) {
  const child = spawn(process.execPath, [...nodeArgs, script, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const messages = [];
  const waiters = [];
  let stderr = '';
  const forget = onCleanup(`stop ${label}`, () => stop(child, 'SIGKILL', 0));
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    let message;
    try {
      message = JSON.parse(line);
    } catch {
      return; // a log line, not a report
    }
    if (message === null || typeof message !== 'object') return;
    messages.push(message);
    for (const waiter of [...waiters]) {
      if (waiter.match(message)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(message);
      }
    }
  });
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      forget();
      for (const waiter of waiters.splice(0)) {
        waiter.reject(
          new Error(`${label} exited (${code ?? signal}) before reporting:\n${stderr.trim()}`),
        );
      }
      resolve({ code, signal });
    });
  });
  return {
    pid: child.pid,
    messages,
    exited,
    stderr: () => stderr,
    next(match = () => true, timeoutMs = 120_000) {
      const found = messages.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`${label} did not report within ${timeoutMs} ms:\n${stderr.trim()}`));
        }, timeoutMs);
        const waiter = {
          match,
          resolve: (value) => (clearTimeout(timer), resolve(value)),
          reject: (error) => (clearTimeout(timer), reject(error)),
        };
        waiters.push(waiter);
      });
    },
    /** SIGTERM, then SIGKILL after the grace period. */
    stop: (signal = 'SIGTERM', graceMs = 10_000) => stop(child, signal, graceMs),
  };
}

async function stop(child, signal, graceMs) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  const timer = graceMs > 0 ? setTimeout(() => child.kill('SIGKILL'), graceMs) : null;
  await gone;
  if (timer) clearTimeout(timer);
}

/** A child's line of JSON on stdout, for scripts run by startNode. */
export function report(message) {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}
