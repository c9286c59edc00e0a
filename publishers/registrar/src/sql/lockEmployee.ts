import type pg from 'pg';
import { employeeColumns, type Employee } from './employeeRow.js';

/** The employee, locked until the transaction ends, so two changes see each other's result. */
export async function lockEmployee(
  client: Pick<pg.ClientBase, 'query'>,
  id: string,
): Promise<Employee | undefined> {
  const { rows } = await client.query<Employee>(
    `select ${employeeColumns} from employees where id = $1 for update`,
    [id],
  );
  return rows[0];
}
