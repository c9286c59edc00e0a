// Runs the worker and the service side by side with readable, prefixed logs. Ctrl-C (SIGINT)
// and SIGTERM reach both, each shuts down gracefully, and when one stops the other follows.
import concurrently from 'concurrently';

const pretty = process.stdout.isTTY ? { LOG_PRETTY: 'true' } : {};
const { result } = concurrently(
  [
    { name: 'worker', command: 'node feed-worker/dist/main.js', env: pretty, prefixColor: 'blue' },
    {
      name: 'service',
      command: 'node feed-service/dist/main.js',
      env: pretty,
      prefixColor: 'green',
    },
  ],
  { killOthersOn: ['failure', 'success'], handleInput: false },
);
result.then(
  () => process.exit(0),
  () => process.exit(1),
);
