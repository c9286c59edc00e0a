import { connect, type ChannelModel } from 'amqplib';

export interface AmqpConnectOptions {
  heartbeatS: number;
  /** How long opening the connection may take before it counts as failed, ms. */
  timeoutMs: number;
  /** Shown in the broker's management UI and `rabbitmqctl list_connections`. */
  name: string;
}

/**
 * Opens one AMQP connection with heartbeats on: a broker that goes silent (half-open TCP,
 * frozen traffic) is noticed after about two heartbeat intervals and the connection closes.
 */
export async function amqpConnect(url: string, options: AmqpConnectOptions): Promise<ChannelModel> {
  const withHeartbeat = new URL(url);
  withHeartbeat.searchParams.set('heartbeat', String(options.heartbeatS));
  return connect(withHeartbeat.toString(), {
    timeout: options.timeoutMs,
    clientProperties: { connection_name: options.name },
  });
}
