import { initialPermissions, type Permission, type PermissionMap } from '../../protocol/permissions.ts';
import type { WindowClientMessage, WindowColleague, WindowFile, WindowPrompt, WindowServerMessage, WindowSnapshot } from '../../protocol/window.ts';
import { Store } from '../shared/store.ts';
import type { ChatEntry, LogEntry, TransferPhase, TransferView } from '../shared/view-models.ts';
import type { ConnectionPath, CustomerPort } from './customer-port.ts';
import { customerLogText } from './log-text.ts';

/** The socket the model talks over (the page's WebSocket; a fake in unit tests). */
export interface WindowSocket {
  send(text: string): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(type: 'close', listener: () => void): void;
}

const PHASES: Record<WindowFile['state'], TransferPhase> = {
  hashing: 'waiting',
  offered: 'waiting',
  paused: 'waiting',
  sending: 'transferring',
  receiving: 'transferring',
  verifying: 'transferring',
  done: 'done',
  failed: 'failed',
};

/**
 * The support app's window over its local WebSocket (protocol/window.ts):
 * the agent runs the customer engine and is the authority; this model shows
 * what the agent reports and sends the customer's intent (answers, chat,
 * files by path, revokes, end). The agent answers a refused intent with an
 * `error`, shown as `notice`.
 */
export class WindowModel extends Store implements CustomerPort {
  technicianName = 'your technician';
  technicianAccount: string | null = null;
  permissions: PermissionMap = initialPermissions();
  pending: Permission[] = [];
  shareError = '';
  chat: ChatEntry[] = [];
  log: LogEntry[] = [];
  transfers: TransferView[] = [];
  connectionPath: ConnectionPath | null = null;
  readonly fileSource = 'agent' as const;
  downloadDir: string | null = null;
  /** The agent's snapshot arrived: the window shows the session. */
  ready = false;
  /** Why the session ended, once it has. */
  ended: string | null = null;
  /** The agent stopped answering (the socket closed before the end). */
  lost = false;
  /** The last thing the agent refused, in plain words. */
  notice = '';
  /** The second technician the lead invited (the agent asks here and in its terminal). */
  colleague: WindowColleague | null = null;
  transferNotice = '';
  private prompt: WindowPrompt | null = null;
  private verified = false;

  constructor(private readonly socket: WindowSocket) {
    super();
    socket.addEventListener('message', (event) => this.receive(String(event.data)));
    socket.addEventListener('close', () => {
      if (this.ended === null) this.lost = true;
      this.changed();
    });
  }

  get sharing(): boolean {
    return this.permissions.view === 'granted';
  }

  get connected(): boolean {
    return this.ready && this.verified && this.ended === null && !this.lost;
  }

  offers(): boolean {
    return true;
  }

  async answer(permission: Permission, granted: boolean): Promise<void> {
    const prompt = this.prompt;
    if (!prompt || prompt.permission !== permission) return;
    this.send({ type: 'prompt.answer', promptId: prompt.promptId, permission, allow: granted });
  }

  revoke(permission: Permission): void {
    this.send({ type: 'permission.revoke', permission });
  }

  revokeAll(): void {
    this.send({ type: 'access.stop' });
  }

  async answerColleague(accept: boolean): Promise<void> {
    if (this.colleague?.state === 'asked') this.send({ type: 'colleague.answer', accept });
  }

  async removeColleague(): Promise<void> {
    if (this.colleague) this.send({ type: 'colleague.remove' });
  }

  sendChat(text: string): void {
    this.send({ type: 'chat.send', text });
  }

  /** A browser File has no path the agent could read: the window sends by path only. */
  sendFiles(): void {
    this.setNotice('Choose the file with “Choose a file…”, or drag it here from your file manager.');
  }

  pickFile(): void {
    this.send({ type: 'file.pick' });
  }

  sendPaths(paths: readonly string[]): void {
    for (const path of paths) this.send({ type: 'file.send', path });
  }

  showInFolder(transferId: string): void {
    this.send({ type: 'file.show', transferId });
  }

  async end(): Promise<void> {
    this.send({ type: 'session.end' });
  }

  private send(message: WindowClientMessage): void {
    if (this.ended !== null || this.lost) return;
    this.notice = '';
    this.socket.send(JSON.stringify(message));
    this.changed();
  }

  private setNotice(text: string): void {
    this.notice = text;
    this.changed();
  }

  private receive(raw: string): void {
    let message: WindowServerMessage;
    try {
      message = JSON.parse(raw) as WindowServerMessage;
    } catch {
      return;
    }
    this.apply(message);
    this.changed();
  }

  private apply(message: WindowServerMessage): void {
    switch (message.type) {
      case 'window.snapshot':
        return this.applySnapshot(message);
      case 'technician':
        this.setTechnician(message.technician);
        return;
      case 'prompt.open':
        this.setPrompt(message.prompt);
        return;
      case 'prompt.closed':
        if (this.prompt?.promptId === message.promptId) this.setPrompt(null);
        return;
      case 'permission.state':
        this.permissions = message.permissions;
        return;
      case 'chat':
        this.chat = [...this.chat, this.chatEntry(message.line)].slice(-500);
        return;
      case 'log.entry':
        this.addLog(message.entry);
        return;
      case 'file':
        this.setFile(message.file);
        return;
      case 'connection':
        this.connectionPath = message.connection.path;
        return;
      case 'session.ended':
        this.ended = message.reason;
        this.setPrompt(null);
        this.colleague = null;
        return;
      case 'colleague':
        this.colleague = message.colleague;
        return;
      case 'transfer.notice':
        this.transferNotice = message.text;
        return;
      case 'error':
        this.notice = message.message;
        return;
    }
  }

  private applySnapshot(s: WindowSnapshot): void {
    this.ready = true;
    this.setTechnician(s.technician);
    this.permissions = s.permissions;
    this.setPrompt(s.prompt);
    this.chat = s.chat.map((line) => this.chatEntry(line));
    this.log = [];
    for (const entry of s.log) this.addLog(entry);
    this.transfers = [];
    for (const file of s.files) this.setFile(file);
    this.connectionPath = s.connection?.path ?? null;
    this.downloadDir = s.downloadDir;
    this.colleague = s.colleague;
    this.transferNotice = s.transferNotice ?? '';
    this.ended = s.ended?.reason ?? null;
  }

  private setTechnician(t: WindowSnapshot['technician']): void {
    this.verified = t !== null;
    if (!t) return;
    this.technicianName = t.name;
    this.technicianAccount = t.account;
  }

  private setPrompt(prompt: WindowPrompt | null): void {
    this.prompt = prompt;
    this.pending = prompt ? [prompt.permission] : [];
  }

  private chatEntry(line: WindowSnapshot['chat'][number]): ChatEntry {
    const mine = line.from === 'customer';
    return { id: line.msgId, from: mine ? 'me' : 'peer', name: mine ? 'You' : this.technicianName, text: line.text, at: line.at };
  }

  private addLog(entry: WindowSnapshot['log'][number]): void {
    if (entry.kind === 'chat') return;
    this.log = [...this.log, { at: entry.at, text: customerLogText(entry.actor, entry.kind, entry.text, this.technicianName) }].slice(-1000);
  }

  private setFile(file: WindowFile): void {
    const view: TransferView = {
      id: file.transferId,
      name: file.name,
      size: file.total,
      direction: file.direction,
      bytes: file.bytes,
      phase: PHASES[file.state],
      ...(file.state === 'done' ? { verified: true } : {}),
      ...(file.problem ? { error: file.problem } : {}),
      ...(file.savedAs ? { savedAs: file.savedAs } : {}),
    };
    const at = this.transfers.findIndex((t) => t.id === file.transferId);
    this.transfers = at < 0 ? [...this.transfers, view] : this.transfers.map((t, i) => (i === at ? view : t));
  }
}
