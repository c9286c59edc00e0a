import type { Migration } from '@feed/contracts';
import { sql as events } from './001_events.js';

export type { Migration };

/** Applied in this order, each once; a new migration is appended, never edited. */
export const migrations: readonly Migration[] = [{ name: '001_events', sql: events }];
