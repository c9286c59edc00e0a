/** The socket options of amqplib's `connect` that every AMQP client of ours sets. */
export interface AmqpSocketOptions {
  timeout: number;
  clientProperties: { connection_name: string };
}

/**
 * amqplib's `connect`, passed in by the caller: the contracts do not depend on amqplib at run
 * time (the store loads them and has no AMQP client), as `declareTopology` takes its channel.
 */
export type AmqpConnectFunction<Connection> = (
  url: string,
  socketOptions: AmqpSocketOptions,
) => Promise<Connection>;

export interface AmqpConnectOptions {
  /** Seconds between heartbeats, unless the URL sets its own `heartbeat`. */
  heartbeatS: number;
  /** How long opening the connection may take before it counts as failed, ms. */
  timeoutMs: number;
  /** Shown in the broker's management UI and `rabbitmqctl list_connections`. */
  name: string;
}

/**
 * Opens one AMQP connection with heartbeats on, so a broker that goes silent (half-open TCP,
 * frozen traffic) is noticed after about two heartbeat intervals and the connection closes;
 * with a deadline on the handshake; and named, so an operator can tell whose it is.
 */
export function amqpConnect<Connection>(
  connect: AmqpConnectFunction<Connection>,
  url: string,
  options: AmqpConnectOptions,
): Promise<Connection> {
  return connect(withHeartbeat(url, options.heartbeatS), {
    timeout: options.timeoutMs,
    clientProperties: { connection_name: options.name },
  });
}

/** Adds `heartbeat=<s>` to an AMQP URL unless it sets its own: the URL is the operator's word. */
export function withHeartbeat(url: string, heartbeatS: number): string {
  const parsed = new URL(url);
  if (parsed.searchParams.has('heartbeat')) return url;
  parsed.searchParams.set('heartbeat', String(heartbeatS));
  return parsed.toString();
}
