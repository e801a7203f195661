import { dirname } from 'node:path';
import { transferNoticeText } from '../../protocol/handover.ts';
import type { CustomerEngine } from '../../rtc/customer-engine.ts';
import type { Platform } from '../platform/platform.ts';
import { defaultWindowAssets } from './default-assets.ts';
import { SupportWindow, type WindowActions } from './support-window.ts';

export interface OpenWindowOptions {
  /** Opens the window in the browser, picks files, shows folders. */
  platform: Platform;
  downloadDir: string;
  /** false with `--no-open`: only the URL is printed. */
  open: boolean;
  print: (line: string) => void;
  /** What the page's controls do; `sendFile` is also what the picker calls. */
  actions: Omit<WindowActions, 'pickFile' | 'showInFolder'>;
}

/**
 * Starts the support window, prints `Support window: <url>` and opens it in
 * the default browser unless `--no-open`; when the browser cannot be opened,
 * or the last tab is closed, the terminal says how to get back to it.
 */
export async function openSupportWindow(options: OpenWindowOptions): Promise<SupportWindow> {
  const { print } = options;
  const window = new SupportWindow({
    assets: defaultWindowAssets(),
    downloadDir: options.downloadDir,
    actions: {
      ...options.actions,
      pickFile: async () => {
        const path = await options.platform.pickFile('Send a file to your technician');
        if (path !== null) await options.actions.sendFile(path);
      },
      showInFolder: async (path) => {
        if (!(await options.platform.openFolder(dirname(path)))) throw new Error(`Could not open the folder: it is ${dirname(path)}`);
      },
    },
  });
  const url = await window.start();
  print(`Support window: ${url}`);
  let seen = false;
  window.on('clients', (n) => {
    if (n > 0) seen = true;
    else if (seen) print(`The support window was closed; the session goes on. Reopen it at ${url}`);
  });
  if (options.open) {
    void options.platform.openUrl(url).then((opened) => {
      if (!opened) print('Could not open a browser: open the address above in your browser. This terminal also works (type /help).');
    });
  }
  return window;
}

/** Shows a session's technician-side events in the window (chat, log, permissions, files, path, colleague, transfer, end). */
export function feedWindow(window: SupportWindow, session: CustomerEngine): void {
  session.on('chat', (m) => window.addChat(m.from === 'me' ? 'customer' : 'technician', m.text, m.at, m.msgId));
  session.log.on('entry', (e) => window.addLog(e));
  session.permissions.on('change', (c) => window.setPermissions(c.permissions));
  session.on('facts', (f) => window.setConnection(f.path));
  session.files.on('progress', (p) =>
    window.updateFile({ transferId: p.transferId, direction: p.direction, name: p.name, bytes: p.bytes, total: p.total, state: p.state, savedAs: null, problem: null }),
  );
  session.files.on('finished', (r) =>
    window.updateFile({
      transferId: r.transferId,
      direction: r.direction,
      name: r.name,
      bytes: r.ok ? r.size : 0,
      total: r.size,
      state: r.ok ? 'done' : 'failed',
      savedAs: r.ok && r.direction === 'receive' ? (r.savedAs ?? r.name) : null,
      problem: r.ok ? null : r.message,
    }),
  );
  session.on('colleague', (c) => window.setColleague(c && { name: c.name, email: c.email, leadName: c.leadName, state: c.state, control: c.control }));
  session.on('transferred', (m) => {
    window.setTechnician(m.technicianName, m.technicianEmail);
    window.transferred(transferNoticeText(m));
  });
  session.on('closed', ({ reason }) => window.ended(reason));
}
