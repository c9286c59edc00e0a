import { createHash } from 'node:crypto';

/** A person's id as a change keeps it (see 004_changes): SHA-256, hex. */
export function personHash(id: string): string {
  return createHash('sha256').update(id, 'utf8').digest('hex');
}
