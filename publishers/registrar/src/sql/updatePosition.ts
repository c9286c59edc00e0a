import type pg from 'pg';
import { employeeColumns, type Employee } from './employeeRow.js';

export async function updatePosition(
  client: Pick<pg.ClientBase, 'query'>,
  id: string,
  position: string,
): Promise<Employee> {
  const { rows } = await client.query<Employee>(
    `update employees set position = $2, updated_at = now() where id = $1
     returning ${employeeColumns}`,
    [id, position],
  );
  return rows[0]!;
}
