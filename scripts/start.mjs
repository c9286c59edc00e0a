// `npm start`, after scripts/services.sh has made sure RabbitMQ and PostgreSQL answer: builds,
// migrates, runs the worker and the service side by side with prefixed logs, says what it is
// waiting for until both are ready, then prints where the feed is. Ctrl-C (SIGINT) and SIGTERM
// reach both, each shuts down gracefully, and when one stops the other follows.
import { spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import concurrently from 'concurrently';

const env = process.env;
const say = (line) => process.stdout.write(`start: ${line}\n`);

const service = { variable: 'PORT', host: env.HOST || '127.0.0.1', port: env.PORT || '3000' };
const worker = {
  variable: 'WORKER_HTTP_PORT',
  host: env.WORKER_HTTP_HOST || '127.0.0.1',
  port: env.WORKER_HTTP_PORT || '9464',
};
// The ready block names the ports, and readiness is asked there: any free port (0) cannot be.
for (const { variable, port } of [service, worker]) {
  if (port === '0') {
    say(
      `${variable}=0 (any free port) cannot be used with npm start, which says where the feed is: set a port`,
    );
    process.exit(1);
  }
}

function step(description, command, args) {
  say(description);
  const { status } = spawnSync(command, args, { stdio: 'inherit' });
  if (status !== 0) process.exit(status ?? 1);
}
step('building (npm run build)', 'npm', ['run', '-s', 'build']);
// Built just now: the password of the URL is shown as *** the way every process shows it.
const { redactUrl } = await import('@feed/contracts');
step(
  `migrating the feed database (${redactUrl(env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/feed')})`,
  process.execPath,
  ['feed-store/dist/cli/migrate.js'],
);

const pretty = process.stdout.isTTY ? { LOG_PRETTY: 'true' } : {};
const { result, commands } = concurrently(
  [
    { name: 'worker', command: 'node feed-worker/dist/main.js', env: pretty, prefixColor: 'blue' },
    {
      name: 'service',
      command: 'node feed-service/dist/main.js',
      // On a machine of one's own the page reacts as one documented reader (the service README,
      // "Reactions"); production identifies readers by token or proxy header instead.
      env: { ...pretty, SERVICE_LOCAL_READER: env.SERVICE_LOCAL_READER ?? 'local-reader' },
      prefixColor: 'green',
    },
  ],
  { killOthersOn: ['failure', 'success'], handleInput: false },
);
// The last line each process wrote to stderr: why it stopped, repeated once everything has.
const lastError = new Map();
for (const command of commands) {
  command.stderr.subscribe((chunk) => {
    const line = chunk.toString().trim().split('\n').at(-1);
    if (line) lastError.set(command.name, line);
  });
}
let finished = false;
result.then(
  () => {
    finished = true;
    say('the worker and the service stopped');
    process.exit(0);
  },
  (closed) => {
    finished = true;
    const failed = closed.find((event) => event.exitCode !== 0 && !event.killed);
    const name = failed?.command.name ?? 'a process';
    const why = lastError.get(name);
    say(`the ${name} stopped (exit code ${failed?.exitCode})${why ? `: ${why}` : ''}`);
    process.exit(1);
  },
);

/** Null when ready, else what it still waits for (the process's own reason). */
async function notReady(name, { host, port }, describe) {
  try {
    const response = await fetch(`http://${host}:${port}/readyz`, {
      signal: globalThis.AbortSignal.timeout(3000),
    });
    return response.ok ? null : `${name}: ${await describe(response)}`;
  } catch {
    return `${name}: not listening yet`;
  }
}
const workerWaits = (response) => response.text().then((text) => text.trim());
const serviceWaits = async (response) => {
  const { database, liveFeed } = await response.json();
  return `database ${database ? 'answers' : 'unreachable'}, live feed ${liveFeed ? 'listening' : 'not listening yet'}`;
};

say(
  'starting the worker and the service; waiting until the worker consumes (broker, database) and the service serves (database)',
);
const started = Date.now();
let lastReport = '';
let lastReportAt = Date.now();
for (;;) {
  const reasons = (
    await Promise.all([
      notReady('worker', worker, workerWaits),
      notReady('service', service, serviceWaits),
    ])
  ).filter((reason) => reason !== null);
  if (finished) break;
  if (reasons.length === 0) break;
  const report = reasons.join('; ');
  // Say it when it changes, and every 10 s while it stays, so a wait is never silent.
  if (report !== lastReport || Date.now() - lastReportAt >= 10_000) {
    say(`waiting: ${report}`);
    lastReport = report;
    lastReportAt = Date.now();
  }
  await sleep(250);
}

if (!finished) {
  const local = (host) =>
    ['127.0.0.1', '0.0.0.0', '::', '::1'].includes(host) ? 'localhost' : host;
  const base = `http://${local(service.host)}:${service.port}`;
  const sample = JSON.stringify({
    employeeId: 'e-1',
    name: 'Anna Smirnova',
    team: 'Platform',
    position: 'Backend developer',
  });
  process.stdout.write(
    [
      '',
      `The feed is up (${((Date.now() - started) / 1000).toFixed(1)} s after the processes started):`,
      `  page      ${base}/`,
      `  API       curl '${base}/events?limit=5'`,
      `  docs      ${base}/docs`,
      `  metrics   http://${local(worker.host)}:${worker.port}/metrics (worker), ${base}/metrics (service)`,
      `  publish   npx feed-publish --type employee.registered --data '${sample}'`,
      'Ctrl-C stops both.',
      '',
      '',
    ].join('\n'),
  );
}
