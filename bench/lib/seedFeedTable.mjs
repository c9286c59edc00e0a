/** Event types of the seeded feed, in turn: a filter on one of them keeps every fifth row. */
export const seedTypes = [
  'employee.registered',
  'employee.position_changed',
  'team.structure_changed',
  'department.renamed',
  'bench.note',
];

/**
 * Rows per seeded transaction id, and the first id: 2,000 ids for 1,000,000 rows, all of five
 * digits like the ids of the transactions that write to the table afterwards.
 */
const SEQS_PER_XID = 500;
const FIRST_XID = 10_000;

/**
 * Fills feed_events with `rows` events in one statement (generate_series inside PostgreSQL,
 * not a million round trips), with the secondary indexes dropped during the insert and built
 * again from their own definitions after it (faster than maintaining six indexes row by row),
 * then analyzes so the planner knows the table. `seq` runs 1 … rows, oldest first, and `xid`
 * is set as if the rows had been written by transactions of SEQS_PER_XID rows, as the worker's
 * batches write them (ids past, below any transaction running now: taken first when the cluster is new): the position of row
 * `seq` is seedPosition(seq), and the planner sees the spread of ids a real feed has.
 */
export async function seedFeedTable(pool, rows) {
  await pool.query(
    'truncate feed_events, feed_reactions, feed_reaction_counts, feed_changes, feed_org_snapshots restart identity',
  );
  const { rows: indexes } = await pool.query(
    `select i.indexname as name, i.indexdef as definition
       from pg_indexes i
      where i.tablename = 'feed_events'
        and not exists (select 1 from pg_constraint c where c.conname = i.indexname)`,
  );
  for (const index of indexes) await pool.query(`drop index ${index.name}`);
  // On a new cluster transaction ids start low: take ids until they are past the seeded ones,
  // so that every seeded row lies below the horizon of every transaction from now on.
  const lastXid = FIRST_XID + Math.ceil(rows / SEQS_PER_XID);
  await pool.query(
    `do $$ begin while pg_current_xact_id()::text::bigint <= ${lastXid} loop commit; end loop; end $$`,
  );
  await pool.query(
    `insert into feed_events (xid, source, event_id, type, time, subject, actor, data)
     select (${FIRST_XID} + (i - 1) / ${SEQS_PER_XID})::text::xid8,
            'bench-seed-' || (i % 10),
            'seed-' || i,
            (array[${seedTypes.map((t) => `'${t}'`).join(', ')}])[1 + i % 5],
            now() - make_interval(secs => $1::int - i),
            'employee/' || (i % 5000),
            'person-' || (i % 700),
            jsonb_build_object(
              'employeeId', 'e-' || i,
              'name', 'Employee ' || i,
              'team', (array['Platform', 'Payments', 'Search', 'Growth', 'Data'])[1 + i % 5],
              'position', 'Senior Software Engineer',
              'department', 'Engineering and Product Development',
              'summary', repeat('x', 120))
       from generate_series(1, $1::int) as i`,
    [rows],
  );
  for (const index of indexes) await pool.query(index.definition);
  await pool.query('vacuum analyze feed_events');
  // Written out now, so a checkpoint does not land in the middle of a measurement.
  await pool.query('checkpoint');
}

/** The position (as `{ xid, seq }` strings) of the seeded row `seq`. */
export function seedPosition(seq) {
  return { xid: String(FIRST_XID + Math.floor((seq - 1) / SEQS_PER_XID)), seq: String(seq) };
}
