export interface WaitOptions {
  /** Default 10 s. */
  timeout?: number;
  /** Default 25 ms. */
  interval?: number;
}

/**
 * Polls `condition` until it returns a value other than false/undefined/null, or fails with
 * `description` and the last value seen once the deadline passes. Tests wait on this, never
 * on a bare sleep.
 */
export async function waitFor<T>(
  description: string,
  condition: () => T | Promise<T>,
  options: WaitOptions = {},
): Promise<Exclude<T, false | undefined | null>> {
  const deadline = Date.now() + (options.timeout ?? 10_000);
  const interval = options.interval ?? 25;
  let last: unknown;
  for (;;) {
    try {
      last = await condition();
      if (last !== false && last !== undefined && last !== null)
        return last as Exclude<T, false | undefined | null>;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${description}; last: ${String(last)}`);
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}
