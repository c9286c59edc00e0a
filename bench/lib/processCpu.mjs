import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

/** Clock ticks per second of /proc's CPU times (USER_HZ: 100 on Linux). */
const TICKS = 100;

/** CPU seconds (user + system) a process has used so far, read from /proc; 0 once it is gone. */
export function cpuSecondsOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return 0;
  }
}

/**
 * The machine's CPU time so far, in ticks of all its cores: in all, and busy (neither idle nor
 * waiting for I/O; time a hypervisor gave to others counts as busy, since it was not ours).
 */
export function hostTicks() {
  const fields = readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]
    .trim()
    .split(/\s+/)
    .slice(1, 9)
    .map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  // user nice system idle iowait irq softirq steal (guest time is inside user already)
  return { busy: total - fields[3] - fields[4], total };
}

/** The share of the machine's CPU (all cores) busy between two hostTicks() readings, in %. */
export function hostBusyPercent(before, after) {
  const total = after.total - before.total;
  return total > 0 ? Math.round((100 * (after.busy - before.busy)) / total) : null;
}

/** The broker's process (RabbitMQ's Erlang VM), or null when it is not on this machine. */
export function brokerPid() {
  try {
    return Number(execFileSync('pgrep', ['-o', 'beam.smp'], { encoding: 'utf8' }).trim()) || null;
  } catch {
    return null;
  }
}

/** The PostgreSQL backends serving a database, but not the connections named `except`. */
export async function backendPids(pool, database, except) {
  const { rows } = await pool.query(
    `select pid from pg_stat_activity
      where datname = $1 and application_name <> $2 and backend_type = 'client backend'`,
    [database, except],
  );
  return rows.map((row) => row.pid);
}

/**
 * CPU used between start() and the read: by the given processes, by the backends serving
 * them, and by the broker (the whole broker: other users of the machine count too).
 */
export function cpuMeter({ pool, database, except, processes }) {
  const broker = brokerPid();
  let before;
  const read = async () => {
    const backends = await backendPids(pool, database, except);
    return {
      processes: processes.map(cpuSecondsOf),
      backends: new Map(backends.map((pid) => [pid, cpuSecondsOf(pid)])),
      broker: broker ? cpuSecondsOf(broker) : 0,
    };
  };
  return {
    async start() {
      before = await read();
    },
    async read() {
      const after = await read();
      const sum = (values) => values.reduce((a, b) => a + b, 0);
      return {
        consumers: sum(after.processes) - sum(before.processes),
        postgres: sum([...after.backends].map(([pid, s]) => s - (before.backends.get(pid) ?? 0))),
        broker: after.broker - before.broker,
      };
    },
  };
}
