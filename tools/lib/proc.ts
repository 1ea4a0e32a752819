/**
 * What /proc tells about a process: its resident memory, its descendants and the CPU time of its
 * threads. The benchmark reads them for the runtime it launched (tools/lib/runtime.ts).
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

/** Reads a `Vm*:` line of /proc/<pid>/status in MB. */
export function readVmMb(pid: number, field: 'VmHWM' | 'VmRSS', procRoot = '/proc'): number | null {
  try {
    const status = readFileSync(path.join(procRoot, String(pid), 'status'), 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
    return match ? Math.round((Number(match[1]) / 1024) * 10) / 10 : null;
  } catch {
    return null;
  }
}

/** Direct and indirect children of a process, from /proc/<pid>/task/<tid>/children. */
export function descendantsOf(pid: number, procRoot = '/proc'): number[] {
  const found: number[] = [];
  const visit = (parent: number) => {
    let tasks: string[];
    try {
      tasks = readdirSync(path.join(procRoot, String(parent), 'task'));
    } catch {
      return;
    }
    for (const task of tasks) {
      let children = '';
      try {
        children = readFileSync(path.join(procRoot, String(parent), 'task', task, 'children'), 'utf8');
      } catch {
        continue;
      }
      for (const child of children.split(/\s+/).filter(Boolean).map(Number)) {
        if (!found.includes(child)) {
          found.push(child);
          visit(child);
        }
      }
    }
  };
  visit(pid);
  return found;
}

/** Clock ticks per second of /proc's CPU times (USER_HZ; 100 on Linux everywhere in practice). */
const CLOCK_TICKS = 100;

/**
 * CPU seconds (user + system) each thread of a process has used so far, by thread name: `main`,
 * `other node threads` (V8's helper threads for concurrent GC and compilation, worker threads),
 * `libuv-worker` (the pool); threads of one name are summed. CPU time, unlike wall time, hardly depends on what else the
 * machine runs, so it steers better on a shared machine. Empty when /proc cannot tell.
 */
export function readThreadCpu(pid: number, procRoot = '/proc'): Map<string, number> {
  const byName = new Map<string, number>();
  let tasks: string[];
  try {
    tasks = readdirSync(path.join(procRoot, String(pid), 'task'));
  } catch {
    return byName;
  }
  for (const task of tasks) {
    try {
      const stat = readFileSync(path.join(procRoot, String(pid), 'task', task, 'stat'), 'utf8');
      // "tid (comm) state ppid …": comm may hold spaces or parentheses, so split after its last ')'.
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      // Every thread but libuv's keeps the process's name: tell the main thread (tid = pid) apart.
      const name = task === String(pid) ? 'main' : comm === 'node' ? 'other node threads' : comm;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const seconds = (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
      byName.set(name, (byName.get(name) ?? 0) + seconds);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return byName;
}

/** The CPU each thread name used between two `readThreadCpu` readings, in µs per event, largest first. */
export function cpuPerEvent(before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>, events: number): [string, number][] {
  if (events <= 0) return [];
  return [...after]
    .map(([name, seconds]): [string, number] => [name, ((seconds - (before.get(name) ?? 0)) * 1e6) / events])
    .filter(([, us]) => us > 0)
    .sort((a, b) => b[1] - a[1]);
}
