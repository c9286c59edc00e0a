import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: processes run from here, as `npm run worker` does. */
export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface FeedProcess {
  name: string;
  pid: number;
  /** The last lines the process wrote (stdout and stderr), newest last. */
  lastLines(count?: number): string[];
  /** Every log line the process wrote so far, parsed as JSON where it is JSON. */
  logRecords(): Array<Record<string, unknown>>;
  /** Resolves when the process has exited. */
  exited: Promise<ProcessExit>;
  /** Null while running. */
  exit(): ProcessExit | null;
  /** Sends a signal and marks the exit as expected: it is not reported as a crash. */
  kill(signal: NodeJS.Signals): void;
  /** SIGTERM, then waits for the exit; fails unless the process exits 0 within the deadline. */
  stop(deadlineMs?: number): Promise<ProcessExit>;
}

export interface StartOptions {
  name: string;
  /** Path of the compiled entry point, relative to the repository root. */
  script: string;
  env: Record<string, string>;
  /** Folder for the process's full log file. */
  logDir: string;
  /** Called when the process exits without anyone having asked it to. */
  onUnexpectedExit(process: FeedProcess, exit: ProcessExit): void;
}

const keptLines = 4000;

/** Every process started and still running: killed if the test process itself goes away. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Starts one of the feed's processes the way it is deployed (`node <pkg>/dist/main.js`), with
 * only the environment it is given (plus PATH/HOME), and keeps its logs: the last lines in
 * memory for failure reports, all of them in a file under test-output/.
 */
export function startFeedProcess(options: StartOptions): FeedProcess {
  mkdirSync(options.logDir, { recursive: true });
  const file: WriteStream = createWriteStream(join(options.logDir, `${options.name}.log`), {
    flags: 'a',
  });
  const child: ChildProcess = spawn(process.execPath, [join(repoRoot, options.script)], {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      LOG_LEVEL: 'info',
      LOG_PRETTY: 'false',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const lines: string[] = [];
  let exit: ProcessExit | null = null;
  let expected = false;

  const collect = (stream: NodeJS.ReadableStream | null) => {
    let rest = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      file.write(chunk);
      const parts = (rest + chunk).split('\n');
      rest = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        if (lines.length > keptLines) lines.splice(0, lines.length - keptLines);
      }
    });
  };
  collect(child.stdout);
  collect(child.stderr);

  const exited = new Promise<ProcessExit>((resolve) => {
    child.on('exit', (code, signal) => {
      running.delete(child);
      exit = { code, signal };
      file.end();
      if (!expected) options.onUnexpectedExit(handle, exit);
      resolve(exit);
    });
  });

  const handle: FeedProcess = {
    name: options.name,
    pid: child.pid ?? -1,
    lastLines: (count = 40) => lines.slice(-count),
    logRecords: () =>
      lines.flatMap((line) => {
        try {
          const value: unknown = JSON.parse(line);
          return typeof value === 'object' && value !== null
            ? [value as Record<string, unknown>]
            : [];
        } catch {
          return [];
        }
      }),
    exited,
    exit: () => exit,
    kill(signal) {
      expected = true;
      if (exit === null) child.kill(signal);
    },
    async stop(deadlineMs = 30_000) {
      if (exit !== null) return exit;
      handle.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const result = await Promise.race([
        exited,
        new Promise<'late'>((resolve) => {
          timer = setTimeout(() => resolve('late'), deadlineMs);
        }),
      ]);
      clearTimeout(timer);
      if (result === 'late') {
        child.kill('SIGKILL');
        await exited;
        throw new Error(
          `${options.name} did not exit within ${deadlineMs} ms of SIGTERM\n${handle.lastLines().join('\n')}`,
        );
      }
      if (result.code !== 0)
        throw new Error(
          `${options.name} exited with ${result.code ?? result.signal} on SIGTERM\n${handle.lastLines().join('\n')}`,
        );
      return result;
    },
  };
  return handle;
}

/** Where a scenario's process logs go: test-output/e2e/<scenario>/. */
export function logDirFor(scenario: string): string {
  const dir = join(repoRoot, 'test-output', 'e2e', scenario.replace(/[^A-Za-z0-9_-]+/g, '-'));
  mkdirSync(dirname(dir), { recursive: true });
  return dir;
}
