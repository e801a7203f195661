import { formatBytes } from '../../rtc/format-bytes.ts';

/** One progress line: `[#####-----]  45%  name  3.2 MB/s`. */
export function progressLine(name: string, bytes: number, total: number, rate: number, width = 24): string {
  const fraction = total > 0 ? Math.min(1, bytes / total) : 1;
  const filled = Math.round(fraction * width);
  const pct = `${Math.floor(fraction * 100)}%`.padStart(4);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${pct}  ${name.slice(0, 40)}  ${formatBytes(rate)}/s`;
}

