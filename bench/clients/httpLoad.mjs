// autocannon in a process of its own (it needs most of a core), against one URL: a short
// warm-up, then the measured run. Reports requests per second, latency percentiles (ms) and
// the count of responses that were not 2xx.
import autocannon from 'autocannon';
import { report } from '../lib/child.mjs';

const url = process.env.URL;
const connections = Number(process.env.CONNECTIONS ?? 50);
const duration = Number(process.env.DURATION ?? 10);

await autocannon({ url, connections, duration: 1 });
const result = await autocannon({ url, connections, duration });
report({
  result: true,
  rps: result.requests.average,
  p50: result.latency.p50,
  p99: result.latency.p99,
  non2xx: result.non2xx,
  errors: result.errors + result.timeouts,
  requests: result.requests.total,
});
