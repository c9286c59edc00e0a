import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * True when `presented` is one of `tokens`. Compares digests in constant time, so neither the
 * content nor the length of a token leaks through response timing.
 */
export function tokenMatches(presented: string, tokens: readonly string[]): boolean {
  const candidate = digest(presented);
  let found = false;
  for (const token of tokens) if (timingSafeEqual(candidate, digest(token))) found = true;
  return found;
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^Bearer[ ]+([^ ]+)[ ]*$/i.exec(header);
  return match?.[1];
}
