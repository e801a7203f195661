import http from 'node:http';
import { WebSocket } from 'ws';
import type { WindowServerMessage } from '../../../protocol/window.ts';

/** A plain HTTP GET with exactly these headers (fetch would not let a test set Host). */
export function rawGet(port: number, path: string, headers: Record<string, string>): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'GET', headers, setHost: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Tries to open the window's WebSocket with these headers; resolves with the
 * HTTP status of a refusal, or 101 and the open socket.
 */
export function tryWebSocket(port: number, path: string, headers: { host?: string; origin?: string }): Promise<{ status: number; ws: WebSocket | null; client: WindowClient | null }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, {
      ...(headers.origin !== undefined ? { origin: headers.origin } : {}),
      headers: headers.host !== undefined ? { host: headers.host } : {},
    });
    // Listening from the start: the snapshot can come in the same packet as the handshake.
    const client = new WindowClient(ws);
    ws.once('open', () => resolve({ status: 101, ws, client }));
    ws.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0, ws: null, client: null });
      ws.terminate();
    });
    ws.once('error', (err) => {
      if (ws.readyState !== ws.OPEN) reject(err);
    });
  });
}

/** Collects a window socket's messages; `next(type)` takes the next unread one of that type. */
export class WindowClient {
  readonly received: WindowServerMessage[] = [];
  private readonly unread: WindowServerMessage[] = [];
  private waiters: { type: string; resolve: (m: WindowServerMessage) => void }[] = [];

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const message = JSON.parse((data as Buffer).toString("utf8")) as WindowServerMessage;
      this.received.push(message);
      const waiter = this.waiters.find((w) => w.type === message.type);
      if (waiter) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(message);
      } else this.unread.push(message);
    });
  }

  next<T extends WindowServerMessage['type']>(type: T, timeoutMs = 5000): Promise<Extract<WindowServerMessage, { type: T }>> {
    const index = this.unread.findIndex((m) => m.type === type);
    if (index >= 0) return Promise.resolve(this.unread.splice(index, 1)[0] as Extract<WindowServerMessage, { type: T }>);
    return new Promise((resolve, reject) => {
      const waiter = { type, resolve: (m: WindowServerMessage) => (clearTimeout(timer), resolve(m as Extract<WindowServerMessage, { type: T }>)) };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no ${type} within ${timeoutMs} ms; got ${this.received.map((m) => m.type).join(', ')}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  send(message: unknown): void {
    this.ws.send(JSON.stringify(message));
  }
}
