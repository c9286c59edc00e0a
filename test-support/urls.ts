/** Where the tests find the local servers; the same variables the processes read. */
const pgBase = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const amqpBase = process.env.TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

export function adminUrl(): string {
  return pgBase;
}

export function databaseUrl(name: string): string {
  const url = new URL(pgBase);
  url.pathname = `/${name}`;
  return url.toString();
}

export function amqpUrl(vhost: string): string {
  return `${amqpBase.replace(/\/+$/, '')}/${encodeURIComponent(vhost)}`;
}
