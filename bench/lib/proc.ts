import { readFileSync } from 'node:fs';

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
