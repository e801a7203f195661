import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import type { AddressInfo } from 'node:net';

const ICE = { iceServers: [], iceTransportPolicy: 'all', turnConfigured: false };
export const SESSION_ID = 'sess_12345678';
export const TOKEN = 'tok_abcdefghijklmnop';

/** A minimal stand-in for the signaling server: one session, relays signals, records audit events. */
export class FakeSignaling {
  readonly wss: WebSocketServer;
  tech: WebSocket | null = null;
  cust: WebSocket | null = null;
  readonly audit: Array<{ event: string; detail: string }> = [];
  readonly received: Array<{ from: string; type: string }> = [];
  headers: Record<string, string | string[] | undefined>[] = [];

  constructor() {
    this.wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    this.wss.on('connection', (ws, req) => {
      this.headers.push(req.headers);
      const role = req.url?.includes('technician') ? 'technician' : 'customer';
      if (role === 'technician') {
        this.tech = ws;
        ws.send(JSON.stringify({ type: 'welcome', role, heartbeatMs: 20000, serverVersion: 'test' }));
      } else {
        this.cust = ws;
      }
      ws.on('message', (raw) => this.onMessage(role, ws, JSON.parse(Buffer.isBuffer(raw) ? raw.toString('utf8') : '{}') as Record<string, unknown>));
    });
  }

  /** Resolves once the server listens. */
  ready(): Promise<void> {
    return this.wss.address() ? Promise.resolve() : new Promise((r) => this.wss.once('listening', () => r()));
  }

  url(role: 'technician' | 'customer'): string {
    return `ws://127.0.0.1:${(this.wss.address() as AddressInfo).port}/ws/${role}`;
  }

  close(): Promise<void> {
    for (const c of this.wss.clients) c.terminate();
    return new Promise((r) => this.wss.close(() => r()));
  }

  private onMessage(role: string, ws: WebSocket, msg: Record<string, unknown>): void {
    this.received.push({ from: role, type: String(msg.type) });
    const reply = (m: object): void => ws.send(JSON.stringify({ ...m, ref: msg.id }));
    const other = role === 'technician' ? this.cust : this.tech;
    switch (msg.type) {
      case 'code.submit':
        if (msg.code !== '123456') return reply({ type: 'error', code: 'CODE_INVALID', message: 'bad code' });
        return reply({ type: 'code.accepted', sessionId: SESSION_ID, token: TOKEN, technicianName: 'Tess', technicianEmail: 'tess@example.test', state: 'queued' });
      case 'customer.resume':
        if (msg.token !== TOKEN) return reply({ type: 'error', code: 'TOKEN_INVALID', message: 'bad token' });
        return reply({ type: 'ack' });
      case 'session.activate':
        reply({ type: 'ack' });
        this.tech?.send(JSON.stringify({ type: 'session.activated', sessionId: SESSION_ID, role: 'technician', polite: false, peerName: 'Carl', ice: ICE }));
        this.cust?.send(JSON.stringify({ type: 'session.activated', sessionId: SESSION_ID, role: 'customer', polite: true, peerName: 'Tess', ice: ICE }));
        return;
      case 'signal':
        other?.send(JSON.stringify({ type: 'signal', sessionId: SESSION_ID, data: msg.data }));
        return;
      case 'session.event':
        this.audit.push({ event: String(msg.event), detail: String(msg.detail) });
        if (msg.id) reply({ type: 'ack' });
        return;
      case 'ice.refresh':
        return reply({ type: 'ice.config', sessionId: SESSION_ID, ice: ICE });
      case 'session.end':
        reply({ type: 'ack' });
        for (const c of [this.tech, this.cust]) c?.send(JSON.stringify({ type: 'session.state', sessionId: SESSION_ID, state: 'closed', reason: 'technician_ended' }));
        return;
      default:
        reply({ type: 'error', code: 'UNKNOWN_MESSAGE_TYPE', message: 'unknown' });
    }
  }
}
