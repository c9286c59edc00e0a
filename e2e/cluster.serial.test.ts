import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFeedPublisher } from '@feed/publisher';
import { waitFor } from '../test-support/index.js';
import { clusterDir, clusterNodes, startCluster, type Cluster } from './harness/cluster.js';
import { readAllEvents } from './harness/feedApi.js';
import { employeeRegistered, structuredMessage } from './harness/feedEvents.js';
import { PublishLedger } from './harness/ledger.js';
import { counterValue } from './harness/metrics.js';
import { createPlainPublisher } from './harness/plainPublisher.js';
import { formatTimeBack, sampleProgress } from './harness/progress.js';
import { withFeedStack } from './harness/scenario.js';
import { expectNothingLostNothingTwice, settle } from './harness/settle.js';
import { connectStream } from './harness/streamClient.js';
import { createSummary } from './harness/summary.js';
import { judgeDelivery } from './harness/verdict.js';

const summary = createSummary('cluster');
let cluster: Cluster | undefined;
let unavailable: string | undefined;

// The cluster takes 20-60 s to start on two shared cores; its nodes are stopped after.
beforeAll(async () => {
  const dir = clusterDir();
  if (dir === null)
    unavailable = 'no ../shared/cluster/start.sh beside the clone (or FEED_CLUSTER_DIR)';
  else
    try {
      cluster = await startCluster(dir, 240_000);
    } catch (error) {
      unavailable = (error as Error).message;
    }
  if (unavailable === undefined) return;
  if (process.env.CI === 'true')
    throw new Error(`CI=true and the RabbitMQ cluster cannot start: ${unavailable}`);
  console.warn(
    `\n${'!'.repeat(78)}\n!! SKIPPED: the cluster scenario (e2e/cluster.serial.test.ts) did not run:\n!! ${unavailable}\n${'!'.repeat(78)}\n`,
  );
}, 300_000);
afterAll(async () => {
  summary.print();
  await cluster?.stop();
}, 120_000);

const acked = async (httpUrl: string) =>
  counterValue(
    await (await fetch(`${httpUrl}/metrics`, { signal: AbortSignal.timeout(1000) })).text(),
    'feed_worker_messages_acked_total',
  );

describe('a 3-node RabbitMQ cluster, 2 workers, 2 service replicas', () => {
  it('kill -9 of the quorum leader mid-stream, then of a worker, then the node restarted: every confirmed event once, on both replicas and both streams', async (context) => {
    if (cluster === undefined) return context.skip();
    const c = cluster;
    const vhost = await c.createVhost('e2e');
    const amqpUrl = vhost.urls.join(',');
    await withFeedStack('e2e-cluster', { broker: { vhost, amqpUrl } }, async (stack) => {
      const workers = [await stack.startWorker(), await stack.startWorker()];
      const services = [await stack.startService(), await stack.startService()];
      const placement = await c.leaderOf(vhost.name, 'feed.events');
      expect(placement.members, 'feed.events replicated on every node').toHaveLength(3);
      const streams = services.map((s) => connectStream(`${s.url}/events/stream`));
      await Promise.all(streams.map((s) => s.opened));

      const ledger = new PublishLedger();
      const sdkLog: string[] = [];
      const capture = (level: string) => (details: object, message: string) =>
        sdkLog.push(`${level} ${message} ${JSON.stringify(details)}`);
      // The SDK with its defaults for what a leader election touches: publishTimeoutMs 10 s,
      // maxBuffered 10,000; quick heartbeats so the test does not wait on a dead socket.
      // The SDK starts on a node that does not lead the queue, so it stays connected through
      // the leader's death and meets the election as the broker shows it: basic.nack.
      const leaderIndex = clusterNodes.indexOf(placement.leader);
      const sdkUrls = vhost.urls.map(
        (_, i) => vhost.urls[(leaderIndex + 1 + i) % vhost.urls.length]!,
      );
      const sdk = createFeedPublisher({
        url: sdkUrls.join(','),
        source: 'e2e.cluster.sdk',
        heartbeatS: 2,
        connectTimeoutMs: 2000,
        reconnectMinMs: 100,
        reconnectMaxMs: 1000,
        logger: {
          debug: capture('debug'),
          info: capture('info'),
          warn: capture('warn'),
          error: capture('error'),
        },
      });
      const plain = createPlainPublisher(vhost.urls);
      let plainConfirmed = 0;
      let stopLoad = false;
      // Events per second the SDK publisher is offered: 2,000 through the leader kill.
      let rate = 2000;
      const sdkRejected: string[] = [];
      const sdkSends: Array<Promise<void>> = [];

      const paced = async (perSecond: () => number, step: (n: number) => Promise<void> | void) => {
        let due = 0;
        let sent = 0;
        let last = Date.now();
        while (!stopLoad) {
          const now = Date.now();
          due += (perSecond() * (now - last)) / 1000;
          last = now;
          while (sent < Math.floor(due)) await step(sent++);
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      };
      const sdkLoad = paced(
        () => rate,
        (n) => {
          const event = employeeRegistered('e2e.cluster.sdk', `sdk-${n}`);
          sdkSends.push(
            sdk.publish(event).then(
              ([stored]) => ledger.confirm(stored!.source, stored!.id),
              (error: { code?: string; message: string }) => {
                sdkRejected.push(`${event.id}: ${error.code} ${error.message}`);
              },
            ),
          );
        },
      );
      // The plain client: rounds of 25 confirmed before the next, 100 events/s.
      const plainLoad = paced(
        () => 4,
        async (n) => {
          const round = Array.from({ length: 25 }, (_, i) =>
            employeeRegistered('e2e.cluster.plain', `plain-${n}-${i}`),
          );
          await plain.send(round.map((event) => structuredMessage(event)));
          for (const event of round) ledger.confirm(event.source, event.id);
          plainConfirmed += round.length;
        },
      );

      const probe = sampleProgress({
        'SDK publisher': () => sdk.stats().confirmed,
        'plain amqplib publisher': () => plainConfirmed,
        'worker-1': () => acked(workers[0]!.httpUrl),
        'worker-2': () => acked(workers[1]!.httpUrl),
        'stream on service-1': () => streams[0]!.received().length,
        'stream on service-2': () => streams[1]!.received().length,
      });
      const faults: Array<{ name: string; at: number; until: number }> = [];
      const confirmedBy = (count: number, what: string) =>
        waitFor(what, () => sdk.stats().confirmed >= count, { timeout: 60_000, interval: 20 });
      try {
        // 1. kill -9 of the node that leads feed.events, mid-stream at 2,000 events/s.
        await confirmedBy(4000, '4,000 confirmed before the leader kill');
        const { leader } = await c.leaderOf(vhost.name, 'feed.events');
        const atKill = sdk.stats().confirmed;
        faults.push({ name: `kill -9 leader ${leader}`, at: probe.now(), until: 0 });
        await c.kill(leader);
        await confirmedBy(atKill + 4000, '4,000 more confirmed after the leader kill');
        rate = 200;
        // 2. SIGKILL of a worker, with the other one running.
        const atWorkerKill = await acked(workers[1]!.httpUrl);
        faults.push({ name: 'SIGKILL worker-1', at: probe.now(), until: 0 });
        const workerKilledAt = probe.now();
        await stack.signalWorker(workers[0]!, 'SIGKILL');
        await waitFor(
          'worker-2 acks on',
          async () => (await acked(workers[1]!.httpUrl)) > atWorkerKill + 1000,
          {
            timeout: 60_000,
          },
        );
        // 3. The killed node started again: it rejoins and catches up its replica.
        faults.push({ name: `restart ${leader}`, at: probe.now(), until: 0 });
        await c.restart(leader);
        const atRestarted = sdk.stats().confirmed;
        await confirmedBy(atRestarted + 1000, '1,000 more confirmed after the restart');
        stopLoad = true;
        await Promise.all([sdkLoad, plainLoad]);
        await Promise.all(sdkSends);
        for (let i = 0; i < faults.length; i += 1)
          faults[i]!.until = faults[i + 1]?.at ?? probe.now();

        // Both live streams saw every confirmed event once, in order of the feed: no gap
        // across the faults. (Read first: the head of each replica's API follows its live feed.)
        for (const [i, stream] of streams.entries()) {
          await waitFor(
            `stream ${i + 1} to receive every event`,
            () => stream.received().length >= ledger.confirmedKeys().size,
            {
              timeout: 30_000,
            },
          );
          const received = stream.received();
          const seen = new Set(received);
          expect({
            missing: [...ledger.confirmedKeys()].filter((key) => !seen.has(key)).length,
            twice: received.length - seen.size,
            unconfirmed: received.filter((key) => !ledger.confirmedKeys().has(key)).length,
          }).toEqual({ missing: 0, twice: 0, unconfirmed: 0 });
        }
        const { verdict } = await settle(stack, services[0]!.url, ledger, { timeout: 120_000 });
        summary.add(
          expectNothingLostNothingTwice(
            'cluster: leader kill -9, worker SIGKILL, node restart',
            verdict,
            await stack.duplicatesAbsorbed(),
          ),
        );
        // The other replica's API walk, and both live streams, each saw every event once.
        const second = judgeDelivery({
          confirmed: ledger.confirmedKeys(),
          stored: await readAllEvents(services[1]!.url),
          expectedParked: new Map(),
          dead: [],
          codeOf: () => undefined,
        });
        expect({ lost: second.lost, twice: second.storedTwice }).toEqual({ lost: [], twice: [] });
        // 2,000 events/s through a leader kill: every event confirmed, none rejected.
        expect(sdkRejected).toEqual([]);
        const stats = sdk.stats();
        expect(stats).toMatchObject({ rejected: 0, state: 'connected' });
        console.log(
          `\ncluster: time back per client (longest stall of its progress after each fault)\n` +
            `${formatTimeBack(faults, probe.samples, { 'worker-1': workerKilledAt })}\n` +
            `SDK publisher: ${stats.confirmed} confirmed, ${stats.retried} nack retries, ${stats.resent} resent, ` +
            `${stats.reconnects} reconnects; plain client: ${plain.retries()} messages sent again\n`,
        );
        // No password of any node in any log line, ours or the processes'.
        const lines = [
          ...sdkLog,
          ...[...workers, ...services].flatMap((p) => p.process.lastLines(4000)),
        ];
        expect(lines.filter((line) => line.includes(':guest@'))).toEqual([]);
      } finally {
        stopLoad = true;
        await probe.stop();
        await Promise.all(streams.map((s) => s.close()));
        await Promise.all([sdk.close(), plain.close()]);
      }
    });
  }, 600_000);
});
