export { buildApp, type AppOptions } from './app.js';
export { loadConfig, type RegistrarConfig } from './config.js';
export { migrate, migrations } from './migrations.js';
export { registerEmployee, type NewEmployee } from './registerEmployee.js';
export { changePosition, type PositionChange } from './changePosition.js';
