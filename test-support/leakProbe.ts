import type { EventEmitter } from 'node:events';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type * as Amqplib from 'amqplib';
import type { Channel, ChannelModel } from 'amqplib';

/**
 * What a reconnect could leak, measured from outside the code under test: the listeners on
 * the objects it creates and reuses, the process's handles and timers, and whether the
 * connections it ended can be garbage-collected.
 */

export interface OpenedConnection {
  /** `connection_name` of the client properties. */
  name: string;
  /** Held weakly: the record keeps nothing alive. */
  model: WeakRef<ChannelModel>;
  /** Every channel opened on it, in order. */
  channels: Array<WeakRef<Channel>>;
}

/** Every AMQP connection opened through `recordingAmqplib` in this test file, in order. */
export const openedConnections: OpenedConnection[] = [];

/**
 * amqplib as it is, except that `connect` records each connection and its channels. Use it
 * as the factory of `vi.mock('amqplib', …)`, so the code under test connects as it always
 * does and the test can look at what it opened.
 */
export function recordingAmqplib(actual: typeof Amqplib): typeof Amqplib {
  const connect = (async (
    url: string | Amqplib.Options.Connect,
    socketOptions?: Amqplib.SocketOptions,
  ) => {
    const model = await actual.connect(url, socketOptions);
    const properties = (socketOptions as { clientProperties?: Record<string, unknown> } | undefined)
      ?.clientProperties;
    const record: OpenedConnection = {
      name: String(properties?.connection_name ?? ''),
      model: new WeakRef(model),
      channels: [],
    };
    openedConnections.push(record);
    for (const method of ['createChannel', 'createConfirmChannel'] as const) {
      const original = model[method].bind(model) as () => Promise<Channel>;
      Object.defineProperty(model, method, {
        value: async () => {
          const channel = await original();
          record.channels.push(new WeakRef(channel));
          return channel;
        },
      });
    }
    return model;
  }) as typeof actual.connect;
  return { ...actual, connect, default: { ...actual, connect } } as typeof Amqplib;
}

/** The connections named `name…` still in memory. */
export function aliveConnections(prefix: string): number {
  return openedConnections.filter((c) => c.name.startsWith(prefix) && c.model.deref() !== undefined)
    .length;
}

/**
 * The listeners on the newest connection named `prefix…`, on the amqplib connection under
 * it, and on its first channel: what one connect creates.
 */
export function newestConnectionListeners(prefix: string | RegExp) {
  const matches = (name: string) =>
    typeof prefix === 'string' ? name.startsWith(prefix) : prefix.test(name);
  const record = openedConnections.filter((c) => matches(c.name)).at(-1);
  const model = record?.model.deref();
  const channel = record?.channels[0]?.deref();
  if (model === undefined || channel === undefined)
    throw new Error(`no open connection named ${String(prefix)} with a channel`);
  return {
    model: listenerCounts(model),
    connection: listenerCounts(model.connection as unknown as EventEmitter),
    channel: listenerCounts(channel),
  };
}

/** Listeners per event of an emitter. */
export function listenerCounts(emitter: EventEmitter): Record<string, number> {
  return Object.fromEntries(
    emitter.eventNames().map((name) => [String(name), emitter.listenerCount(name)]),
  );
}

/** Active handles and requests of the process (sockets, servers, timers), counted by type. */
export function resourceCounts(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

/** The types of handle of which there are more now than in `before`, with their count now. */
export function grownResources(before: Record<string, number>): Array<[string, number]> {
  return Object.entries(resourceCounts()).filter(([type, count]) => count > (before[type] ?? 0));
}

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Runs full garbage collections and returns the heap in use after them, bytes. */
export async function heapAfterCollection(): Promise<number> {
  // A WeakRef's target survives the job that created or read it: let those jobs end first.
  for (let i = 0; i < 3; i += 1) {
    await new Promise((resolve) => setImmediate(resolve));
    gc();
  }
  return process.memoryUsage().heapUsed;
}

/**
 * Collects the warnings Node gives when an emitter or an AbortSignal gets more than 10
 * listeners for one event: a listener added per reconnect to anything that lives across
 * reconnects, even inside the code under test, shows here.
 */
export function watchListenerWarnings(): { warnings(): string[]; stop(): void } {
  const seen: string[] = [];
  const onWarning = (warning: Error) => {
    if (warning.name === 'MaxListenersExceededWarning') seen.push(warning.message);
  };
  process.on('warning', onWarning);
  return {
    warnings: () => seen,
    stop: () => process.off('warning', onWarning),
  };
}
