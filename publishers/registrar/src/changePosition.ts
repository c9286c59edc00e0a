import type { EventData, FeedEvent } from '@feed/publisher';
import { enqueue, withTransaction } from '@feed/publisher';
import type pg from 'pg';
import { lockEmployee } from './sql/lockEmployee.js';
import { updatePosition } from './sql/updatePosition.js';
import type { Employee } from './sql/employeeRow.js';

export type PositionChange =
  { found: false } | { found: true; employee: Employee; event: FeedEvent | undefined };

/**
 * Changes the position and enqueues `employee.position_changed` in the same transaction. The
 * row is locked first, so `previousPosition` is the one this change replaced. The same
 * position again is no change and no event.
 */
export function changePosition(
  pool: pg.Pool,
  source: string,
  id: string,
  position: string,
): Promise<PositionChange> {
  return withTransaction(pool, async (client) => {
    const current = await lockEmployee(client, id);
    if (current === undefined) return { found: false };
    if (current.position === position) return { found: true, employee: current, event: undefined };
    const employee = await updatePosition(client, id, position);
    const data: EventData<'employee.position_changed'> = {
      employeeId: employee.id,
      name: employee.name,
      position: employee.position,
      previousPosition: current.position,
      team: employee.team,
    };
    const [event] = await enqueue(client, { type: 'employee.position_changed', data }, { source });
    return { found: true, employee, event: event! };
  });
}
