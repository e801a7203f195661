import { randomBytes } from 'node:crypto';
import wrtc from '@roamhq/wrtc';
import { expect } from 'chai';
import { WebSocket } from 'ws';
import type { InputMessage, PointerMessage } from '../../protocol/channels.ts';
import type { Permission } from '../../protocol/permissions.ts';
import { CustomerEngine } from '../../rtc/customer-engine.ts';
import { MemorySink, memorySource } from '../../rtc/memory-file.ts';
import { SignalingClient } from '../../rtc/signaling-client.ts';
import type { WebSocketCtor } from '../../rtc/signaling-client.ts';
import { TechnicianEngine } from '../../rtc/technician-engine.ts';
import { FakeSignaling, SESSION_ID } from './fake-signaling.ts';
import { RTCPeerConnectionNode, nextEvent, waitFor } from '../../testkit/rtc-pair.ts';

const WS = WebSocket as unknown as WebSocketCtor;

describe('rtc/customer-engine + technician-engine over signaling', function () {
  this.timeout(20_000);
  let server: FakeSignaling;
  let tech: TechnicianEngine;
  let cust: CustomerEngine;
  let sigs: SignalingClient[];
  let answers: Partial<Record<Permission, boolean>>;
  let injected: Array<InputMessage | PointerMessage>;
  let stopped: number;
  let sinks: MemorySink[];

  beforeEach(async () => {
    server = new FakeSignaling();
    await server.ready();
    const techSig = new SignalingClient({ url: server.url('technician'), role: 'technician', WebSocket: WS });
    const custSig = new SignalingClient({ url: server.url('customer'), role: 'customer', WebSocket: WS, client: 'agent' });
    sigs = [techSig, custSig];
    await Promise.all([techSig.connect(), custSig.connect()]);
    await custSig.request({ type: 'code.submit', code: '123456', client: 'agent' });
    answers = {};
    injected = [];
    stopped = 0;
    sinks = [];
    tech = new TechnicianEngine({ signaling: techSig, RTCPeerConnection: RTCPeerConnectionNode, name: 'Tess', client: 'browser', sessionId: SESSION_ID });
    cust = new CustomerEngine({
      signaling: custSig,
      RTCPeerConnection: RTCPeerConnectionNode,
      name: 'Carl',
      client: 'agent',
      capabilities: { input: true, screens: true, clipboard: true, files: true },
      ask: async (p) => answers[p] ?? false,
      video: {
        start: async () => new wrtc.nonstandard.RTCVideoSource({ isScreencast: true }).createTrack(),
        stop: (track) => {
          stopped++;
          track.stop();
        },
      },
      input: { inject: (m) => injected.push(m), releaseAll: () => undefined },
      files: {
        sinkFactory: async (offer) => {
          const s = new MemorySink(offer.size);
          sinks.push(s);
          return s;
        },
      },
    });
    const ready = Promise.all([nextEvent((h) => tech.on('ready', h)), nextEvent((h) => cust.on('ready', h))]);
    await tech.activate();
    await ready;
  });

  afterEach(async () => {
    tech.close();
    cust.close();
    sigs.forEach((s) => s.close());
    await server.close();
  });

  it('connects, exchanges hello and chat, and reports the connection path', async () => {
    await waitFor(() => tech.peerHello !== null, 5000, 'hello');
    expect(tech.peerHello!.name).to.equal('Carl');
    const got = nextEvent<{ text: string; from: string }>((h) => cust.on('chat', h));
    expect(tech.sendChat('Hi Carl')).to.equal(true);
    expect(await got).to.include({ text: 'Hi Carl', from: 'peer' });
    await waitFor(() => server.audit.some((a) => a.event === 'connection.path'), 5000, 'connection.path');
    expect(server.audit.find((a) => a.event === 'connection.path')!.detail).to.match(/^direct host\/(host|prflx) (udp|tcp)$/);
    expect(cust.log.entries().some((e) => e.kind === 'chat' && e.actor === 'technician' && e.text === 'Hi Carl')).to.equal(true);
  });

  it('a repeated session.activated after a signaling reconnect keeps the live peer connection', async () => {
    const before = cust.peer;
    server.cust?.send(
      JSON.stringify({
        type: 'session.activated',
        sessionId: SESSION_ID,
        role: 'customer',
        polite: true,
        peerName: 'Tess',
        ice: { iceServers: [], iceTransportPolicy: 'all', turnConfigured: false },
      }),
    );
    await waitFor(() => cust.log.entries().some((e) => e.text.includes('carried on')), 5000, 'reconnect log line');
    expect(cust.peer).to.equal(before);
    const got = nextEvent<{ text: string }>((h) => tech.on('chat', h));
    expect(cust.sendChat('still here')).to.equal(true);
    expect(await got).to.include({ text: 'still here' });
  });

  it('the customer back after 3 s or more away from signaling gets an ICE restart though the connection reads connected; after a short blip, none', async function () {
    this.timeout(20_000);
    await waitFor(() => tech.peer?.connectionState === 'connected', 5000, 'connected');
    const restarts: string[] = [];
    tech.peer!.on('ice.restart', (r) => restarts.push(r.reason));
    const state = (s: string, reason: string): void => server.tech?.send(JSON.stringify({ type: 'session.state', sessionId: SESSION_ID, state: s, reason }));
    state('suspended', 'customer_lost');
    state('active', 'reconnected');
    await new Promise((r) => setTimeout(r, 300));
    expect(restarts, 'a blip of no time: the connection reads connected, nothing to restart').to.deep.equal([]);
    state('suspended', 'customer_lost');
    await new Promise((r) => setTimeout(r, 3100));
    state('active', 'reconnected');
    await waitFor(() => restarts.length > 0, 5000, 'an ICE restart');
    expect(restarts).to.deep.equal(['the customer is back']);
    await waitFor(() => tech.peer?.connectionState === 'connected', 10_000, 'connected after the restart');
    const got = nextEvent<{ text: string }>((h) => cust.on('chat', h));
    expect(tech.sendChat('after the restart')).to.equal(true);
    expect(await got).to.include({ text: 'after the restart' });
  });

  it('files: refused without the grant, delivered after it, audited', async () => {
    tech.requestPermission('files');
    await waitFor(() => tech.permissions.get('files') === 'denied', 5000, 'denied');
    const refused = await tech.sendFile(memorySource('a.bin', randomBytes(10_000))).done;
    expect(!refused.ok && refused.code).to.equal('PERMISSION_REQUIRED');
    answers.files = true;
    tech.requestPermission('files');
    await waitFor(() => tech.permissions.isGranted('files'), 5000, 'granted');
    const ok = await tech.sendFile(memorySource('b.bin', randomBytes(300_000))).done;
    expect(ok.ok).to.equal(true);
    expect(sinks).to.have.length(1);
    await waitFor(() => server.audit.some((a) => a.event === 'file.received'), 5000, 'file.received');
    const events = server.audit.map((a) => a.event);
    expect(events).to.include.members(['permission.requested', 'permission.denied', 'permission.granted', 'file.received']);
  });

  it('input is dropped without control and injected with it; view adds and removes the video track', async () => {
    const move: PointerMessage = { type: 'pointer.move', x: 0.5, y: 0.5 };
    // Sent raw so the technician's own guard does not stop it: the customer must.
    tech.peer!.send('input', { type: 'key', code: 'KeyA', key: 'a', down: true });
    const dropped = await nextEvent<{ permission: string }>((h) => cust.on('dropped', h));
    expect(dropped.permission).to.equal('control');
    expect(injected).to.have.length(0);
    expect(tech.sendPointer(move)).to.equal(false);

    answers.control = true;
    answers.view = true;
    const track = nextEvent<{ track: MediaStreamTrack }>((h) => tech.on('track', h), 10_000, 'track');
    tech.requestPermission('control');
    tech.requestPermission('view');
    await waitFor(() => tech.permissions.isGranted('control') && tech.permissions.isGranted('view'), 5000, 'granted');
    expect(tech.sendInput({ type: 'key', code: 'KeyB', key: 'b', down: true })).to.equal(true);
    await waitFor(() => injected.length === 1, 5000, 'injected');
    expect(injected[0]).to.include({ type: 'key', code: 'KeyB' });
    expect((await track).track.kind).to.equal('video');

    cust.revokeAll();
    await waitFor(() => !tech.permissions.isGranted('view') && stopped === 1, 5000, 'view revoked and track stopped');
    expect(tech.permissions.get('control')).to.equal('revoked');
  });

  it('ending the session closes both sides', async () => {
    const closed = nextEvent<{ reason: string }>((h) => cust.on('closed', h));
    await tech.end('done for today');
    expect((await closed).reason).to.be.a('string');
    expect(cust.closed && tech.closed).to.equal(true);
  });
});
