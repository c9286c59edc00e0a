#!/usr/bin/env node
import { isFeedError } from '@feed/contracts';
import { CliUsageError, parseCliArgs, usage, type CliOptions } from './cliArgs.js';
import { listText, operationText } from './cliOutput.js';
import { DeadLetters } from './deadLetters.js';
import type { SweepProgress } from './sweep.js';

/** A progress line on stderr for a sweep of more than a few hundred messages. */
function progress(options: CliOptions, verb: string): (progress: SweepProgress) => void {
  const tty = process.stderr.isTTY === true;
  return ({ done, total }) => {
    if (options.quiet || total < 500) return;
    const line = `${verb}: ${done}/${total} parked messages read`;
    process.stderr.write(tty ? `\r${line}\x1b[K${done === total ? '\n' : ''}` : `${line}\n`);
  };
}

async function run(options: CliOptions): Promise<string> {
  const dead = new DeadLetters({ urls: options.urls });
  const { run } = options;
  const out = (value: unknown, text: string) =>
    options.json ? JSON.stringify(value, null, 2) : text;
  switch (run.command) {
    case 'list': {
      const result = await dead.list({
        ...(run.selection === undefined ? {} : { selection: run.selection }),
        limit: run.limit,
        onProgress: progress(options, 'list'),
      });
      return out(result, listText(result));
    }
    case 'show': {
      const message = await dead.show(run.id, progress(options, 'show'));
      return JSON.stringify(message, null, 2);
    }
    case 'replay': {
      const result = await dead.replay(run.selection, progress(options, 'replay'));
      return out(result, operationText('replayed', result));
    }
    case 'purge': {
      const result = await dead.purge(run.selection, progress(options, 'purge'));
      return out(result, operationText('purged', result));
    }
  }
}

/**
 * feed-dead: the operator's tool for parked messages. Exit 0 on success, 1 when the
 * operation failed (what was not confirmed stays parked), 2 on bad input.
 */
async function main(): Promise<number> {
  let options;
  try {
    options = parseCliArgs(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(error instanceof CliUsageError)) throw error;
    process.stderr.write(`feed-dead: ${error.message}\n${usage}\n`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  try {
    process.stdout.write(`${await run(options)}\n`);
    return 0;
  } catch (error) {
    if (!isFeedError(error)) throw error;
    process.stderr.write(`feed-dead: ${error.code}: ${error.message}\n`);
    return error.code === 'FEED_ERR_DEAD_SELECTION' ? 2 : 1;
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`feed-dead: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
