import { rabbitmqctl } from './vhost.js';
import { waitFor } from './waitFor.js';

/*
 * Settings of the whole broker, for the tests of the `serial` project only (they run alone,
 * under the exclusive lock): each helper reads the value first and puts it back in a
 * `finally`, whatever the test did.
 */

/** `rabbit` application settings, as Erlang terms (`5000`), or undefined when unset. */
async function getEnv(key: string): Promise<string | undefined> {
  const out = (await rabbitmqctl('eval', `application:get_env(rabbit, ${key}).`)).trim();
  const match = /^\{ok,(.*)\}$/s.exec(out);
  if (match !== null) return match[1]!;
  if (out === 'undefined') return undefined;
  throw new Error(`unexpected answer to application:get_env(rabbit, ${key}): ${out}`);
}

async function setEnv(key: string, value: string | undefined): Promise<void> {
  await rabbitmqctl(
    'eval',
    value === undefined
      ? `application:unset_env(rabbit, ${key}).`
      : `application:set_env(rabbit, ${key}, ${value}).`,
  );
}

/**
 * Runs `body` with `rabbit` application settings changed (e.g. `consumer_timeout`), and
 * restores the values read before. A channel reads such settings when it opens: only
 * channels opened inside `body` see the new values.
 */
export async function withBrokerEnv<T>(
  settings: Record<string, number>,
  body: () => Promise<T>,
): Promise<T> {
  const previous = new Map<string, string | undefined>();
  for (const key of Object.keys(settings)) previous.set(key, await getEnv(key));
  try {
    for (const [key, value] of Object.entries(settings)) await setEnv(key, String(value));
    return await body();
  } finally {
    for (const [key, value] of previous) await setEnv(key, value);
  }
}

/** Whether the broker has a resource alarm (memory or disk) in effect. */
export async function alarmRaised(): Promise<boolean> {
  const status = JSON.parse(await rabbitmqctl('status', '--formatter', 'json')) as {
    alarms?: unknown[];
  };
  return (status.alarms ?? []).length > 0;
}

/**
 * Raises a real memory alarm (watermark 0: the broker blocks every connection that
 * publishes), runs `body`, and restores the watermark read before, whatever happens. `body`
 * may clear the alarm itself, to see what happens after; it resolves once the alarm is gone.
 */
export async function withMemoryAlarm<T>(
  body: (clear: () => Promise<void>) => Promise<T>,
): Promise<T> {
  const setting = (
    await rabbitmqctl('eval', 'vm_memory_monitor:get_vm_memory_high_watermark().')
  ).trim();
  // `0.4` (relative) or `{absolute,1073741824}`.
  const absolute = /^\{absolute,(\d+)\}$/.exec(setting);
  const restoreArgs = absolute === null ? [setting] : ['absolute', absolute[1]!];
  if (absolute === null && !/^\d+(\.\d+)?$/.test(setting))
    throw new Error(`unexpected memory watermark: ${setting}`);
  let cleared = false;
  const clear = async () => {
    if (cleared) return;
    await rabbitmqctl('set_vm_memory_high_watermark', ...restoreArgs);
    cleared = true;
    await waitFor('the memory alarm to clear', async () => !(await alarmRaised()), {
      timeout: 30_000,
      interval: 250,
    });
  };
  try {
    await rabbitmqctl('set_vm_memory_high_watermark', '0');
    await waitFor('the memory alarm', alarmRaised, { timeout: 30_000, interval: 250 });
    return await body(clear);
  } finally {
    await clear();
  }
}
