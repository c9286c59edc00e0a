/**
 * `AMQP_URL` may list several nodes of a cluster, separated by commas. Every AMQP client of
 * ours tries them in turn, starting from a different one on each attempt, so a lost node is
 * skipped.
 */
export function parseAmqpUrls(value: string): string[] {
  const urls = value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  if (urls.length === 0) throw new Error('no AMQP URL given');
  for (const url of urls) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new Error(`'${redactUrl(url)}' is not a URL`);
    }
    if (parsed.protocol !== 'amqp:' && parsed.protocol !== 'amqps:')
      throw new Error(`'${redactUrl(url)}' is not an amqp:// or amqps:// URL`);
  }
  return urls;
}

/** The URL to try on a given attempt: round robin over the nodes. */
export function urlForAttempt(urls: readonly string[], attempt: number): string {
  return urls[attempt % urls.length]!;
}

/**
 * A URL safe to log: the password replaced; in a list (`AMQP_URL` with several nodes, or any
 * text holding URLs), every URL's password.
 */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@,\s]+:)[^@,\s]*@/g, '$1***@');
}
