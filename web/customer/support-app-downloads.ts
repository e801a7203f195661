/**
 * The support app downloads the support page offers, one row per operating
 * system: the server route (signaling/download-routes.ts serves the file with
 * the session token in its trailer), the file's name, the steps in plain words
 * and, for those who prefer one, a command. A new build (Windows: issue 13)
 * is one more row; the page offers the row for the OS it detects first.
 */
export interface SupportAppDownload {
  os: 'linux' | 'windows';
  /** What the customer calls the system. */
  label: string;
  /** The name the download is saved as. */
  file: string;
  /** Whether this row is for the browser's own system (navigator.userAgent, navigator.platform). */
  detect: (platform: string) => boolean;
  /** The steps after the download, in plain words. */
  steps: readonly string[];
  /** One command that downloads and starts it, or null where a command would not help. */
  command: ((downloadUrl: string, file: string) => string) | null;
}

export const SUPPORT_APP_DOWNLOADS: readonly SupportAppDownload[] = [
  {
    os: 'windows',
    label: 'Windows',
    file: 'relay-rescue-support.exe',
    detect: (p) => /win/i.test(p),
    steps: ['Open the file you downloaded (if Windows asks, choose “Run”).', 'A support window opens: it shows your technician’s name and asks before anything is shared.'],
    command: null,
  },
  {
    os: 'linux',
    label: 'Linux',
    file: 'relay-rescue-support-linux-x64',
    detect: (p) => /linux|x11/i.test(p) && !/android/i.test(p),
    steps: [
      'In your Downloads folder, right-click the file, choose Properties, and tick “Allow executing file as program” (or “Executable”).',
      'Double-click the file to start it.',
      'A support window opens in your browser: it shows your technician’s name and asks before anything is shared.',
    ],
    command: (url, file) => `curl -fsSLo ${file} '${url}' && chmod +x ${file} && ./${file}`,
  },
];

/** The download for this browser's system, or null (macOS, phones: no support app yet). */
export function detectDownload(platform: string, rows: readonly SupportAppDownload[] = SUPPORT_APP_DOWNLOADS): SupportAppDownload | null {
  return rows.find((row) => row.detect(platform)) ?? null;
}

/** The download link carrying this session's token (the file carries it, so the customer only runs it). */
export function downloadUrl(origin: string, row: SupportAppDownload, token: string): string {
  return `${origin}/download/${row.os}?token=${encodeURIComponent(token)}`;
}
