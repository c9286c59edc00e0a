import { startNode } from './child.mjs';
import { freePort } from './freePort.mjs';
import { waitUntil } from './stats.mjs';

/**
 * Starts a server process on a free port and waits until `probePath` answers 200 (or, with
 * probePath null, until the child reports ready). Returns the child and its base URL.
 */
export async function startServer({ label, script, env = {}, probePath = '/', nodeArgs = [] }) {
  const port = await freePort();
  const child = startNode(script, {
    label,
    nodeArgs,
    env: { ...env, PORT: String(port), HOST: '127.0.0.1' },
  });
  const base = `http://127.0.0.1:${port}`;
  let exited = false;
  child.exited.then(() => (exited = true));
  if (probePath === null) {
    await child.next((m) => m.ready, 60_000);
    return { child, base };
  }
  await waitUntil(
    `${label} to answer on ${base}${probePath}`,
    async () => {
      if (exited) throw new Error(`${label} exited:\n${child.stderr()}`);
      try {
        const response = await fetch(`${base}${probePath}`);
        await response.arrayBuffer();
        return response.status === 200;
      } catch {
        return false;
      }
    },
    { timeoutMs: 60_000, everyMs: 100 },
  );
  return { child, base };
}
