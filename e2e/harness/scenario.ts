import { createFeedStack, type FeedStack, type FeedStackOptions } from './feedStack.js';

/**
 * Runs one scenario on a fresh stack and always tears it down: processes stopped (each must
 * exit 0 on SIGTERM), then killed if still there, proxies closed, vhost and databases
 * dropped. A process that exited on its own fails the scenario with its last log lines.
 */
export async function withFeedStack<T>(
  label: string,
  options: FeedStackOptions,
  body: (stack: FeedStack) => Promise<T>,
): Promise<T> {
  const stack = await createFeedStack(label, options);
  try {
    const result = await body(stack);
    stack.assertNoCrash();
    await stack.stopAll();
    stack.assertNoCrash();
    return result;
  } finally {
    await stack.close();
  }
}
