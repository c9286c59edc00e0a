import type pg from 'pg';
import { employeeColumns, type Employee } from './employeeRow.js';

export async function insertEmployee(
  client: Pick<pg.ClientBase, 'query'>,
  employee: Omit<Employee, 'id'>,
): Promise<Employee> {
  const { rows } = await client.query<Employee>(
    `insert into employees (name, team, position, department) values ($1, $2, $3, $4)
     returning ${employeeColumns}`,
    [employee.name, employee.team, employee.position, employee.department],
  );
  return rows[0]!;
}
