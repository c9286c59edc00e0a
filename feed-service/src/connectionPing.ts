import type pg from 'pg';

/**
 * Asks a connection `select 1` every `intervalMs`; an answer that does not come within
 * `timeoutMs`, or an error, is a stall, reported once per ping with its reason. Returns what
 * stops the pings.
 */
export function pingEvery(
  client: pg.Client,
  intervalMs: number,
  timeoutMs: number,
  onStall: (reason: string) => void,
): () => void {
  const ping = setInterval(() => {
    const deadline = setTimeout(
      () => onStall(`no answer to a ping within ${timeoutMs} ms`),
      timeoutMs,
    );
    client.query('select 1').then(
      () => clearTimeout(deadline),
      (error: Error) => {
        clearTimeout(deadline);
        onStall(`ping failed: ${error.message}`);
      },
    );
  }, intervalMs);
  ping.unref();
  return () => clearInterval(ping);
}

/** Ends a connection; a frozen peer never acknowledges the end, so its socket is dropped. */
export async function endConnection(client: pg.Client, frozen: boolean): Promise<void> {
  client.on('error', () => {});
  if (frozen) (client as unknown as FrozenClient).connection.stream.destroy();
  else await client.end().catch(() => {});
}

/** The part of pg's Client that holds the socket (not in its typings). */
interface FrozenClient {
  connection: { stream: { destroy(): void } };
}
