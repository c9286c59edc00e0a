import type { FastifyInstance } from 'fastify';

/**
 * One series of the service's `/metrics`, named as the text shows it (`name`, or
 * `name{label="value"}`): its value, or 0 while the series has not appeared.
 */
export async function metricValue(app: FastifyInstance, series: string): Promise<number> {
  const text = (await app.inject('/metrics')).body;
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}
