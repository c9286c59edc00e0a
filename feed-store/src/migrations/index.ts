import { sql as events } from './001_events.js';

export interface Migration {
  name: string;
  sql: string;
}

/** Applied in this order, each once; a new migration is appended, never edited. */
export const migrations: readonly Migration[] = [{ name: '001_events', sql: events }];
