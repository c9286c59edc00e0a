import { createPool } from '../pool.js';
import { migrate } from '../migrate.js';

const connectionString = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/feed';
const pool = createPool({ connectionString, max: 1, applicationName: 'feed-migrate' });
try {
  const { applied } = await migrate(pool);
  const target = new URL(connectionString);
  console.log(
    applied.length === 0
      ? `feed database ${target.pathname.slice(1)} is up to date`
      : `applied migrations to ${target.pathname.slice(1)}: ${applied.join(', ')}`,
  );
} catch (error) {
  console.error(`migration failed: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  await pool.end();
}
