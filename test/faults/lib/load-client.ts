/**
 * A lean signaling client for the load and fault scenarios: a real `ws`
 * socket that keeps every message it receives (nothing is dropped, so a lost
 * message is the server's) and waits for the next one matching a predicate.
 */
import { WebSocket } from 'ws';

export type Message = Record<string, unknown> & { type: string };

interface Waiter {
  match: (message: Message) => boolean;
  resolve: (message: Message) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export class LoadSocket {
  /** Error replies received (a load run expects none). */
  readonly errors: Message[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly backlog: Message[] = [];
  private waiters: Waiter[] = [];
  /** Called for every message before waiters see it (e.g. to time signals as they arrive). */
  onMessage: ((message: Message) => boolean | void) | null = null;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => this.receive(JSON.parse(data.toString('utf8')) as Message));
    ws.on('error', () => undefined);
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    void this.closed.then(() => {
      for (const waiter of this.waiters.splice(0)) {
        clearTimeout(waiter.timer);
        waiter.reject(new Error('socket closed'));
      }
    });
  }

  static open(url: string, options: { headers?: Record<string, string>; localAddress?: string } = {}, timeoutMs = 30_000): Promise<LoadSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers: options.headers, ...(options.localAddress ? { localAddress: options.localAddress } : {}), handshakeTimeout: timeoutMs });
      const socket = new LoadSocket(ws);
      ws.once('open', () => resolve(socket));
      ws.once('error', reject);
    });
  }

  send(message: unknown): void {
    this.ws.send(JSON.stringify(message));
  }

  /** The next message (received earlier and not taken, or to come) that `match`es. */
  next(match: (message: Message) => boolean, what: string, timeoutMs = 30_000): Promise<Message> {
    const index = this.backlog.findIndex(match);
    if (index >= 0) return Promise.resolve(this.backlog.splice(index, 1)[0] as Message);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        match,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((other) => other !== waiter);
          reject(new Error(`no ${what} within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  /** Drops the TCP connection without a close handshake (a lost network). */
  drop(): void {
    this.ws.terminate();
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close();
  }

  private receive(message: Message): void {
    if (message.type === 'error') this.errors.push(message);
    if (this.onMessage?.(message) === true) return;
    const index = this.waiters.findIndex((waiter) => waiter.match(message));
    const waiter = this.waiters[index];
    if (waiter) {
      this.waiters.splice(index, 1);
      clearTimeout(waiter.timer);
      waiter.resolve(message);
    } else {
      this.backlog.push(message);
    }
  }
}

/** Matches a message by type and, optionally, more fields. */
export const is =
  (type: string, fields: Record<string, unknown> = {}) =>
  (message: Message): boolean =>
    message.type === type && Object.entries(fields).every(([key, value]) => message[key] === value);
