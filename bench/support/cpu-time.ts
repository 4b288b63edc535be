import { execFileSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';

/**
 * CPU time of processes and of the whole machine from /proc (Linux), to tell what limits
 * a benchmark: a process near one core's worth of CPU seconds per second is limited by its
 * single thread, a machine near all cores busy by the machine.
 */

let ticksPerSecond: number | undefined;

/** Clock ticks per second of /proc's times (USER_HZ, 100 on common kernels). */
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    let value = Number.NaN;
    try {
      value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    } catch {
      // getconf missing: the kernel's USER_HZ is 100 on every common architecture.
    }
    ticksPerSecond = Number.isInteger(value) && value > 0 ? value : 100;
  }
  return ticksPerSecond;
}

export interface ProcessTimes {
  /** User plus system CPU seconds of the process itself. */
  own: number;
  /** CPU seconds of its children that it has waited for (exited ones). */
  reapedChildren: number;
}

/** CPU seconds of one process; null when it is gone. */
export async function processTimes(pid: number): Promise<ProcessTimes | null> {
  let stat: string;
  try {
    stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name, in parentheses, may itself contain spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the name: state is field 3 of stat(5), so utime (14) … cstime (17) sit at 11 … 14 here.
  const [utime, stime, cutime, cstime] = [11, 12, 13, 14].map((index) => Number(fields[index]));
  if ([utime, stime, cutime, cstime].some((value) => value === undefined || !Number.isFinite(value))) throw new Error(`/proc/${pid}/stat is malformed`);
  const ticks = clockTicks();
  return { own: ((utime ?? 0) + (stime ?? 0)) / ticks, reapedChildren: ((cutime ?? 0) + (cstime ?? 0)) / ticks };
}

/** CPU seconds of a group of processes; ones that are gone count as zero. */
export async function cpuSecondsOf(pids: readonly number[], withReapedChildren = false): Promise<number> {
  let total = 0;
  for (const pid of pids) {
    const times = await processTimes(pid);
    if (times) total += times.own + (withReapedChildren ? times.reapedChildren : 0);
  }
  return total;
}

export interface MachineTimes {
  /** Seconds of CPU time spent on anything but idle and iowait, summed over every core. */
  busy: number;
  /** Seconds of CPU time of every kind, summed over every core. */
  total: number;
}

export async function machineTimes(): Promise<MachineTimes> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n', 1)[0] ?? '';
  if (!line.startsWith('cpu ')) throw new Error('/proc/stat does not start with the cpu line');
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already inside user).
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = values;
  const ticks = clockTicks();
  const busy = user + nice + system + irq + softirq + steal;
  return { busy: busy / ticks, total: (busy + idle + iowait) / ticks };
}

/** The pids of a PostgreSQL server's postmaster and every backend of it, found by the port on their command line. */
export async function postgresPids(port: number): Promise<number[]> {
  const pids = (await readdir('/proc')).filter((entry) => /^[0-9]+$/.test(entry)).map(Number);
  const postmasters: number[] = [];
  const parents = new Map<number, number>();
  for (const pid of pids) {
    try {
      const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
      if (/(^|\/)postgres$/.test(cmdline[0] ?? '') && cmdline.some((arg, i) => (arg === '-p' && cmdline[i + 1] === String(port)) || arg === `-p${port}`)) postmasters.push(pid);
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      parents.set(pid, Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // The process ended while we looked.
    }
  }
  return [...postmasters, ...[...parents].filter(([, parent]) => postmasters.includes(parent)).map(([pid]) => pid)];
}

/**
 * CPU seconds a PostgreSQL server has used so far: its postmaster and live backends, plus
 * the backends that have already exited (the postmaster reaped them), so that connections
 * opened and closed between two readings are counted too.
 */
export async function postgresCpuSeconds(port: number): Promise<number> {
  const [postmaster, ...backends] = await postgresPids(port);
  if (postmaster === undefined) throw new Error(`no PostgreSQL server listens on port ${port}`);
  const own = await processTimes(postmaster);
  return (own ? own.own + own.reapedChildren : 0) + (await cpuSecondsOf(backends));
}
