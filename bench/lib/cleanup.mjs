import process from 'node:process';

/**
 * What the run created (vhost, databases, child processes), undone in reverse order at the
 * end: on success, on failure and on Ctrl-C, so the broker and the database server are left as
 * they were found.
 */
const steps = [];
let running = null;
let signalled = null;

/** The signal that interrupted the run, if one did: its results are not written. */
export function interruptedBy() {
  return signalled;
}

export function onCleanup(description, undo) {
  const step = { description, undo };
  steps.push(step);
  return () => {
    const index = steps.indexOf(step);
    if (index >= 0) steps.splice(index, 1);
  };
}

export function cleanup() {
  running ??= (async () => {
    while (steps.length > 0) {
      const step = steps.pop();
      try {
        await step.undo();
      } catch (error) {
        console.error(`bench: cleanup "${step.description}" failed: ${error.message}`);
      }
    }
  })();
  return running;
}

/** Ctrl-C or a kill: undo everything, then exit with the conventional code. */
export function cleanupOnSignals() {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ]) {
    process.once(signal, () => {
      signalled = signal;
      console.error(`\nbench: ${signal}, cleaning up`);
      cleanup().finally(() => process.exit(code));
    });
  }
}
