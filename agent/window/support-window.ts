import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { PERMISSION_LABELS, initialPermissions, type Permission, type PermissionMap } from '../../protocol/index.ts';
import {
  WINDOW_LIMITS,
  type WindowClientMessage,
  type WindowColleague,
  type WindowFile,
  type WindowPrompt,
  type WindowServerMessage,
  type WindowSnapshot,
  type WindowTechnician,
} from '../../protocol/window.ts';
import { assertNever } from '../../protocol/parse.ts';
import { Emitter } from '../../rtc/emitter.ts';
import { displayText } from './display-text.ts';
import type { AssetSource } from './window-assets.ts';
import { WindowServer } from './window-server.ts';

type ChatLine = WindowSnapshot['chat'][number];
type LogLine = WindowSnapshot['log'][number];

/** What the customer can do from the window; the agent's session carries it out and enforces it. */
export interface WindowActions {
  /** Sends a chat line; false when it could not be sent (not connected yet). */
  chat(text: string): boolean;
  /** Sends the file at `path` from this machine's disk; rejects with a plain-words reason. */
  sendFile(path: string): Promise<void>;
  /** Shows the desktop's file picker and sends what is picked; rejects when there is none. */
  pickFile(): Promise<void>;
  /** Opens the folder holding `path` (the platform's file manager). */
  showInFolder(path: string): Promise<void>;
  revoke(permission: Permission): void;
  /** "Stop all access now". */
  stopAll(): void;
  /** Sends the colleague away (the lead stays). */
  removeColleague(): void;
  end(): void;
}

export interface SupportWindowOptions {
  assets: AssetSource;
  actions: WindowActions;
  /** Where received files are saved. */
  downloadDir: string;
  secret?: string;
}

export type SupportWindowEvents = { clients: number };

/**
 * The support window's state and its page-facing side: who the technician
 * is, the open permission question (one at a time), chat, the session log,
 * transfers, the connection path and the end. Every change is broadcast to
 * open pages, and a page that opens late (or again) gets it all as a
 * snapshot. Text from the technician's side is made safe for display here.
 */
export class SupportWindow extends Emitter<SupportWindowEvents> {
  readonly server: WindowServer;
  private technicianInfo: WindowTechnician | null = null;
  private permissionMap: PermissionMap = initialPermissions();
  private readonly queue: { prompt: WindowPrompt; resolve: (allow: boolean) => void }[] = [];
  private readonly chatLines: ChatLine[] = [];
  private readonly logLines: LogLine[] = [];
  private readonly files = new Map<string, WindowFile>();
  private connectionPath: WindowSnapshot['connection'] = null;
  private endedReason: string | null = null;
  private colleagueInfo: WindowColleague | null = null;
  /** The open "let the colleague in?" question's answer, while it is open. */
  private colleagueAnswer: ((accept: boolean) => void) | null = null;
  private transferText: string | null = null;

  constructor(private readonly options: SupportWindowOptions) {
    super();
    this.server = new WindowServer({ assets: options.assets, snapshot: () => this.snapshot(), ...(options.secret ? { secret: options.secret } : {}) });
    this.server.on('message', ({ message, reply }) => void this.onMessage(message, reply));
    this.server.on('clients', (n) => this.emit('clients', n));
  }

  /** Starts listening; resolves with the URL (print it, open it). */
  start(): Promise<string> {
    return this.server.start();
  }

  get url(): string {
    return this.server.url;
  }

  setTechnician(name: string, account: string | null): void {
    this.technicianInfo = { name: displayText(name, 100) || 'Your technician', account: account === null ? null : displayText(account, 254) };
    this.send({ type: 'technician', technician: this.technicianInfo });
  }

  setPermissions(map: PermissionMap): void {
    this.permissionMap = { ...map };
    this.send({ type: 'permission.state', permissions: this.permissionMap });
  }

  /**
   * Asks the customer one permission in the window; questions queue and are
   * shown one at a time. Resolves with the answer (false when withdrawn).
   */
  ask(permission: Permission): Promise<boolean> {
    return new Promise((resolve) => {
      const prompt: WindowPrompt = { promptId: randomUUID(), permission, label: PERMISSION_LABELS[permission] };
      this.queue.push({ prompt, resolve });
      if (this.queue.length === 1) this.send({ type: 'prompt.open', prompt });
    });
  }

  /**
   * Withdraws the question for `permission` (it answers no): it was decided
   * elsewhere (the terminal, /grant, /revoke) or it lapsed. The next one shows.
   */
  withdraw(permission: Permission): void {
    const at = this.queue.findIndex((q) => q.prompt.permission === permission);
    if (at < 0) return;
    const [item] = this.queue.splice(at, 1);
    item!.resolve(false);
    this.send({ type: 'prompt.closed', promptId: item!.prompt.promptId, outcome: 'withdrawn' });
    const next = this.queue[0];
    if (at === 0 && next) this.send({ type: 'prompt.open', prompt: next.prompt });
  }

  /** Withdraws every open question (they answer no): the session ended or the technician left. */
  withdrawPrompts(): void {
    for (const { prompt, resolve } of this.queue.splice(0)) {
      resolve(false);
      this.send({ type: 'prompt.closed', promptId: prompt.promptId, outcome: 'withdrawn' });
    }
  }

  addChat(from: ChatLine['from'], text: string, at: number, msgId: string = randomUUID()): void {
    const line: ChatLine = { msgId, from, text: displayText(text, 4000) || ' ', at };
    push(this.chatLines, line, WINDOW_LIMITS.snapshotChat);
    this.send({ type: 'chat', line });
  }

  addLog(entry: LogLine): void {
    const safe: LogLine = { ...entry, kind: displayText(entry.kind, WINDOW_LIMITS.logKindChars) || 'log', text: displayText(entry.text, 500) };
    push(this.logLines, safe, WINDOW_LIMITS.snapshotLog);
    this.send({ type: 'log.entry', entry: safe });
  }

  /** A transfer appeared or changed. */
  updateFile(file: WindowFile): void {
    const safe: WindowFile = { ...file, name: displayText(file.name, 255) || 'file' };
    this.files.delete(file.transferId);
    this.files.set(file.transferId, safe);
    while (this.files.size > WINDOW_LIMITS.snapshotFiles) this.files.delete(this.files.keys().next().value!);
    this.send({ type: 'file', file: safe });
  }

  /**
   * Asks the customer in the window whether the colleague the lead invited
   * may join (names from the server). Resolves with the answer, or false when
   * the question is withdrawn (answered in the terminal, or it lapsed).
   */
  askColleague(colleague: Omit<WindowColleague, 'state' | 'control'>): Promise<boolean> {
    this.colleagueAnswer?.(false);
    this.setColleague({ ...colleague, state: 'asked', control: false });
    return new Promise((resolve) => (this.colleagueAnswer = resolve));
  }

  /** Where the colleague stands now (null: none); an open question that no longer applies is withdrawn. */
  setColleague(colleague: WindowColleague | null): void {
    const safe = colleague && { ...colleague, name: displayText(colleague.name, 100) || 'A colleague', email: displayText(colleague.email, 254), leadName: displayText(colleague.leadName, 100) || 'Your technician' };
    if (safe?.state !== 'asked') this.withdrawColleague();
    this.colleagueInfo = safe;
    this.send({ type: 'colleague', colleague: safe });
  }

  /** The session went to another technician: the window says so (the text names both, from the server). */
  transferred(text: string): void {
    this.transferText = displayText(text, WINDOW_LIMITS.noticeChars);
    this.send({ type: 'transfer.notice', text: this.transferText });
  }

  setConnection(path: 'direct' | 'relayed' | 'unknown'): void {
    if (this.connectionPath?.path === path) return;
    this.connectionPath = { path };
    this.send({ type: 'connection', connection: this.connectionPath });
  }

  /** The session is over: questions are withdrawn and every page is told. */
  ended(reason: string): void {
    if (this.endedReason !== null) return;
    this.withdrawPrompts();
    this.withdrawColleague();
    this.endedReason = displayText(reason, 200) || 'ended';
    this.send({ type: 'session.ended', reason: this.endedReason });
  }

  close(): Promise<void> {
    return this.server.close();
  }

  snapshot(): WindowSnapshot {
    return {
      type: 'window.snapshot',
      technician: this.technicianInfo,
      permissions: this.permissionMap,
      prompt: this.queue[0]?.prompt ?? null,
      chat: [...this.chatLines],
      log: [...this.logLines],
      files: [...this.files.values()],
      connection: this.connectionPath,
      downloadDir: this.options.downloadDir,
      colleague: this.colleagueInfo,
      transferNotice: this.transferText,
      ended: this.endedReason === null ? null : { reason: this.endedReason },
    };
  }

  private withdrawColleague(): void {
    const answer = this.colleagueAnswer;
    this.colleagueAnswer = null;
    answer?.(false);
  }

  private send(message: WindowServerMessage): void {
    this.server.broadcast(message);
  }

  private async onMessage(message: WindowClientMessage, reply: (m: WindowServerMessage) => void): Promise<void> {
    const fail = (text: string): void => reply({ type: 'error', code: 'INVALID_MESSAGE', message: text, ...(message.id ? { ref: message.id } : {}) });
    if (this.endedReason !== null) return fail('The support session has ended.');
    const { actions } = this.options;
    switch (message.type) {
      case 'prompt.answer': {
        const head = this.queue[0];
        if (!head || head.prompt.promptId !== message.promptId || head.prompt.permission !== message.permission) {
          return fail('That question is no longer open.');
        }
        this.queue.shift();
        head.resolve(message.allow);
        this.send({ type: 'prompt.closed', promptId: head.prompt.promptId, outcome: 'answered' });
        const next = this.queue[0];
        if (next) this.send({ type: 'prompt.open', prompt: next.prompt });
        return;
      }
      case 'chat.send':
        if (!actions.chat(message.text)) fail('Not connected to the technician yet: the message was not sent.');
        return;
      case 'file.send':
        return actions.sendFile(message.path).catch((err: unknown) => fail(reason(err)));
      case 'file.pick':
        return actions.pickFile().catch((err: unknown) => fail(reason(err)));
      case 'file.show': {
        const file = this.files.get(message.transferId);
        if (!file?.savedAs) return fail('That file is not in the download folder.');
        return actions.showInFolder(join(this.options.downloadDir, file.savedAs)).catch((err: unknown) => fail(reason(err)));
      }
      case 'permission.revoke':
        return actions.revoke(message.permission);
      case 'access.stop':
        return actions.stopAll();
      case 'session.end':
        return actions.end();
      case 'colleague.answer': {
        const answer = this.colleagueAnswer;
        if (!answer || this.colleagueInfo?.state !== 'asked') return fail('No colleague is waiting for your answer.');
        this.colleagueAnswer = null;
        return answer(message.accept);
      }
      case 'colleague.remove':
        if (!this.colleagueInfo) return fail('No colleague is in this session.');
        return actions.removeColleague();
      default:
        return assertNever(message, 'window message');
    }
  }
}

function push<T>(list: T[], item: T, max: number): void {
  list.push(item);
  if (list.length > max) list.splice(0, list.length - max);
}

const reason = (err: unknown): string => displayText(err instanceof Error ? err.message : String(err), 400) || 'It did not work.';
