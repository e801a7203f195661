/**
 * Helpers to run the real signaling server in tests and talk to it with real
 * `ws` clients. Everything listens on 127.0.0.1 port 0.
 *
 *   const server = await startTestServer();                  // :memory: database
 *   await createTechnician(server, { email: 'a@x.test', password: 'password-123', name: 'Ann' });
 *   const cookie = await loginCookie(server, 'a@x.test', 'password-123');
 *   const tech = await openTechnicianSocket(server, cookie);
 *   await tech.next('welcome');             // then an unsolicited session.list
 *   tech.send({ type: 'session.create', id: 'c1' });
 *   const { session } = await tech.next('session.created');
 *   const customer = await openCustomerSocket(server);
 *   customer.send({ type: 'code.submit', id: 's1', code: session.code, client: 'agent' });
 *   await customer.next('code.accepted');
 *   ...
 *   await server.close();
 *
 * Or `activeSession(server)` for the whole set-up up to `session.activated`.
 */
import http from 'node:http';
import FakeTimers from '@sinonjs/fake-timers';
import { WebSocket } from 'ws';
import type { ServerMessage } from '../protocol/index.ts';
import type { Account } from '../signaling/accounts.ts';
import type { Clock } from '../signaling/clock.ts';
import { loadConfig } from '../signaling/config.ts';
import { createAdhocPlugin } from '../signaling/adhoc/index.ts';
import { startServer, type RunningServer, type StartOptions } from '../signaling/server.ts';
import type { Db } from '../signaling/db.ts';
import type { SqliteStore } from '../signaling/store/sqlite-store.ts';

export type { RunningServer };

/** The server message of one `type`. */
export type MessageOf<T extends ServerMessage['type']> = Extract<ServerMessage, { type: T }>;

/**
 * A fake clock for the server's timers only (code expiry, grace periods,
 * heartbeats, rate limits); the process's own timers and sockets stay real.
 * Pass `clock` to startTestServer's options and move time with `fake.tick(ms)`.
 */
export function fakeClock(start = Date.now()): { clock: Clock; fake: FakeTimers.Clock } {
  const fake = FakeTimers.createClock(start);
  const clock: Clock = {
    now: () => fake.now,
    setTimeout: (callback, ms) => fake.setTimeout(callback, ms),
    clearTimeout: (handle) => fake.clearTimeout(handle as FakeTimers.TimerId),
    setInterval: (callback, ms) => fake.setInterval(callback, ms),
    clearInterval: (handle) => fake.clearInterval(handle as FakeTimers.TimerId),
  };
  return { clock, fake };
}

/**
 * Starts the real server on 127.0.0.1:0 with a :memory: database and silent
 * logs. `env` overrides configuration variables as the environment would
 * (e.g. `{ CODE_TTL_SECONDS: '60', DATA_DIR: tmp }` — set DATABASE_PATH to a
 * file to keep data across restarts). `opts` reaches startServer (clock,
 * plugins). Like `npm start` (signaling/main.ts) it has ad hoc support unless
 * `plugins` says otherwise (`plugins: []` leaves it out).
 */
export async function startTestServer(env: Record<string, string> = {}, opts: StartOptions = {}): Promise<RunningServer> {
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', DATABASE_PATH: ':memory:', LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent', ...env });
  return startServer(config, { plugins: [createAdhocPlugin()], ...opts });
}

/** Creates an account directly in the server's database. */
/** The SQLite database of a server on the default store, for tests that change it as another process would. */
export function sqliteOf(server: RunningServer): Db {
  if (server.store.kind !== 'sqlite') throw new Error('this server does not run on SQLite');
  return (server.store as SqliteStore).db;
}

export async function createTechnician(
  server: RunningServer,
  input: { email: string; password: string; name: string; admin?: boolean },
): Promise<Account> {
  return server.accounts.create({ email: input.email, name: input.name, password: input.password, isAdmin: input.admin ?? false });
}

/** Logs in over HTTP and returns the Cookie header value (`rr_session=...`). Throws with the error code on failure. */
export async function loginCookie(server: RunningServer, email: string, password: string): Promise<string> {
  const res = await fetch(`${server.url}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { error?: { code?: string } };
    throw new Error(`login failed: ${res.status} ${body.error?.code ?? ''}`);
  }
  const cookie = res.headers.getSetCookie().find((line) => line.startsWith('rr_session='));
  if (!cookie) throw new Error('login gave no rr_session cookie');
  return cookie.split(';')[0] ?? '';
}

/** An HTTP answer as a test sees it: status, parsed JSON body (or null) and the headers. */
export interface JsonAnswer {
  status: number;
  body: Record<string, unknown> | null;
  /** The catalogue code of an `{error:{code}}` body. */
  code: string | undefined;
  headers: http.IncomingHttpHeaders;
}

/**
 * Sends a JSON request with node:http, so the test can pick the source
 * address (`localAddress`, any 127.0.0.x) and headers such as X-Forwarded-For
 * (as a proxy in front of the server would). A new connection per request.
 */
export function requestJson(
  server: RunningServer,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  options: SourceOptions & { headers?: Record<string, string> } = {},
): Promise<JsonAnswer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      `${server.url}${path}`,
      {
        method,
        agent: false,
        ...(options.localAddress ? { localAddress: options.localAddress } : {}),
        headers: { ...(payload === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          let parsed: Record<string, unknown> | null = null;
          try {
            parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
          } catch {
            parsed = null;
          }
          const error = parsed?.error as { code?: unknown } | undefined;
          resolve({ status: res.statusCode ?? 0, body: parsed, code: typeof error?.code === 'string' ? error.code : undefined, headers: res.headers });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** A test WebSocket client with a promise-based message waiter. */
export class TestSocket {
  /** Every parsed message received so far, in order. */
  readonly received: ServerMessage[] = [];
  /** Resolves when the socket closes. */
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly unread: ServerMessage[] = [];
  private waiters: { type: string; resolve: (message: ServerMessage) => void }[] = [];

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const text = Array.isArray(data) ? Buffer.concat(data).toString() : Buffer.from(data as ArrayBuffer).toString();
      const message = JSON.parse(text) as ServerMessage;
      this.received.push(message);
      const index = this.waiters.findIndex((waiter) => waiter.type === message.type);
      const waiter = this.waiters[index];
      if (waiter) {
        this.waiters.splice(index, 1);
        waiter.resolve(message);
      } else {
        this.unread.push(message);
      }
    });
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  /** The next unread message of `type` (earlier unread ones of other types stay queued). Rejects after `timeoutMs`. */
  next<T extends ServerMessage['type']>(type: T, timeoutMs = 5000): Promise<MessageOf<T>> {
    const index = this.unread.findIndex((message) => message.type === type);
    const queued = this.unread[index];
    if (queued) {
      this.unread.splice(index, 1);
      return Promise.resolve(queued as MessageOf<T>);
    }
    return new Promise((resolve, reject) => {
      const fail = (why: string): void => {
        this.waiters = this.waiters.filter((other) => other !== waiter);
        reject(new Error(`${why} (waiting for ${type}); received: ${this.received.map((m) => m.type).join(', ')}`));
      };
      const timer = setTimeout(() => fail(`nothing within ${timeoutMs} ms`), timeoutMs);
      const waiter = {
        type,
        resolve: (message: ServerMessage) => {
          clearTimeout(timer);
          resolve(message as MessageOf<T>);
        },
      };
      this.waiters.push(waiter);
      // Messages that arrived with the close are delivered first.
      void this.closed.then(() =>
        setImmediate(() => {
          if (!this.waiters.includes(waiter)) return;
          clearTimeout(timer);
          fail('socket closed');
        }),
      );
    });
  }

  /** Unread messages (not yet taken by `next`). */
  pending(): readonly ServerMessage[] {
    return this.unread;
  }

  send(message: unknown): void {
    this.ws.send(JSON.stringify(message));
  }

  sendRaw(data: string | Buffer): void {
    this.ws.send(data);
  }

  close(): void {
    this.ws.close();
  }

  /** Drops the TCP connection without a close handshake (a lost network). */
  drop(): void {
    this.ws.terminate();
  }
}

/** Where a test client connects from: another loopback address (127.0.0.0/8 is all routed to lo). */
export interface SourceOptions {
  localAddress?: string;
}

/** Opens a TestSocket on any WebSocket URL (a plugin's path, a server in another process) and waits for it to be open. */
export async function openTestSocket(url: string, headers: Record<string, string>, options: { autoPong?: boolean } & SourceOptions = {}): Promise<TestSocket> {
  const ws = new WebSocket(url, { headers, autoPong: options.autoPong ?? true, ...(options.localAddress ? { localAddress: options.localAddress } : {}) });
  const socket = new TestSocket(ws);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return socket;
}

/** Opens /ws/technician with the cookie and the server's own Origin (override with `origin`; null sends none). */
export function openTechnicianSocket(
  server: RunningServer,
  cookie: string,
  options: { origin?: string | null; autoPong?: boolean } & SourceOptions = {},
): Promise<TestSocket> {
  const headers: Record<string, string> = { cookie };
  const origin = options.origin === undefined ? server.publicUrl : options.origin;
  if (origin !== null) headers.origin = origin;
  return openTestSocket(`${server.wsUrl}/ws/technician`, headers, options);
}

/** Opens /ws/customer (no cookie, no Origin, like the agent). */
export function openCustomerSocket(server: RunningServer, options: { autoPong?: boolean } & SourceOptions = {}): Promise<TestSocket> {
  return openTestSocket(`${server.wsUrl}/ws/customer`, {}, options);
}

let counter = 0;

/**
 * Everything up to an active session: a new technician (logged in, socket
 * open), a session, a customer that entered the code, and activation. Every
 * message of the set-up has been consumed (`next` waits for what follows).
 */
export async function activeSession(
  server: RunningServer,
  options: { client?: 'browser' | 'agent'; forceRelay?: boolean } = {},
): Promise<{
  technician: TestSocket;
  customer: TestSocket;
  sessionId: string;
  token: string;
  cookie: string;
  account: Account;
  techActivated: MessageOf<'session.activated'>;
  customerActivated: MessageOf<'session.activated'>;
}> {
  counter++;
  const email = `tech${counter}-${Date.now()}@example.test`;
  const password = 'correct-horse-battery';
  const account = await createTechnician(server, { email, password, name: `Tech ${counter}` });
  const cookie = await loginCookie(server, email, password);
  const technician = await openTechnicianSocket(server, cookie);
  await technician.next('welcome');
  await technician.next('session.list'); // the initial (empty) queue
  technician.send({ type: 'session.create', id: 'create', ...(options.forceRelay === undefined ? {} : { forceRelay: options.forceRelay }) });
  const { session } = await technician.next('session.created');
  const customer = await openCustomerSocket(server);
  customer.send({ type: 'code.submit', id: 'submit', code: session.code, client: options.client ?? 'agent' });
  const accepted = await customer.next('code.accepted');
  await technician.next('session.state');
  technician.send({ type: 'session.activate', id: 'activate', sessionId: session.sessionId });
  const techActivated = await technician.next('session.activated');
  const customerActivated = await customer.next('session.activated');
  await customer.next('session.state'); // active, activated
  return { technician, customer, sessionId: session.sessionId, token: accepted.token, cookie, account, techActivated, customerActivated };
}
