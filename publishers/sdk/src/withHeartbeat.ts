/** Adds `heartbeat=<s>` to an AMQP URL unless it sets its own: a dead peer is noticed in ~2 beats. */
export function withHeartbeat(url: string, heartbeatS: number): string {
  const parsed = new URL(url);
  if (parsed.searchParams.has('heartbeat')) return url;
  parsed.searchParams.set('heartbeat', String(heartbeatS));
  return parsed.toString();
}
