import pg from 'pg';

/** Event ids of every employee whose transaction (row and outbox row) committed. */
export async function committedEventIds(outboxUrl: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: outboxUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string }>('select id::text as id from employees');
    return rows.map((r) => `employee-${r.id}-registered`);
  } finally {
    await client.end();
  }
}

/**
 * Registers employees through the registrar's HTTP API, a few at a time. Its outbox relay
 * publishes the events; the ids that must reach the feed are read from its database after.
 */
export async function registerEmployees(url: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let n = 0; n < count; n += 8) {
    const batch = Array.from({ length: Math.min(8, count - n) }, async (_, i) => {
      const response = await fetch(`${url}/employees`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: `Person ${n + i}`, team: 'Platform', position: 'Engineer' }),
      });
      if (response.status !== 201) throw new Error(`POST /employees: ${response.status}`);
      ids.push(((await response.json()) as { eventId: string }).eventId);
    });
    await Promise.all(batch);
  }
  return ids;
}
