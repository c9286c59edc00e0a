import type { Migration } from '@feed/contracts';
import { sql as events } from './001_events.js';
import { sql as namesExtensions } from './002_names_extensions.js';
import { sql as concurrentWrites } from './003_concurrent_writes.js';
import { sql as changes } from './004_changes.js';
import { sql as organisation } from './005_organisation.js';
import { sql as reactionVersions } from './006_reaction_versions.js';
import { sql as onePositionIndex } from './007_one_position_index.js';
import { sql as ascendingPositions } from './008_ascending_positions.js';

export type { Migration };

/** Applied in this order, each once; a new migration is appended, never edited. */
export const migrations: readonly Migration[] = [
  { name: '001_events', sql: events },
  { name: '002_names_extensions', sql: namesExtensions },
  { name: '003_concurrent_writes', sql: concurrentWrites },
  { name: '004_changes', sql: changes },
  { name: '005_organisation', sql: organisation },
  { name: '006_reaction_versions', sql: reactionVersions },
  { name: '007_one_position_index', sql: onePositionIndex },
  { name: '008_ascending_positions', sql: ascendingPositions },
];
