import type pg from 'pg';
import { employeeColumns, type Employee } from './employeeRow.js';

export async function getEmployee(
  client: Pick<pg.ClientBase, 'query'>,
  id: string,
): Promise<Employee | undefined> {
  const { rows } = await client.query<Employee>(
    `select ${employeeColumns} from employees where id = $1`,
    [id],
  );
  return rows[0];
}
