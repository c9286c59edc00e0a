import type { EventData, FeedEvent } from '@feed/publisher';
import { enqueue, withTransaction } from '@feed/publisher';
import type pg from 'pg';
import { insertEmployee } from './sql/insertEmployee.js';
import type { Employee } from './sql/employeeRow.js';

export interface NewEmployee {
  name: string;
  team: string;
  position: string;
  department?: string | undefined;
}

/**
 * Stores the employee and, in the same transaction, the `employee.registered` event: the
 * event exists if and only if the employee does. Its id derives from the employee, so the
 * event stays one event however often it is relayed.
 */
export function registerEmployee(
  pool: pg.Pool,
  source: string,
  input: NewEmployee,
): Promise<{ employee: Employee; event: FeedEvent }> {
  return withTransaction(pool, async (client) => {
    const employee = await insertEmployee(client, {
      ...input,
      department: input.department ?? null,
    });
    const data: EventData<'employee.registered'> = {
      employeeId: employee.id,
      name: employee.name,
      team: employee.team,
      position: employee.position,
    };
    if (employee.department !== null) data.department = employee.department;
    const [event] = await enqueue(
      client,
      { type: 'employee.registered', id: `employee-${employee.id}-registered`, data },
      { source },
    );
    return { employee, event: event! };
  });
}
