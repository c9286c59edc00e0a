// CLIENTS Server-Sent Events clients on URL, in one process of their own. Each frame's `data`
// is an event whose `time` the inserter set just before inserting it, so now - time is the
// insert-to-delivery latency. Reports { ready } once every client has its response headers,
// and { result } once every client has seen EXPECT events (or on SIGTERM).
import http from 'node:http';
import { report } from '../lib/child.mjs';
import { percentile } from '../lib/stats.mjs';

const url = new URL(process.env.URL);
const clients = Number(process.env.CLIENTS);
const expect = Number(process.env.EXPECT);
const latencies = [];
let connected = 0;
let complete = 0;
let failures = 0;
const requests = [];

function finish() {
  report({
    result: true,
    clients,
    connected,
    complete,
    failures,
    received: latencies.length,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  });
  for (const request of requests) request.destroy();
  process.exit(0);
}

function connect() {
  let seen = 0;
  let buffer = '';
  const request = http.get(url, { agent: false }, (response) => {
    if (response.statusCode !== 200) {
      failures++;
      response.resume();
      return;
    }
    connected++;
    if (connected === clients) report({ ready: true, connected });
    response.setEncoding('utf8');
    response.on('data', (chunk) => {
      const now = Date.now();
      buffer += chunk;
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        for (const line of frame.split('\n')) {
          if (!line.startsWith('data: ')) continue;
          const time = JSON.parse(line.slice(6)).time;
          if (time === undefined) continue;
          latencies.push(now - Date.parse(time));
          if (++seen === expect && ++complete === clients) finish();
        }
      }
    });
  });
  request.on('error', () => failures++);
  requests.push(request);
}

for (let i = 0; i < clients; i++) connect();
process.once('SIGTERM', finish);
