export interface Employee {
  id: string;
  name: string;
  team: string;
  position: string;
  department: string | null;
}

export const employeeColumns = 'id, name, team, position, department';
