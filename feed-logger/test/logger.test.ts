import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/index.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = { write: (line: string) => void lines.push(JSON.parse(line)) };
  return { lines, destination };
}

describe('createLogger', () => {
  it('writes JSON lines with the process name, pid and host, at its level', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ name: 'feed-test', level: 'info', pretty: false }, destination);
    logger.debug('not written');
    logger.info({ batch: 3 }, 'stored');
    expect(lines).toEqual([
      expect.objectContaining({
        level: 30,
        name: 'feed-test',
        pid: process.pid,
        hostname: hostname(),
        batch: 3,
        msg: 'stored',
      }),
    ]);
  });

  it('redacts secrets of the configuration and of request headers', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ name: 'feed-test', level: 'info', pretty: false }, destination);
    logger.info({
      config: {
        databaseUrl: 'postgres://u:pw@db/feed',
        amqpUrls: ['amqp://u:pw@mq1', 'amqp://u:pw2@mq2', 'amqp://u:pw3@mq3'],
      },
      password: 'pw',
      req: { headers: { authorization: 'Bearer token', 'x-api-key': 'key', accept: '*/*' } },
    });
    expect(lines[0]).toMatchObject({
      config: { databaseUrl: '[Redacted]', amqpUrls: '[Redacted]' },
      password: '[Redacted]',
      req: { headers: { authorization: '[Redacted]', 'x-api-key': '[Redacted]', accept: '*/*' } },
    });
  });
});
