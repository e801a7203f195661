import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  startTime: number;
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const shortUrl = (url: string): string =>
  url === '' ? '(native)' : url.replace(/.*node_modules\/((@[^/]+\/)?[^/]+).*/, 'npm:$1').replace(/^.*?\/(signaling|protocol|rtc|agent|bench)\//, '$1/');

/** Microseconds on the clock V8's profiler stamps samples with (CLOCK_MONOTONIC, as process.hrtime). */
export const profileClockUs = (): number => Number(process.hrtime.bigint() / 1000n);

/**
 * Self time per function and per file/package of a V8 .cpuprofile, largest first, as text lines.
 * `window` (profileClockUs readings, possibly from another process on the same machine) keeps only
 * the samples taken in it: the load, without start-up and module loading.
 */
export function summarizeCpuProfile(file: string, top = 15, window?: { fromUs: number; toUs: number }): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (window && (at < window.fromUs || at > window.toUs)) return;
    selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
  });
  const byFrame = new Map<string, number>();
  const byFile = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    const where = shortUrl(frame.url);
    const key = `${frame.functionName || '(anonymous)'} ${where}`;
    byFrame.set(key, (byFrame.get(key) ?? 0) + us);
    byFile.set(where, (byFile.get(where) ?? 0) + us);
    total += us;
  }
  const lines = (map: Map<string, number>): string[] =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => `${(us / 1000).toFixed(0).padStart(7)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%  ${k}`);
  return [`sampled ${(total / 1000).toFixed(0)} ms`, '-- self time by function', ...lines(byFrame), '-- by file or package', ...lines(byFile)].join('\n');
}
