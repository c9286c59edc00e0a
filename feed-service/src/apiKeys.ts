import { invalidConfig, limits } from '@feed/contracts';

/**
 * One key of SERVICE_API_KEYS, bound to the sources it may publish as. A key publishes
 * `(source, id)` pairs of its own sources only, so it can neither speak for another service
 * nor overwrite or pre-empt another source's ids.
 */
export interface ApiKey {
  /** `key:registrar`, `key:registrar|hr`, `key:*`: logged, names the key's limits, never the secret. */
  id: string;
  secret: string;
  /** The sources it may publish as (the first is the default), or `any` for `*`. */
  sources: readonly string[] | 'any';
}

const sourcePattern = /^[^\s|=,*]+$/;

/**
 * `registrar=KEY, registrar|hr-service=KEY2, *=KEY3`: each entry names its sources (`|`
 * between several) before the first `=`; `*` is any source, for a trusted relay only. A key
 * without sources is refused: an unbound key would be the open door this binding closes.
 */
export function parseApiKeys(entries: readonly string[], minSecretLength: number): ApiKey[] {
  return entries.map((entry, index) => {
    const at = entry.indexOf('=');
    const names = at === -1 ? '' : entry.slice(0, at).trim();
    const secret = at === -1 ? entry : entry.slice(at + 1).trim();
    const where = `SERVICE_API_KEYS: entry ${index + 1}`;
    if (at === -1 || names === '')
      throw invalidConfig(
        `${where} names no source: write <source>=<key> (registrar=…, registrar|hr-service=…, or *=… for any source)`,
      );
    if (secret.length < minSecretLength)
      throw invalidConfig(`${where}: every key must have at least ${minSecretLength} characters`);
    if (names === '*') return { id: 'key:*', secret, sources: 'any' };
    const sources = names.split('|').map((name) => name.trim());
    const wrong = sources.find(
      (name) => !sourcePattern.test(name) || name.length > limits.maxSourceLength,
    );
    if (wrong !== undefined)
      throw invalidConfig(
        `${where}: "${wrong.slice(0, 40)}" is no source name (no spaces, |, =, comma or *; at most ${limits.maxSourceLength} characters)`,
      );
    return { id: `key:${sources.join('|')}`, secret, sources };
  });
}

/** The source an event of this key is published as when it names none. */
export function defaultSource(key: ApiKey): string {
  return key.sources === 'any' ? 'feed-service' : (key.sources[0] ?? 'feed-service');
}

/** Whether the key may publish as `source`. */
export function mayPublishAs(key: ApiKey, source: string): boolean {
  return key.sources === 'any' || key.sources.includes(source);
}
