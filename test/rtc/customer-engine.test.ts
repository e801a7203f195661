import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import wrtc from '@roamhq/wrtc';
import { expect } from 'chai';
import { WebSocket } from 'ws';
import type { Permission } from '../../protocol/index.ts';
import { REPORTABLE_AUDIT_EVENTS } from '../../protocol/signaling.ts';
import type { CustomerEngine } from '../../rtc/customer-engine.ts';
import { memorySource } from '../../rtc/memory-file.ts';
import { SignalingClient, type WebSocketCtor } from '../../rtc/signaling-client.ts';
import { TechnicianEngine } from '../../rtc/technician-engine.ts';
import { Cleanup } from '../../agent/cleanup.ts';
import { diskSinkFactory } from '../../agent/files/disk-sink.ts';
import { nodeHasher } from '../../agent/files/node-hasher.ts';
import { AgentSession } from '../../agent/session.ts';
import { BrowserCustomer } from '../../web/customer/browser-customer.ts';
import { createTechnician, loginCookie, startTestServer, type RunningServer } from '../../testkit/server.ts';
import { RTCPeerConnectionNode, nextEvent, waitFor } from '../../testkit/rtc-pair.ts';
import { FakeCapturer, recordingInjector } from '../../testkit/fake-agent.ts';

const WS = WebSocket as unknown as WebSocketCtor;
const FILE_BYTES = 4 * 1024 * 1024;

/** One customer end under test: the engine, and how the customer answers a prompt. */
interface Customer {
  engine: CustomerEngine;
  /** Files the customer kept (names), after the session. */
  kept(): string[];
  close(): void;
}

type Answers = Partial<Record<Permission, boolean>>;

/** The browser adapter with a fake share picker; the page answers through `answer()` as its buttons do. */
function browserCustomer(signaling: SignalingClient, answers: Answers): Customer {
  const source = new wrtc.nonstandard.RTCVideoSource({ isScreencast: true });
  const customer = new BrowserCustomer({
    signaling,
    RTCPeerConnection: RTCPeerConnectionNode,
    getDisplayMedia: async () => new wrtc.MediaStream([source.createTrack()]),
  });
  customer.engine.on('permission', (c) => {
    if (c.to === 'asked' && c.reason === 'requested') void customer.engine.answer(c.permission, answers[c.permission] ?? false);
  });
  return { engine: customer.engine, kept: () => [...customer.blobs.keys()], close: () => customer.engine.close() };
}

/** The agent adapter on a fake platform (screen, input), downloads into a temporary folder; its prompt answers from `answers`. */
function agentCustomer(signaling: SignalingClient, answers: Answers, downloads: string): Customer {
  const cleanup = new Cleanup();
  const capturer = new FakeCapturer();
  const session = new AgentSession({
    signaling,
    RTCPeerConnection: RTCPeerConnectionNode,
    name: 'Agent Customer',
    capturer,
    injector: recordingInjector(),
    clipboard: null,
    files: { sinkFactory: diskSinkFactory(downloads, cleanup), hasher: nodeHasher },
    ask: async (permission) => answers[permission] ?? false,
    preGranted: [],
    fps: 10,
  });
  void session.init();
  return {
    engine: session.engine,
    kept: () => readdirSync(downloads),
    close: () => {
      session.engine.close();
      void capturer.stop();
      cleanup.runNow();
    },
  };
}

type Row = { actor: string; event: string; detail: string };

/**
 * The scenario both adapters go through, against the real server and a real
 * technician engine: view and files granted on request, a file cut off by
 * revoking files mid-transfer, chat both ways, the end. Returns the audit rows
 * the engines reported.
 */
async function runScenario(
  server: RunningServer,
  cookie: string,
  kind: 'browser' | 'agent',
  makeCustomer: (signaling: SignalingClient, answers: Answers) => Customer,
): Promise<{ rows: Row[]; kept: string[] }> {
  const techSig = new SignalingClient({ url: `${server.wsUrl}/ws/technician`, role: 'technician', WebSocket: WS, headers: { cookie, origin: server.publicUrl } });
  await techSig.connect();
  const created = await techSig.request({ type: 'session.create' });
  if (created.type !== 'session.created') throw new Error(created.type);
  const { sessionId, code } = created.session;
  const custSig = new SignalingClient({ url: `${server.wsUrl}/ws/customer`, role: 'customer', WebSocket: WS, client: kind });
  await custSig.connect();
  await custSig.request({ type: 'code.submit', code: code!, client: kind });
  const answers: Answers = { view: true, files: true };
  const customer = makeCustomer(custSig, answers);
  const tech = new TechnicianEngine({ signaling: techSig, RTCPeerConnection: RTCPeerConnectionNode, name: 'Tess', client: 'browser', sessionId });
  try {
    const ready = Promise.all([nextEvent((h) => tech.on('ready', h), 15_000, 'technician ready'), nextEvent((h) => customer.engine.on('ready', h), 15_000, 'customer ready')]);
    await tech.activate();
    await ready;

    // View: asked, granted, the screen arrives.
    const track = nextEvent<{ track: MediaStreamTrack }>((h) => tech.on('track', h), 15_000, 'the customer screen');
    tech.requestPermission('view');
    expect((await track).track.kind).to.equal('video');
    await waitFor(() => tech.permissions.isGranted('view'), 5000, 'view granted');

    // Files: granted, then revoked while a file is on its way.
    tech.requestPermission('files');
    await waitFor(() => tech.permissions.isGranted('files'), 5000, 'files granted');
    customer.engine.files.once('progress', () => customer.engine.revoke('files'));
    const bytes = new Uint8Array(FILE_BYTES).map((_, i) => (i * 7) & 0xff);
    const result = await tech.sendFile(memorySource('big.bin', bytes)).done;
    expect(result.ok).to.equal(false);
    expect(!result.ok && result.code).to.equal('CANCELLED');
    await waitFor(() => tech.permissions.get('files') === 'revoked', 5000, 'files revoked');

    // Chat both ways.
    const toCustomer = nextEvent<{ text: string }>((h) => customer.engine.on('chat', h), 5000, 'chat at the customer');
    expect(tech.sendChat('Hello from the technician')).to.equal(true);
    expect((await toCustomer).text).to.equal('Hello from the technician');
    const toTech = nextEvent<{ text: string }>((h) => tech.on('chat', h), 5000, 'chat at the technician');
    expect(customer.engine.sendChat('Hi, thanks')).to.equal(true);
    expect((await toTech).text).to.equal('Hi, thanks');

    const reported = async (): Promise<Row[]> =>
      (await server.audit.events(sessionId))
        .filter((e) => (REPORTABLE_AUDIT_EVENTS as readonly string[]).includes(e.event))
        .map((e) => ({ actor: e.actor.kind, event: e.event, detail: e.event === 'connection.path' ? e.detail.split(' ')[0]! : e.detail }));
    await waitFor(async () => (await reported()).filter((r) => r.event === 'file.failed').length === 2, 5000, 'both file.failed rows');
    const closed = nextEvent((h) => customer.engine.on('closed', h), 5000, 'the customer engine closed');
    await tech.end('done');
    await closed;
    return { rows: await reported(), kept: customer.kept() };
  } finally {
    tech.close();
    customer.close();
    techSig.close();
    custSig.close();
  }
}

describe('rtc/customer-engine: the same scenario through the browser adapter and the agent adapter', function () {
  this.timeout(60_000);
  let server: RunningServer;
  let cookie: string;
  let downloads: string;
  const results: Partial<Record<'browser' | 'agent', { rows: Row[]; kept: string[] }>> = {};

  before(async () => {
    server = await startTestServer({}, { plugins: [] });
    await createTechnician(server, { email: 'parity@example.test', password: 'correct-horse-battery', name: 'Tess' });
    cookie = await loginCookie(server, 'parity@example.test', 'correct-horse-battery');
    downloads = mkdtempSync(join(tmpdir(), 'rr-parity-'));
  });
  after(async () => {
    await server?.close();
    if (downloads) rmSync(downloads, { recursive: true, force: true });
  });

  const expected: Row[] = [
    { actor: 'customer', event: 'permission.requested', detail: 'view' },
    { actor: 'customer', event: 'permission.granted', detail: 'view' },
    { actor: 'technician', event: 'connection.path', detail: 'direct' },
    { actor: 'customer', event: 'permission.requested', detail: 'files' },
    { actor: 'customer', event: 'permission.granted', detail: 'files' },
    { actor: 'customer', event: 'permission.revoked', detail: 'files' },
    { actor: 'customer', event: 'file.failed', detail: `receive big.bin (${FILE_BYTES} bytes): CANCELLED file transfer permission withdrawn` },
    { actor: 'technician', event: 'file.failed', detail: `send big.bin (${FILE_BYTES} bytes): CANCELLED cancelled by the receiver: file transfer permission withdrawn` },
  ];
  const byActor = (rows: Row[], actor: string): Row[] => rows.filter((r) => r.actor === actor);

  it('browser adapter: the audit rows are the expected ones, and nothing of the cut-off file is kept', async () => {
    results.browser = await runScenario(server, cookie, 'browser', (sig, answers) => browserCustomer(sig, answers));
    // Rows of one side keep their order; the two sides' rows interleave as their sockets deliver them.
    for (const actor of ['customer', 'technician']) expect(byActor(results.browser.rows, actor)).to.deep.equal(byActor(expected, actor));
    expect(results.browser.rows).to.have.length(expected.length);
    expect(results.browser.kept).to.deep.equal([]);
  });

  it('agent adapter: the same audit rows, and no partial file left in the download folder', async () => {
    results.agent = await runScenario(server, cookie, 'agent', (sig, answers) => agentCustomer(sig, answers, downloads));
    for (const actor of ['customer', 'technician']) expect(byActor(results.agent.rows, actor)).to.deep.equal(byActor(expected, actor));
    expect(results.agent.rows).to.have.length(expected.length);
    expect(results.agent.kept).to.deep.equal([]);
  });

  it('both adapters wrote the same rows', () => {
    const sorted = (rows: Row[]): string[] => rows.map((r) => JSON.stringify(r)).sort();
    expect(results.browser && results.agent, 'both runs finished').to.not.equal(undefined);
    expect(sorted(results.agent!.rows)).to.deep.equal(sorted(results.browser!.rows));
  });
});
