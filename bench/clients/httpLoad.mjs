// autocannon in a process of its own (it needs most of a core), against one URL: a warm-up,
// then the measured run. With PATH_TEMPLATE (containing {position}, as `xid.seq`, or {cursor})
// and SEQ_MIN, SEQ_MAX, each request asks for a page at the position of a random seeded row in
// that range (seedPosition), so what is measured is the database path at that depth, not a
// cache answering the same URL again. HEADERS (JSON) are sent with every request. Reports requests per second, latency percentiles (ms) and the count of
// responses that were not 2xx, and its own CPU per answer.
import autocannon from 'autocannon';
import { encodeCursor } from '@feed/store';
import { report } from '../lib/child.mjs';
import { seedPosition } from '../lib/seedFeedTable.mjs';

const url = process.env.URL;
const connections = Number(process.env.CONNECTIONS ?? 50);
const duration = Number(process.env.DURATION ?? 10);
const warmup = Number(process.env.WARMUP ?? 1);
const template = process.env.PATH_TEMPLATE;
const headers = process.env.HEADERS ? JSON.parse(process.env.HEADERS) : undefined;
const seqMin = Number(process.env.SEQ_MIN);
const seqMax = Number(process.env.SEQ_MAX);

const requests = template
  ? [
      {
        method: 'GET',
        setupRequest(request) {
          const position = seedPosition(seqMin + Math.floor(Math.random() * (seqMax - seqMin + 1)));
          request.path = template
            .replace('{position}', `${position.xid}.${position.seq}`)
            .replace('{cursor}', encodeCursor(position));
          return request;
        },
      },
    ]
  : undefined;

const warm = await autocannon({ url, connections, duration: warmup, requests, headers });
const cpuBefore = process.cpuUsage();
const result = await autocannon({ url, connections, duration, requests, headers });
const cpu = process.cpuUsage(cpuBefore);
report({
  result: true,
  rps: result.requests.average,
  p50: result.latency.p50,
  p99: result.latency.p99,
  non2xx: result.non2xx,
  errors: result.errors + result.timeouts,
  requests: result.requests.total,
  warmupRequests: warm.requests.total,
  // This process's CPU per answer of the measured run: what parsing the answers costs the
  // client, which shares the machine's cores with the server.
  clientCpuUs: result.requests.total > 0 ? (cpu.user + cpu.system) / result.requests.total : 0,
  bytesPerRequest: result.requests.total > 0 ? result.throughput.total / result.requests.total : 0,
});
