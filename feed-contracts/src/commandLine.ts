import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A command line that a CLI cannot run; its message says what to fix. */
export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
}

/** node:util's `parseArgs`, its refusals thrown as a CliUsageError. */
export function parseCommandLine<T extends ParseArgsConfig>(
  config: T,
): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    throw new CliUsageError((error as Error).message);
  }
}
