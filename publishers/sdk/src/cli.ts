#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { CliUsageError, parseCliArgs, usage } from './cliArgs.js';
import { runCli, summaryLine } from './cliRun.js';
import { createFeedPublisher } from './publisher.js';

/**
 * feed-publish: publishes events to the feed from a shell, for trying the system and for
 * load. Exit 0 when every publish was confirmed, 1 when some were rejected, 2 on bad input.
 */
async function main(): Promise<number> {
  let options;
  try {
    options = parseCliArgs(process.argv.slice(2), process.env, (path) =>
      readFileSync(path, 'utf8'),
    );
  } catch (error) {
    if (error instanceof CliUsageError || (error as NodeJS.ErrnoException).code === 'ENOENT') {
      process.stderr.write(`feed-publish: ${(error as Error).message}\n${usage}\n`);
      return 2;
    }
    throw error;
  }
  if (options === 'help') {
    process.stdout.write(`${usage}\n`);
    return 0;
  }

  let publisher;
  try {
    publisher = createFeedPublisher({
      url: options.url,
      source: options.source,
      queueType: options.queueType,
      publishTimeoutMs: options.timeoutMs,
      maxBuffered: Math.max(options.inFlight, 1),
    });
  } catch (error) {
    process.stderr.write(`feed-publish: ${(error as Error).message}\n`);
    return 2;
  }
  const tty = process.stderr.isTTY === true;
  const total = options.count * options.events.length;
  try {
    const summary = await runCli(options, publisher, {
      progress: (line) => {
        if (options.quiet || total < 100) return;
        process.stderr.write(tty ? `\r${line}\x1b[K` : `${line}\n`);
      },
      now: () => performance.now(),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    });
    if (tty && !options.quiet && total >= 100) process.stderr.write('\n');
    process.stdout.write(`${summaryLine(options.url, summary, publisher.stats())}\n`);
    return summary.rejected === 0 ? 0 : 1;
  } catch (error) {
    if (error instanceof CliUsageError) {
      process.stderr.write(`feed-publish: ${error.message}\n`);
      return 2;
    }
    throw error;
  } finally {
    await publisher.close({ timeoutMs: 5000 });
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`feed-publish: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
