import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestVhost, waitFor, type TestVhost } from '../../../test-support/index.js';
import { readQueue } from './support/queueReader.js';

// Runs the built CLI (npm test builds first), as `npx feed-publish` does.
const bin = fileURLToPath(new URL('../bin/feed-publish.js', import.meta.url));
const run = (args: string[]) =>
  promisify(execFile)('node', [bin, ...args], { timeout: 60_000 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );

describe('feed-publish', () => {
  let vhost: TestVhost;
  beforeAll(async () => {
    vhost = await createTestVhost('sdk-cli');
  });
  afterAll(async () => {
    await vhost.drop();
  });

  it('publishes --count N confirmed events, with progress on stderr and a summary on stdout', async () => {
    const reader = await readQueue(vhost.url);
    try {
      const result = await run([
        '--url',
        vhost.url,
        '--source',
        'cli-test',
        '--type',
        'employee.registered',
        '--data',
        '{"employeeId":"e1","name":"Ada","team":"Core","position":"Engineer"}',
        '--count',
        '300',
        '--in-flight',
        '50',
      ]);
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({
        published: 300,
        confirmed: 300,
        rejected: 0,
        errors: {},
      });
      expect(result.stderr).toContain('published 300/300, confirmed 300, rejected 0');
      await waitFor('300 messages', () => reader.messages.length >= 300);
      expect(new Set(reader.ids()).size).toBe(300);
      expect(reader.messages[0]!.properties.appId).toBe('cli-test');
    } finally {
      await reader.close();
    }
  });

  it('exits 2 with what to fix on bad input, sending nothing', async () => {
    const result = await run([
      '--url',
      vhost.url,
      '--type',
      'employee.registered',
      '--data',
      '{"name":"no id"}',
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^feed-publish: event 0 is invalid \(FEED_ERR_SCHEMA\)/);
    const notJson = await run(['--type', 'x.y', '--data', '{nope']);
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toMatch(/^feed-publish: --data is not JSON/);
    // Refused before connecting: nothing reached the broker.
    expect(await vhost.connections()).toBe(0);
  });
});
