/**
 * The floor of the signaling load bench: the product's exchange (the same
 * messages in and out per pair, 13 and 17, of about the same sizes) on the
 * product's stack, Node's http server and ws, with no logic at all: no
 * accounts (any login gets a cookie, never checked), no origin or rate
 * checks, no audit, no storage, no timers. What the stack itself costs per
 * pair, so the product's figure can be read against it as well as against
 * PeerJS. Writes are held to one per socket per turn, as the product does.
 * Prints {"ready":{port, pid, origin, technicians}} like signaling-server.ts.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { gcOnSignal } from './gc-on-signal.ts';

interface FloorSession {
  tech: WebSocket;
  customer: WebSocket | null;
}

const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
const sessions = new Map<string, FloorSession>();
const byCode = new Map<string, string>();

// One write per socket per turn (the product's holdWritesForThisTurn).
const corked = new Set<Socket>();
const uncorkAll = (): void => {
  for (const socket of corked) socket.uncork();
  corked.clear();
};
const send = (ws: WebSocket, text: string): void => {
  const socket = (ws as unknown as { _socket: Socket })._socket;
  if (!corked.has(socket)) {
    if (corked.size === 0) setImmediate(uncorkAll);
    socket.cork();
    corked.add(socket);
  }
  ws.send(text);
};

const server = createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/api/login') {
    req.resume();
    req.on('end', () => {
      res.setHeader('set-cookie', 'rr_session=floor; HttpOnly; Path=/');
      res.setHeader('content-type', 'application/json');
      res.end('{"ok":true}');
    });
    return;
  }
  res.statusCode = 404;
  res.end();
});

server.on('upgrade', (req, socket, head) => {
  const technician = req.url === '/ws/technician';
  wss.handleUpgrade(req, socket, head, (ws) => {
    send(ws, JSON.stringify({ type: 'welcome', role: technician ? 'technician' : 'customer', heartbeatMs: 25_000, reconnectGraceSeconds: 30, serverVersion: 'floor' }));
    ws.on('message', (data: Buffer) => {
      const text = data.toString();
      let m: { type?: string; id?: string; sessionId?: string; code?: string };
      try {
        m = JSON.parse(text) as typeof m;
      } catch {
        return;
      }
      if (m.type === 'signal') {
        const session = sessions.get(m.sessionId ?? '');
        const peer = technician ? session?.customer : session?.tech;
        if (peer) send(peer, text);
        return;
      }
      if (technician && m.type === 'session.create') {
        const sessionId = randomBytes(16).toString('base64url');
        const code = String(100_000 + Math.floor(Math.random() * 900_000));
        sessions.set(sessionId, { tech: ws, customer: null });
        byCode.set(code, sessionId);
        const summary = { sessionId, code, state: 'pending', createdAt: Date.now(), customer: null, forceRelay: false };
        send(ws, JSON.stringify({ type: 'session.created', ref: m.id, session: summary }));
        return;
      }
      if (!technician && m.type === 'code.submit') {
        const sessionId = byCode.get(m.code ?? '');
        const session = sessionId === undefined ? undefined : sessions.get(sessionId);
        if (!session || sessionId === undefined) return;
        byCode.delete(m.code ?? '');
        session.customer = ws;
        const technicianView = { name: 'Bench Technician', email: 'bench@example.test' };
        send(ws, JSON.stringify({ type: 'code.accepted', ref: m.id, sessionId, token: randomBytes(24).toString('base64url'), technician: technicianView }));
        const entry = { sessionId, state: 'waiting', customer: { client: 'agent', name: null, joinedAt: Date.now() } };
        send(session.tech, JSON.stringify({ type: 'session.state', sessionId, state: 'waiting', session: entry }));
        return;
      }
      if (technician && m.type === 'session.activate') {
        const session = sessions.get(m.sessionId ?? '');
        if (!session?.customer) return;
        send(ws, JSON.stringify({ type: 'session.activated', ref: m.id, sessionId: m.sessionId, iceServers: [] }));
        send(session.customer, JSON.stringify({ type: 'session.activated', sessionId: m.sessionId, iceServers: [], technician: { name: 'Bench Technician' } }));
        send(session.customer, JSON.stringify({ type: 'session.state', sessionId: m.sessionId, state: 'active' }));
      }
    });
  });
});

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const count = Number(process.env.BENCH_TECHNICIANS ?? '10');
  const technicians = Array.from({ length: count }, (_, i) => ({ email: `bench${i}@example.test`, password: 'unchecked' }));
  console.log(JSON.stringify({ ready: { port, pid: process.pid, origin: `http://127.0.0.1:${port}`, technicians } }));
});
gcOnSignal();
process.on('SIGTERM', () => process.exit(0));
