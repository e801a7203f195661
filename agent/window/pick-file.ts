import { execFile } from 'node:child_process';

/** The desktop file pickers tried in order: GNOME/GTK, then KDE. */
const PICKERS: readonly { command: string; args: string[] }[] = [
  { command: 'zenity', args: ['--file-selection', '--title=Send a file to your technician'] },
  { command: 'kdialog', args: ['--getopenfilename', '.', '--title', 'Send a file to your technician'] },
];

/**
 * Shows the desktop's own file picker, so the agent gets a path and reads the
 * file from disk (a browser upload would give bytes through the page, with its
 * size limits). Resolves with the path, null when the customer cancelled, and
 * rejects when no picker is installed. Linux for now; issue 11's `Platform`
 * interface takes it over (Windows: the common dialog through koffi).
 */
export async function pickFile(pickers = PICKERS): Promise<string | null> {
  for (const picker of pickers) {
    const result = await new Promise<{ missing: boolean; path: string | null }>((resolve) => {
      execFile(picker.command, picker.args, { encoding: 'utf8', timeout: 10 * 60_000 }, (err, stdout) => {
        if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') return resolve({ missing: true, path: null });
        const path = stdout.split('\n')[0]?.trim() ?? '';
        resolve({ missing: false, path: err || path === '' ? null : path });
      });
    });
    if (!result.missing) return result.path;
  }
  throw new Error('This desktop has no file picker (zenity or kdialog): type the file’s path in the terminal with /send PATH.');
}
