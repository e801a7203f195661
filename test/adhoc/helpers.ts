import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import FakeTimers from '@sinonjs/fake-timers';
import wrtc from '@roamhq/wrtc';
import { pino } from 'pino';
import { SMTPServer } from 'smtp-server';
import { WebSocket } from 'ws';
import type { AdhocSummary } from '../../protocol/adhoc.ts';
import type { PeerSession, RTCPeerConnectionCtor } from '../../rtc/peer-session.ts';
import { loadConfig } from '../../signaling/config.ts';
import type { Clock as ServerClock } from '../../signaling/clock.ts';
import { fakeClock } from '../../testkit/server.ts';
import { startServer, type RunningServer } from '../../signaling/server.ts';
import { createAdhocPlugin, type AdhocPlugin } from '../../signaling/adhoc/index.ts';
import { AdhocAgent, type AdhocAgentOptions, type SupportSessionHandle } from '../../agent/adhoc/adhoc-agent.ts';
import { AdhocClient } from '../../web/console/adhoc/adhoc-client.ts';
import { AdhocApi } from '../../web/console/adhoc/adhoc-api.ts';

export const RTCPeerConnectionNode = (wrtc as unknown as { RTCPeerConnection: RTCPeerConnectionCtor }).RTCPeerConnection;

export type Mail = { to: string; raw: string };

/** A real SMTP server on loopback that keeps what it receives (no TLS, no auth). */
export async function startMailSink(): Promise<{ port: number; mails: Mail[]; close(): Promise<void> }> {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address).join(','), raw: Buffer.concat(chunks).toString('utf8') });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as { port: number }).port;
  return { port, mails, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Records every message on the control channel of a connection, both ways (what a man-in-the-middle of DTLS would read). */
export function tapControl(peer: PeerSession, log: string[]): void {
  const send = peer.send.bind(peer);
  peer.send = ((channel, msg) => {
    if (channel === 'control') log.push(JSON.stringify(msg));
    return send(channel, msg);
  });
  peer.on('control', (m) => log.push(JSON.stringify(m)));
}

/** Decodes quoted-printable soft breaks and =XX escapes (enough to find a link in a mail). */
export function decodeQuotedPrintable(text: string): string {
  return text.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

export interface Harness {
  server: RunningServer;
  plugin: AdhocPlugin;
  clock: FakeTimers.Clock;
  /** The same fake time in the shape the server and the agent take. */
  serverClock: ServerClock;
  dir: string;
  logLines: string[];
  close(): Promise<void>;
}

/** The real signaling server with the ad hoc plugin, a fake clock, a temp database and a captured log. */
export async function startHarness(env: Record<string, string>): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'rr-adhoc-'));
  const { clock: serverClock, fake: clock } = fakeClock();
  const logLines: string[] = [];
  const logger = pino(
    { level: 'debug' },
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        logLines.push(chunk.toString('utf8'));
        cb();
      },
    }),
  );
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dir, LOG_LEVEL: 'debug', ...env });
  const plugin = createAdhocPlugin();
  const server = await startServer(config, {
    clock: serverClock,
    logger,
    plugins: [plugin],
    webRoot: join(dir, 'web'),
    agentRoot: join(dir, 'agent'),
  });
  return {
    server,
    plugin,
    clock,
    serverClock,
    dir,
    logLines,
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Tech {
  cookie: string;
  api: AdhocApi;
  client: AdhocClient;
  updates: AdhocSummary[];
  /** How often the console's socket came back after a drop. */
  reconnects: number;
  /** Everything the console sent to the server, as text. */
  sent: string[];
}

const TECH_PASSWORD = 'technician-login-pw-1';

/** Creates a technician account, logs in over HTTP, opens the ad hoc socket. */
export async function technician(h: Harness, email: string, name: string): Promise<Tech> {
  await h.server.accounts.create({ email, name, password: TECH_PASSWORD, isAdmin: false });
  return logIn(h, email);
}

/** Logs an existing technician in over HTTP (a new console) and opens the ad hoc socket. */
export async function logIn(h: Harness, email: string): Promise<Tech> {
  const password = TECH_PASSWORD;
  const res = await fetch(`${h.server.url}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: h.server.publicUrl },
    body: JSON.stringify({ email, password }),
  });
  if (!res.ok) throw new Error(`login failed: ${res.status}`);
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
  const headers = { cookie, origin: h.server.publicUrl };
  const sent: string[] = [];
  const api = new AdhocApi(h.server.url, (url, init) => {
    if (init.body) sent.push(init.body);
    return fetch(url, { method: init.method, headers: { ...init.headers, ...headers }, ...(init.body ? { body: init.body } : {}) });
  });
  const client = new AdhocClient({
    url: `${h.server.wsUrl}/ws/adhoc/technician`,
    RTCPeerConnection: RTCPeerConnectionNode,
    WebSocket,
    headers,
    onSend: (text) => sent.push(text),
  });
  const tech: Tech = { cookie, api, client, updates: [], reconnects: 0, sent };
  client.on('update', (s) => tech.updates.push(s));
  client.on('reconnected', () => tech.reconnects++);
  await client.open();
  return tech;
}

/** A stand-in for the agent's support session: records what reaches it and sends a video track. */
export class FakeSupport implements SupportSessionHandle {
  static started: FakeSupport[] = [];
  readonly received: string[] = [];
  readonly #offs: (() => void)[] = [];
  readonly #source = new (wrtc as unknown as { nonstandard: { RTCVideoSource: new () => { createTrack(): MediaStreamTrack } } }).nonstandard.RTCVideoSource();
  readonly #track: MediaStreamTrack;

  constructor(peer: PeerSession) {
    FakeSupport.started.push(this);
    this.#offs.push(peer.on('input', (m) => this.received.push(`input:${m.type}`)));
    this.#offs.push(peer.on('pointer', (m) => this.received.push(`pointer:${m.type}`)));
    this.#offs.push(peer.on('files', (m) => this.received.push(`files:${m.type}`)));
    this.#track = this.#source.createTrack();
    peer.addTrack(this.#track);
  }

  close(): void {
    for (const off of this.#offs) off();
    this.#track.stop();
  }
}

export type AgentRun = { agent: AdhocAgent; done: Promise<Awaited<ReturnType<AdhocAgent['run']>>>; toServer: string[]; log: string[]; stateDir: string };

export function runAgent(h: Harness, opts: Partial<AdhocAgentOptions> & Pick<AdhocAgentOptions, 'askSecurityCode'>): AgentRun {
  const toServer: string[] = [];
  const log: string[] = [];
  const stateDir = opts.stateDir ?? join(h.dir, 'agent-state', 'adhoc');
  const agent = new AdhocAgent({
    serverUrl: h.server.url,
    stateDir,
    computerName: 'test-pc',
    RTCPeerConnection: RTCPeerConnectionNode,
    startSession: (peer) => new FakeSupport(peer),
    clock: h.serverClock,
    log: (l) => log.push(l),
    onServerMessage: (t) => toServer.push(t),
    ...opts,
  });
  return { agent, done: agent.run(), toServer, log, stateDir };
}

/** Polls until `predicate` holds (real time, bounded). */
export async function waitFor(predicate: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
