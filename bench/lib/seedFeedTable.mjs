/** Event types of the seeded feed, in turn: a filter on one of them keeps every fifth row. */
export const seedTypes = [
  'employee.registered',
  'employee.position_changed',
  'team.structure_changed',
  'department.renamed',
  'bench.note',
];

/**
 * Fills feed_events with `rows` events in one statement (generate_series inside PostgreSQL:
 * a million rows take seconds, not the minutes a client-side insert would), then analyzes so
 * the planner knows the table. seq runs 1 … rows, oldest first.
 */
export async function seedFeedTable(pool, rows) {
  await pool.query('truncate feed_events, feed_reactions restart identity');
  await pool.query(
    `insert into feed_events (source, event_id, type, time, subject, actor, data)
     select 'bench-seed-' || (i % 10),
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
  await pool.query('vacuum analyze feed_events');
}
