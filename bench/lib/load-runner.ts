import { median, p99 } from './stats.ts';

/** Runs `total` async jobs with at most `concurrency` in flight, stopping new ones after `deadlineMs`. */
export async function runBounded(
  total: number,
  concurrency: number,
  deadlineMs: number,
  job: (index: number) => Promise<number>,
): Promise<{ latencies: number[]; errors: number; started: number; elapsedMs: number }> {
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const start = performance.now();
  const worker = async (): Promise<void> => {
    while (next < total && performance.now() - start < deadlineMs) {
      const index = next++;
      try {
        latencies.push(await job(index));
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  return { latencies, errors, started: next, elapsedMs: performance.now() - start };
}

export function summarize(latencies: number[]): { median: number; p99: number } {
  return { median: median(latencies), p99: p99(latencies) };
}
