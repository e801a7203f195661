import { createInterface, type Interface } from 'node:readline';
import type { Permission } from '../../protocol/index.ts';
import { PERMISSIONS } from '../../protocol/index.ts';
import type { LogEntry } from '../../rtc/session-log.ts';
import type { TransferProgress } from '../../rtc/file-types.ts';
import { progressLine } from './progress.ts';

/** What the customer can do by typing a command. */
export interface TerminalActions {
  chat(text: string): void;
  grant(p: Permission): void;
  revoke(p: Permission | 'all'): void;
  sendFile(path: string): void;
  end(): void;
}

export const HELP = [
  'Type a message and press Enter to chat. Commands:',
  '  /revoke <view|control|files|clipboard|all>   withdraw a permission now',
  '  /grant <view|control|files|clipboard>        grant without being asked',
  '  /send <path>                                  send a file to the technician',
  '  /end                                          end the session',
].join('\n');

/**
 * The customer's terminal: the session log, permission prompts (y/n), chat
 * input, commands and file progress. When stdin is not a terminal it still
 * reads lines (so a script can answer), and prints progress at 25% steps
 * instead of redrawing one line.
 */
export class TerminalUi {
  private rl: Interface | null = null;
  private pending: { permission: Permission; resolve: (yes: boolean) => void }[] = [];
  private progressShown = new Map<string, number>();
  private readonly tty: boolean;

  constructor(
    private readonly out: NodeJS.WriteStream = process.stdout,
    private readonly input: NodeJS.ReadableStream = process.stdin,
  ) {
    this.tty = Boolean(this.out.isTTY);
  }

  start(actions: TerminalActions, interactive: boolean): void {
    if (!interactive) return;
    this.rl = createInterface({ input: this.input, output: this.tty ? this.out : undefined, terminal: this.tty });
    this.rl.on('line', (line) => this.onLine(line.trim(), actions));
    this.rl.on('close', () => {
      // No more answers can come: deny what is still pending.
      for (const p of this.pending.splice(0)) p.resolve(false);
    });
  }

  /** Asks one permission; resolves with the answer (a closed input answers no). */
  ask(permission: Permission, label: string, technician: string): Promise<boolean> {
    if (!this.rl) return Promise.resolve(false);
    this.print(`? ${technician} asks: ${label}. Allow? [y/N]`);
    return new Promise((resolve) => this.pending.push({ permission, resolve }));
  }

  printLog(entry: LogEntry): void {
    const time = new Date(entry.at).toTimeString().slice(0, 8);
    const who = entry.kind === 'chat' ? `${entry.actor}: ` : '';
    this.print(`${time} ${entry.kind === 'chat' ? '💬' : '·'} ${who}${entry.text}`);
  }

  progress(p: TransferProgress): void {
    const line = `${p.direction === 'send' ? '↑' : '↓'} ${progressLine(p.name, p.bytes, p.total, p.rate)}`;
    if (this.tty) {
      this.out.write(`\r\x1b[2K${line}${p.bytes >= p.total ? '\n' : ''}`);
      return;
    }
    const step = Math.floor((p.total > 0 ? p.bytes / p.total : 1) * 4);
    if ((this.progressShown.get(p.transferId) ?? -1) < step) {
      this.progressShown.set(p.transferId, step);
      this.out.write(`${line}\n`);
    }
  }

  print(line: string): void {
    this.out.write(this.tty ? `\r\x1b[2K${line}\n` : `${line}\n`);
  }

  close(): void {
    this.rl?.close();
    this.rl = null;
  }

  private onLine(line: string, actions: TerminalActions): void {
    const waiting = this.pending[0];
    if (waiting && /^(y|yes|n|no|)$/i.test(line)) {
      this.pending.shift();
      waiting.resolve(/^y/i.test(line));
      return;
    }
    if (line === '') return;
    const [command = '', ...rest] = line.split(/\s+/);
    const arg = rest.join(' ');
    const perm = (value: string): Permission | null => ((PERMISSIONS as readonly string[]).includes(value) ? (value as Permission) : null);
    switch (command) {
      case '/help':
        this.print(HELP);
        return;
      case '/end':
        actions.end();
        return;
      case '/send':
        if (arg) actions.sendFile(arg);
        else this.print('Usage: /send <path>');
        return;
      case '/grant': {
        const p = perm(arg);
        if (p) actions.grant(p);
        else this.print('Usage: /grant <view|control|files|clipboard>');
        return;
      }
      case '/revoke': {
        const p = arg === 'all' ? 'all' : perm(arg);
        if (p) actions.revoke(p);
        else this.print('Usage: /revoke <view|control|files|clipboard|all>');
        return;
      }
      default:
        if (line.startsWith('/')) this.print(`Unknown command ${command}. ${HELP}`);
        else actions.chat(line);
    }
  }
}
