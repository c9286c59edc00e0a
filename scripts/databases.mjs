// Makes sure the databases the feed connects to exist: DATABASE_URL's (the feed) and
// REGISTRAR_DATABASE_URL's (the example producer). Run by scripts/services.sh once PostgreSQL
// answers. Creates only what is missing; `--dry-run` says what it would create. A server that
// refuses the login gets one line saying so and what to change, not a stack trace.
import pg from 'pg';

const dryRun = process.argv.includes('--dry-run');
const say = (line) => process.stderr.write(`services: ${line}\n`);

const targets = [
  ['DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/feed'],
  ['REGISTRAR_DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/registrar'],
].map(([variable, fallback]) => {
  const url = new URL(process.env[variable] || fallback);
  const database = decodeURIComponent(url.pathname.slice(1));
  // The server's maintenance database, with the same login: the one to create others from.
  url.pathname = '/postgres';
  return {
    variable,
    database,
    admin: url.toString(),
    server: `${url.hostname}:${url.port || 5432}`,
  };
});

let failed = false;
for (const { variable, database, admin, server } of targets) {
  const client = new pg.Client({ connectionString: admin, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
    const { rowCount } = await client.query('select from pg_database where datname = $1', [
      database,
    ]);
    if (rowCount === 0) {
      if (dryRun) {
        say(`would create the database ${database} (${variable})`);
      } else {
        say(`creating the database ${database} (${variable})`);
        await client.query(`create database ${pg.escapeIdentifier(database)}`);
      }
    }
  } catch (error) {
    failed = true;
    const { code, message } = /** @type {{ code?: string, message: string }} */ (error);
    // 28000, 28P01: the login was refused; 42501: the role may not create databases.
    const hint = code?.startsWith('28')
      ? `the feed logs in as ${variable} says: allow that login (trust or a password for this machine in pg_hba.conf) or change ${variable}`
      : code === '42501'
        ? `the role of ${variable} may not create databases: create ${database} yourself, or grant it createdb`
        : `check ${variable}`;
    say(`PostgreSQL on ${server} refused ${variable}'s database ${database}: ${message}; ${hint}`);
  } finally {
    await client.end().catch(() => {});
  }
}
process.exitCode = failed ? 1 : 0;
