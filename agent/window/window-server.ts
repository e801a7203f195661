import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { ERRORS, parseMessage } from '../../protocol/index.ts';
import {
  WINDOW_CLIENT_MESSAGE_TYPES,
  WINDOW_LIMITS,
  windowClientMessageSchema,
  type WindowClientMessage,
  type WindowServerMessage,
} from '../../protocol/window.ts';
import { Emitter } from '../../rtc/emitter.ts';
import { checkLocalRequest, type LocalOrigin } from './request-guard.ts';
import type { AssetSource } from './window-assets.ts';

/** The loopback address the window listens on: an IPv4 literal, so `Host` has one right spelling. */
export const WINDOW_HOST = '127.0.0.1';
/** Bytes of randomness in the URL's secret (256 bits). */
export const WINDOW_SECRET_BYTES = 32;

export interface WindowServerOptions {
  assets: AssetSource;
  /** The first message every new socket gets (the whole state, so a reopened tab catches up). */
  snapshot(): WindowServerMessage;
  /** Tests pin the secret; otherwise 32 random bytes. */
  secret?: string;
  /** Open sockets at most (tabs of the same customer); default 8. */
  maxClients?: number;
}

export type WindowServerEvents = {
  /** A valid message from a page; `reply` answers that page only. */
  message: { message: WindowClientMessage; reply: (m: WindowServerMessage) => void };
  /** The number of open pages changed. */
  clients: number;
};

/**
 * The support window's transport: an HTTP server on 127.0.0.1 (random port)
 * that serves the page's files under `/<secret>/` and its WebSocket at
 * `/<secret>/ws`. Every request and upgrade passes `checkLocalRequest`
 * (Host, Origin, secret); anything else gets 403 and no socket. The page may
 * not be framed, sends no Referer and can connect only back here.
 */
export class WindowServer extends Emitter<WindowServerEvents> {
  readonly secret: string;
  private readonly http: http.Server;
  private readonly wss: WebSocketServer;
  private readonly sockets = new Set<WebSocket>();
  private local: LocalOrigin | null = null;
  private closed = false;

  constructor(private readonly options: WindowServerOptions) {
    super();
    this.secret = options.secret ?? randomBytes(WINDOW_SECRET_BYTES).toString('base64url');
    // Up to 4x the message limit gets an error reply from the parser; beyond that ws closes with 1009.
    this.wss = new WebSocketServer({ noServer: true, maxPayload: 4 * WINDOW_LIMITS.clientMessageBytes });
    // No Host at all is refused by the guard (403) like a wrong one, not by Node's own 400.
    this.http = http.createServer({ requireHostHeader: false }, (req, res) => this.onRequest(req, res));
    this.http.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
    this.http.on('clientError', (_err, socket) => socket.destroy());
  }

  /** Listens on 127.0.0.1, port 0; resolves with the URL to open (it carries the secret). */
  async start(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(0, WINDOW_HOST, () => {
        this.http.off('error', reject);
        resolve();
      });
    });
    const { port } = this.http.address() as AddressInfo;
    this.local = { host: `${WINDOW_HOST}:${port}`, origin: `http://${WINDOW_HOST}:${port}`, secret: this.secret };
    return this.url;
  }

  get url(): string {
    if (!this.local) throw new Error('the window server is not listening');
    return `${this.local.origin}/${this.secret}/`;
  }

  get port(): number {
    return (this.http.address() as AddressInfo).port;
  }

  get clientCount(): number {
    return this.sockets.size;
  }

  /** Sends to every open page. */
  broadcast(message: WindowServerMessage): void {
    const text = JSON.stringify(message);
    for (const ws of this.sockets) if (ws.readyState === ws.OPEN) ws.send(text);
  }

  /** Closes every page's socket and the listener; idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const ws of this.sockets) ws.close(1001, 'the support session is over');
    this.wss.close();
    await new Promise<void>((resolve) => {
      this.http.close(() => resolve());
      this.http.closeAllConnections();
    });
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const guard = this.local ? checkLocalRequest(req, this.local, false) : null;
    if (!guard?.ok) return void forbidden(res);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('Method not allowed\n');
      return;
    }
    if (guard.rest === null) {
      res.writeHead(308, { Location: `/${this.secret}/`, 'Cache-Control': 'no-store' }).end();
      return;
    }
    const asset = this.options.assets.get(guard.rest);
    if (!asset) {
      const missing = guard.rest === '' || guard.rest === 'index.html';
      res.writeHead(missing ? 503 : 404, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(missing ? 'The support window is not built: run `npm run build`.\n' : 'Not found\n');
      return;
    }
    res.writeHead(200, {
      ...this.pageHeaders(),
      'Content-Type': asset.contentType,
      'Content-Length': asset.body.byteLength,
    });
    res.end(req.method === 'HEAD' ? undefined : asset.body);
  }

  private pageHeaders(): Record<string, string> {
    const ws = this.local!.origin.replace(/^http/, 'ws');
    return {
      'Content-Security-Policy': [
        "default-src 'none'",
        "script-src 'self'",
        // Lit falls back to <style> elements where adoptedStyleSheets is missing.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        `connect-src ${ws}`,
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
      ].join('; '),
      'X-Frame-Options': 'DENY',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Cache-Control': 'no-store',
    };
  }

  private onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const guard = this.local ? checkLocalRequest(req, this.local, true) : null;
    if (!guard?.ok || guard.rest !== 'ws') {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    if (this.closed || this.sockets.size >= (this.options.maxClients ?? 8)) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
  }

  private accept(ws: WebSocket): void {
    this.sockets.add(ws);
    this.emit('clients', this.sockets.size);
    const reply = (m: WindowServerMessage): void => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m));
    };
    reply(this.options.snapshot());
    ws.on('message', (data, isBinary) => {
      if (isBinary) return reply({ type: 'error', code: 'INVALID_MESSAGE', message: 'Send JSON text messages.' });
      const raw = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
      const parsed = parseMessage(raw, windowClientMessageSchema, WINDOW_LIMITS.clientMessageBytes, WINDOW_CLIENT_MESSAGE_TYPES);
      if (!parsed.ok) return reply({ type: 'error', code: parsed.code, message: parsed.message, ...(parsed.ref ? { ref: parsed.ref } : {}) });
      this.emit('message', { message: parsed.value, reply });
    });
    ws.on('error', () => ws.terminate());
    ws.once('close', () => {
      this.sockets.delete(ws);
      this.emit('clients', this.sockets.size);
    });
  }
}

function forbidden(res: http.ServerResponse): void {
  res.writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(`${ERRORS.FORBIDDEN.message}\n`);
}
