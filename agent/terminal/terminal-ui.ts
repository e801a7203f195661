import { createInterface, type Interface } from 'node:readline';
import type { Permission } from '../../protocol/index.ts';
import { PERMISSIONS } from '../../protocol/index.ts';
import { sanitizeTerminalText } from '../../protocol/sanitize-terminal-text.ts';
import type { LogEntry } from '../../rtc/session-log.ts';
import type { TransferProgress } from '../../rtc/file-types.ts';
import { PermissionPrompts, type PromptSubject } from './permission-prompts.ts';
import { progressLine } from './progress.ts';
import { wrapRows } from './terminal-rows.ts';

/** What the customer can do by typing a command. */
export interface TerminalActions {
  chat(text: string): void;
  grant(p: Permission): void;
  revoke(p: Permission | 'all'): void;
  sendFile(path: string): void;
  /** `/remove-colleague`: sends the colleague away (the lead stays). */
  removeColleague(): void;
  end(): void;
}

export const HELP = [
  'Type a message and press Enter to chat. Commands:',
  '  /revoke <view|control|files|clipboard|all>   withdraw a permission now',
  '  /grant <view|control|files|clipboard>        grant without being asked',
  '  /send <path>                                  send a file to the technician',
  '  /remove-colleague                             send the second technician away',
  '  /end                                          end the session',
];

export interface TerminalUiOptions {
  /** How long a question must be on screen alone before a bare "y" grants it (PermissionPrompts). */
  settleMs?: number;
  now?: () => number;
}

/**
 * The customer's terminal: the session log, permission questions (one at a
 * time, see PermissionPrompts), chat input, commands and file progress.
 *
 * Every line goes through `sanitizeTerminalText`, whoever wrote it: the
 * technician's chat, names, file names and error text can never move the
 * cursor, clear the screen, set the title or the clipboard, or start a line
 * of their own. The technician's words are marked (`technician says │`), and on
 * a terminal a long line is wrapped by us with a continuation mark, so outside
 * text never reaches the left edge where the agent's own lines and questions
 * start. The pending question is drawn again below any other output.
 *
 * When stdin is not a terminal it still reads lines (so a script can answer),
 * and prints progress at 25% steps instead of redrawing one line.
 */
export class TerminalUi {
  readonly prompts: PermissionPrompts;
  private rl: Interface | null = null;
  private progressShown = new Map<string, number>();
  private readonly tty: boolean;
  /** Terminal: rows of the question drawn above the input row. */
  private questionRows = 0;
  /** Not a terminal: the question shown was printed after the last other output. */
  private questionPrinted = false;
  private redrawSoon: NodeJS.Immediate | null = null;

  constructor(
    private readonly out: NodeJS.WriteStream = process.stdout,
    private readonly input: NodeJS.ReadableStream = process.stdin,
    options: TerminalUiOptions = {},
  ) {
    this.tty = Boolean(this.out.isTTY);
    this.prompts = new PermissionPrompts(options.settleMs, options.now);
    this.prompts.on('change', () => {
      this.clearQuestion();
      this.questionPrinted = false;
      this.scheduleDraw();
    });
  }

  start(actions: TerminalActions, interactive: boolean): void {
    if (!interactive) return;
    this.rl = createInterface({ input: this.input, output: this.tty ? this.out : undefined, terminal: this.tty, prompt: '' });
    this.rl.on('line', (line) => this.onLine(line.trim(), actions));
    // No more answers can come: deny what is still pending.
    this.rl.on('close', () => this.prompts.denyAll());
  }

  /**
   * Asks one permission for the technician as the server named them; resolves
   * with the answer (a closed or absent input answers no).
   */
  ask(permission: Permission, technician: string): Promise<boolean> {
    if (!this.rl) return Promise.resolve(false);
    return this.prompts.ask(permission, technician);
  }

  /** Asks whether the colleague the lead invited may join; a closed or absent input answers no. */
  askColleague(colleague: { name: string; email: string; leadName: string }): Promise<boolean> {
    if (!this.rl) return Promise.resolve(false);
    return this.prompts.askColleague(colleague);
  }

  /** The question for `permission` is moot (decided by a command or the other screen, or the session ended). */
  withdraw(permission: PromptSubject): void {
    this.prompts.withdraw(permission);
  }

  printLog(entry: LogEntry): void {
    const time = new Date(entry.at).toTimeString().slice(0, 8);
    this.print(`${time} ${logMark(entry)} ${entry.text}`);
  }

  progress(p: TransferProgress): void {
    const line = `${p.direction === 'send' ? '↑' : '↓'} ${progressLine(sanitizeTerminalText(p.name), p.bytes, p.total, p.rate)}`;
    const done = p.bytes >= p.total;
    if (this.tty && !done) {
      // Redrawn in place on the input row, below the question if one is shown.
      this.out.write(`\r\x1b[2K${wrapRows(line, this.columns())[0]}`);
      return;
    }
    const step = Math.floor((p.total > 0 ? p.bytes / p.total : 1) * 4);
    if (this.tty || (this.progressShown.get(p.transferId) ?? -1) < step) {
      this.progressShown.set(p.transferId, step);
      this.print(line);
    }
  }

  /**
   * Prints lines (each one sanitised: a line never turns into two), then the
   * pending question again, once a burst of lines (or a question that
   * replaces it) is over.
   */
  print(...lines: string[]): void {
    this.clearQuestion();
    for (const line of lines) this.writeRows(sanitizeTerminalText(line));
    this.questionPrinted = false;
    this.scheduleDraw();
  }

  /** Stops reading answers: what is still asked is refused. */
  close(): void {
    this.rl?.close();
    this.rl = null;
  }

  private scheduleDraw(): void {
    this.redrawSoon ??= setImmediate(() => {
      this.redrawSoon = null;
      this.drawQuestion();
    });
  }

  private writeRows(safe: string): void {
    if (!this.tty) {
      this.out.write(`${safe}\n`);
      return;
    }
    for (const row of wrapRows(safe, this.columns())) this.out.write(`${row}\n`);
  }

  /** Terminal: erases the question and the input row below it; otherwise only the input row. */
  private clearQuestion(): void {
    if (!this.tty) return;
    this.out.write(this.questionRows > 0 ? `\r\x1b[${this.questionRows}A\x1b[J` : '\r\x1b[2K');
    this.questionRows = 0;
  }

  private drawQuestion(): void {
    if (this.questionRows > 0) return;
    const q = this.prompts.current;
    if (q && !this.tty && !this.questionPrinted) {
      this.out.write(`${sanitizeTerminalText(q.text)}\n`);
      this.questionPrinted = true;
    }
    if (!this.tty) return;
    if (q) {
      const rows = wrapRows(sanitizeTerminalText(q.text), this.columns());
      for (const row of rows) this.out.write(`\x1b[1m${row}\x1b[0m\n`);
      this.questionRows = rows.length;
    }
    // Puts back what the customer was typing.
    this.rl?.prompt(true);
  }

  private columns(): number {
    return this.out.columns || 80;
  }

  private onLine(line: string, actions: TerminalActions): void {
    // Enter moved the cursor below the question and the answer: both stay on screen as they were.
    if (this.tty) this.questionRows = 0;
    const answer = this.prompts.answer(line);
    switch (answer.kind) {
      case 'answered':
        return;
      case 'too_soon':
        this.print(`(That "${line}" came just as the question changed, so it was not used. Read the question and answer again.)`);
        return;
      case 'not_asked':
        this.print(
          answer.permission === 'colleague'
            ? '(Nobody is waiting to join this session now.)'
            : `(Nobody is asking for ${answer.permission} now. To give it anyway: /grant ${answer.permission})`,
        );
        return;
      case 'none':
        break;
    }
    if (line === '') return;
    const [command = '', ...rest] = line.split(/\s+/);
    const arg = rest.join(' ');
    const perm = (value: string): Permission | null => ((PERMISSIONS as readonly string[]).includes(value) ? (value as Permission) : null);
    switch (command) {
      case '/help':
        this.print(...HELP);
        return;
      case '/end':
        actions.end();
        return;
      case '/remove-colleague':
        actions.removeColleague();
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
        if (line.startsWith('/')) this.print(`Unknown command ${command}.`, ...HELP);
        else actions.chat(line);
    }
  }
}

/**
 * Who a log line is from: the technician's own words are marked so, and no
 * text of theirs can begin a line (newlines are escaped, long lines wrapped
 * with a continuation mark), so they cannot pass for the agent's.
 */
function logMark(entry: LogEntry): string {
  if (entry.actor === 'technician') return entry.kind === 'chat' ? 'technician says │' : 'technician │';
  if (entry.actor === 'customer' && entry.kind === 'chat') return 'you said │';
  return '·';
}
