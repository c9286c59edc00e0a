/** Size of one event's JSON body, as in the targets of the issue. */
export const EVENT_BYTES = 512;

const teams = ['Platform', 'Payments', 'Search', 'Growth', 'Data'];

/**
 * A catalogue event (`employee.registered`, so the worker validates its data as in
 * production) whose JSON body is exactly EVENT_BYTES long. `time` carries the moment it was
 * made, with milliseconds, so latencies can be read from stored rows.
 */
export function sampleEvent(source, n, time = new Date()) {
  const event = {
    specversion: '1.0',
    id: `${source}-${n}`,
    source,
    type: 'employee.registered',
    time: time.toISOString(),
    subject: `employee/${n}`,
    data: {
      employeeId: `e-${n}`,
      name: `Employee ${n}`,
      team: teams[Math.abs(n) % teams.length],
      position: 'Engineer',
      department: '',
    },
  };
  // Padding, in two fields: the catalogue caps each at 200 characters.
  const pad = Math.max(2, EVENT_BYTES - Buffer.byteLength(JSON.stringify(event)));
  event.data.department = 'D'.repeat(Math.ceil(pad / 2));
  event.data.position += ' '.padEnd(Math.floor(pad / 2), 'P');
  return event;
}

export function sampleBody(source, n, time) {
  return Buffer.from(JSON.stringify(sampleEvent(source, n, time)));
}
