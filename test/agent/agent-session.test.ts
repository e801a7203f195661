import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { PermissionMap } from '../../protocol/index.ts';
import { FileTransfer } from '../../rtc/file-transfer.ts';
import { MemorySink, memorySource } from '../../rtc/memory-file.ts';
import type { PeerSession } from '../../rtc/peer-session.ts';
import { openDisplay, xcall, type XConnection, type XEvent } from '../../agent/platform/linux-x11/display.ts';
import type { RunningServer } from '../../testkit/server.ts';
import { startAgentRig, type AgentRig } from './helpers/agent-rig.ts';
import { decodedFrames, type AgentProcess, type NodeTechnician } from '../../testkit/node-technician.ts';
import { drawRect, expectColourAt } from '../../testkit/xvfb.ts';
import { sleep, until } from '../../testkit/wait.ts';

const RED = 0xdd2211;
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('agent end to end: real server, agent process, Node technician (Xvfb)', function () {
  this.timeout(60_000);
  let rig: AgentRig;
  let x: XConnection;
  let server: RunningServer;
  let tech: NodeTechnician;
  let agent: AgentProcess;
  let peer: PeerSession;
  let downloads: string;
  let outbox: string;
  const keys: number[] = [];

  before(async () => {
    rig = await startAgentRig({
      width: 1280,
      height: 720,
      args: ['--auto-grant', 'view,files', '--fps', '15', '--name', 'Test Customer'],
      prepare: async (xvfb) => {
        x = await openDisplay(xvfb.display);
        drawRect(x, 100, 100, 200, 100, RED);
        // A focused window that records key presses, as an application would.
        const win = x.client.AllocID();
        x.client.CreateWindow(win, x.root, 700, 0, 100, 100, 0, 0, 0, 0, { eventMask: 1 });
        x.client.MapWindow(win);
        await xcall((cb) => x.client.GetInputFocus(cb));
        x.client.SetInputFocus(win, 1);
        x.client.on('event', (ev: XEvent) => {
          if (ev.name === 'KeyPress' && typeof ev.keycode === 'number') keys.push(ev.keycode);
        });
      },
    });
    ({ server, tech, agent, peer, downloads } = rig);
    outbox = mkdtempSync(join(tmpdir(), 'rr-agent-out-'));
  });

  after(async () => {
    x?.close();
    await rig?.close();
    if (outbox) rmSync(outbox, { recursive: true, force: true });
  });

  const pointer = (): Promise<{ rootX: number; rootY: number }> => xcall((cb) => x.client.QueryPointer(x.root, cb));
  const lastPermissions = (): PermissionMap | undefined =>
    tech.control.filter((m) => m.type === 'permission.state').map((m) => (m as { permissions: PermissionMap }).permissions).pop();

  it('says hello as an agent with the pre-granted permissions and the screen list', async () => {
    await until(() => tech.control.some((m) => m.type === 'screens'), 'screens');
    const hello = tech.control.find((m) => m.type === 'hello');
    expect(hello).to.deep.include({ role: 'customer', client: 'agent', name: 'Test Customer' });
    expect(lastPermissions()).to.include({ view: 'granted', files: 'granted', control: 'not_asked' });
    const screens = tech.control.find((m) => m.type === 'screens') as { screens: { width: number }[] };
    expect(screens.screens[0]!.width).to.equal(1280);
  });

  it('streams the X screen: decoded frames show the red region drawn on the display', async () => {
    const frames = await decodedFrames(peer, 5);
    const frame = frames[frames.length - 1]!;
    expect([frame.width, frame.height]).to.deep.equal([1280, 720]);
    expectColourAt(frame, 200, 150, RED);
  });

  it('without the control grant, input from the technician injects nothing', async () => {
    const before = await pointer();
    const keysBefore = keys.length;
    peer.send('pointer', { type: 'pointer.move', x: 0.9, y: 0.9 });
    peer.send('input', { type: 'pointer.button', button: 'left', down: true, x: 0.8, y: 0.8 });
    peer.send('input', { type: 'pointer.button', button: 'left', down: false, x: 0.8, y: 0.8 });
    peer.send('input', { type: 'key', code: 'KeyA', key: 'a', down: true });
    peer.send('input', { type: 'key', code: 'KeyA', key: 'a', down: false });
    peer.send('input', { type: 'text', text: 'nope' });
    await sleep(500);
    expect(await pointer()).to.deep.include({ rootX: before.rootX, rootY: before.rootY });
    expect(keys.length).to.equal(keysBefore);
  });

  it('once the customer grants control, a click and typed text reach the X server', async () => {
    agent.type('/grant control');
    await until(() => lastPermissions()?.control === 'granted', 'control granted');
    peer.send('input', { type: 'pointer.button', button: 'left', down: true, x: 0.5, y: 0.5 });
    peer.send('input', { type: 'pointer.button', button: 'left', down: false, x: 0.5, y: 0.5 });
    await until(async () => (await pointer()).rootX === 640, 'pointer at the click');
    expect(await pointer()).to.deep.include({ rootX: 640, rootY: 360 });
    const keysBefore = keys.length;
    peer.send('input', { type: 'text', text: 'ok' });
    peer.send('input', { type: 'key', code: 'Enter', key: 'Enter', down: true });
    peer.send('input', { type: 'key', code: 'Enter', key: 'Enter', down: false });
    await until(() => keys.length >= keysBefore + 3, 'key presses');
  });

  it('a revocation takes effect at once: later input is dropped', async () => {
    agent.type('/revoke control');
    await until(() => lastPermissions()?.control === 'revoked', 'control revoked');
    peer.send('pointer', { type: 'pointer.move', x: 0.1, y: 0.1 });
    await sleep(400);
    expect(await pointer()).to.deep.include({ rootX: 640, rootY: 360 });
  });

  it('when the signaling socket drops, the agent resumes and the peer connection and grants carry on', async () => {
    const pcBefore = peer.pc;
    const session = server.registry.get(tech.sessionId);
    session!.customerConn!.close(1012, 'test: network blip');
    await agent.waitLine(/Connection to the server lost/);
    await agent.waitLine(/connection carried on/);
    expect(peer.pc).to.equal(pcBefore);
    expect(peer.connectionState).to.equal('connected');
    expect(lastPermissions()).to.include({ view: 'granted', files: 'granted' });
    expect(agent.lines.some((l) => /Allow\?/.test(l)), 'no new permission prompt').to.equal(false);
    peer.send('chat', { type: 'chat', msgId: crypto.randomUUID(), text: 'still there?', at: Date.now() });
    await agent.waitLine(/still there\?/);
  });

  it('when the network path changes, an ICE restart recovers the connection and asks nothing again', async () => {
    const pcBefore = peer.pc;
    const ufrag = (sdp: string | undefined): string | undefined => /a=ice-ufrag:(\S+)/.exec(sdp ?? '')?.[1];
    const ufragBefore = ufrag(peer.pc.remoteDescription?.sdp);
    const promptsBefore = agent.lines.filter((l) => /Allow\?/.test(l)).length;
    await peer.restartIce('test: path changed');
    await until(() => ufrag(peer.pc.remoteDescription?.sdp) !== ufragBefore, 'new ICE credentials from the agent');
    await until(() => peer.connectionState === 'connected', 'connected again');
    expect(peer.pc).to.equal(pcBefore);
    expect(lastPermissions()).to.include({ view: 'granted', files: 'granted' });
    expect(agent.lines.filter((l) => /Allow\?/.test(l)).length, 'no new permission prompt').to.equal(promptsBefore);
    peer.send('chat', { type: 'chat', msgId: crypto.randomUUID(), text: 'after the restart', at: Date.now() });
    await agent.waitLine(/after the restart/);
  });

  it('files cross both ways with matching SHA-256, names sanitised into the download folder', async () => {
    const sinks: MemorySink[] = [];
    const files = new FileTransfer({
      sinkFactory: async (offer) => {
        const s = new MemorySink(offer.size, offer.name);
        sinks.push(s);
        return s;
      },
    });
    files.attach(peer.filesPort());
    const inbound = randomBytes(200_000);
    const sent = await files.send(memorySource('../../evil name.txt', inbound)).done;
    expect(sent.ok, JSON.stringify(sent)).to.equal(true);
    expect(sent.ok && sent.savedAs).to.equal('evil name.txt');
    expect(sha(readFileSync(join(downloads, 'evil name.txt')))).to.equal(sha(inbound));

    const outbound = randomBytes(150_000);
    writeFileSync(join(outbox, 'report.log'), outbound);
    const received = new Promise((resolve) => files.on('finished', (r) => r.direction === 'receive' && resolve(r)));
    agent.type(`/send ${join(outbox, 'report.log')}`);
    const result = (await received) as { ok: boolean };
    expect(result.ok).to.equal(true);
    expect(sha(sinks[0]!.bytes())).to.equal(sha(outbound));
    (globalThis as { agentTestFiles?: FileTransfer }).agentTestFiles = files;
  });

  it('when the session ends mid-transfer, the agent exits and leaves no temporary files', async () => {
    const files = (globalThis as { agentTestFiles?: FileTransfer }).agentTestFiles!;
    const big = randomBytes(24 * 1024 * 1024);
    files.on('progress', () => undefined);
    void files.send(memorySource('big.bin', big));
    await until(() => readdirSync(downloads).some((n) => n.endsWith('.part')), 'a partial download');
    tech.socket.send({ type: 'session.end', id: 'end', sessionId: tech.sessionId, reason: 'done' });
    const code = await agent.exited;
    expect(code).to.equal(0);
    expect(readdirSync(downloads)).to.deep.equal(['evil name.txt']);
    files.close();
  });
});
