import { execFile } from 'node:child_process';

/** The desktop file pickers tried in order: GNOME/GTK, then KDE. */
const pickers = (title: string): readonly { command: string; args: string[] }[] => [
  { command: 'zenity', args: ['--file-selection', `--title=${title}`] },
  { command: 'kdialog', args: ['--getopenfilename', '.', '--title', title] },
];

/**
 * Shows the desktop's own file picker, so the agent gets a path and reads the
 * file from disk (a browser upload would give bytes through the page, with its
 * size limits). Resolves with the path, null when the customer cancelled, and
 * rejects when no picker is installed. The Linux desktop's part of the
 * platform seam (Windows: the common dialog through koffi).
 */
export async function pickFile(title: string, display: string, tried = pickers(title)): Promise<string | null> {
  for (const picker of tried) {
    const result = await new Promise<{ missing: boolean; path: string | null }>((resolve) => {
      execFile(picker.command, picker.args, { encoding: 'utf8', timeout: 10 * 60_000, env: { ...process.env, DISPLAY: display } }, (err, stdout) => {
        if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') return resolve({ missing: true, path: null });
        const path = stdout.split('\n')[0]?.trim() ?? '';
        resolve({ missing: false, path: err || path === '' ? null : path });
      });
    });
    if (!result.missing) return result.path;
  }
  throw new Error('This desktop has no file picker (zenity or kdialog): type the file’s path in the terminal with /send PATH.');
}
