import { readdirSync, readFileSync } from 'node:fs';

/** Resident set size of a process in bytes, from /proc (Linux). */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return match ? Number(match[1]) * 1024 : Number.NaN;
}

/** User+system CPU time of a process in seconds, from /proc/PID/stat. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks / 100; // USER_HZ is 100 on Linux.
}

/** Measures the CPU share (percent of one core) a process uses over a window. */
export class CpuMeter {
  private startCpu: number;
  private startWall: number;
  constructor(private readonly pid: number) {
    this.startCpu = cpuSeconds(pid);
    this.startWall = performance.now();
  }
  percent(): number {
    const cpu = cpuSeconds(this.pid) - this.startCpu;
    const wall = (performance.now() - this.startWall) / 1000;
    return wall > 0 ? (cpu / wall) * 100 : Number.NaN;
  }
}

/** CPU seconds of a process and its descendants (Linux, /proc/PID/task/PID/children), e.g. the agent with its ffmpeg. */
export function treeCpuSeconds(pid: number, depth = 0): number {
  let total = 0;
  try {
    total += cpuSeconds(pid);
  } catch {
    return 0;
  }
  if (depth > 4) return total;
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    // No children file: count the process alone.
  }
  for (const child of children) total += treeCpuSeconds(child, depth + 1);
  return total;
}

/** CPU seconds per thread name of a process (Linux, /proc/PID/task/TID/{comm,stat}); threads of one name are summed. */
export function threadCpuSeconds(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(name, (out.get(name) ?? 0) + (Number(fields[11]) + Number(fields[12])) / 100);
    } catch {
      // The thread ended meanwhile.
    }
  }
  return out;
}

/** The `count` threads that used the most CPU between two readings, as "name NN%" (percent of one core over `seconds`). */
export function topThreads(before: Map<string, number>, after: Map<string, number>, seconds: number, count = 3): string {
  return [...after.entries()]
    .map(([name, s]) => [name, ((s - (before.get(name) ?? 0)) / seconds) * 100] as const)
    .filter(([, pct]) => pct >= 0.05)
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, pct]) => `${name} ${pct.toFixed(1)}%`)
    .join(', ');
}
