import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import wrtc from '@roamhq/wrtc';
import { expect } from 'chai';
import type { ControlMessage, PermissionMap } from '../../protocol/index.ts';
import type { PeerSession } from '../../rtc/peer-session.ts';
import { loadAdhocConfig } from '../../agent/adhoc/cli.ts';
import { openDisplay, xcall, type XConnection } from '../../agent/platform/linux-x11/display.ts';
import { spawnAgent, type AgentProcess } from '../../testkit/node-technician.ts';
import { drawRect, expectColourAt, startXvfb, type TestXvfb } from '../../testkit/xvfb.ts';
import { startHarness, technician, waitFor, type Harness, type Tech } from './helpers.ts';

const RED = 0xdd2211;
const PASSWORD = 'Lamp-Orbit-97-Quill!';

type Frame = { width: number; height: number; data: Uint8Array };

/** One technician connection, recording what the agent sent and in what order. */
interface Watched {
  peer: PeerSession | null;
  control: ControlMessage[];
  /** Each control type and 'track', in arrival order. */
  order: string[];
  track: MediaStreamTrack | null;
}

function watch(): { w: Watched; onPeer: (peer: PeerSession) => void } {
  const w: Watched = { peer: null, control: [], order: [], track: null };
  return {
    w,
    onPeer(peer) {
      w.peer = peer;
      peer.on('control', (m) => {
        w.control.push(m);
        w.order.push(m.type);
      });
      peer.on('track', ({ track }) => {
        w.order.push('track');
        if (track.kind === 'video') w.track = track;
      });
    },
  };
}

async function decodedFrames(track: MediaStreamTrack, count: number): Promise<Frame[]> {
  const sink = new wrtc.nonstandard.RTCVideoSink(track);
  const frames: Frame[] = [];
  sink.onframe = (ev: { frame: Frame }) => {
    if (frames.length < count) frames.push({ ...ev.frame, data: new Uint8Array(ev.frame.data) });
  };
  try {
    await waitFor(() => frames.length >= count, 'decoded frames', 20_000);
  } finally {
    sink.stop();
  }
  return frames;
}

describe('ad hoc agent, real process: npm run agent -- --adhoc with screen and input (Xvfb)', function () {
  this.timeout(90_000);
  let h: Harness;
  let tech: Tech;
  let xvfb: TestXvfb;
  let x: XConnection;
  let agent: AgentProcess;
  let downloads: string;
  let stateDir: string;
  let adhocId: string;

  before(async () => {
    xvfb = await startXvfb(1280, 720);
    x = await openDisplay(xvfb.display);
    drawRect(x, 100, 100, 200, 100, RED);
    h = await startHarness({});
    tech = await technician(h, 'erin@example.test', 'Erin');
    downloads = mkdtempSync(join(tmpdir(), 'rr-adhoc-dl-'));
    stateDir = join(h.dir, 'real-agent-state', 'adhoc');
    const created = await tech.api.create('user@example.test');
    adhocId = created.session.adhocId;
    const token = created.deploymentUrl.split('/adhoc/')[1]!;
    agent = spawnAgent([
      '--server', h.server.url, '--adhoc', token, '--security-code', created.securityCode, '--state-dir', stateDir,
      '--name', 'real-pc', '--display', xvfb.display, '--download-dir', downloads, '--fps', '15',
    ]);
  });

  after(async () => {
    tech?.client.close();
    await agent?.kill();
    await h?.close();
    x?.close();
    await xvfb?.stop();
    if (downloads) rmSync(downloads, { recursive: true, force: true });
  });

  const pointer = (): Promise<{ rootX: number; rootY: number }> => xcall((cb) => x.client.QueryPointer(x.root, cb));
  const permissions = (w: Watched): PermissionMap | undefined =>
    w.control.filter((m) => m.type === 'permission.state').map((m) => (m as { permissions: PermissionMap }).permissions).pop();

  it('pairs; the pairing connection gets the screen only after the password step, then capture stops on disconnect', async () => {
    await waitFor(() => tech.updates.some((u) => u.state === 'code_entered'), 'code_entered', 30_000);
    const { w, onPeer } = watch();
    const conn = await tech.client.connect(adhocId, PASSWORD, { pairing: true, onPeer });
    await waitFor(() => w.track !== null, 'video track', 20_000);
    const authAt = w.order.indexOf('auth.result');
    expect(authAt, w.order.join(',')).to.be.greaterThan(-1);
    expect(w.order.indexOf('track'), 'no track before the password step').to.be.greaterThan(authAt);
    expect(w.order.indexOf('hello'), 'no support session before the password step').to.be.greaterThan(authAt);
    await agent.waitLine(/Sharing .*1280x720/, 20_000);
    conn.close();
    await agent.waitLine(/Screen sharing stopped/, 10_000);
    expect(agent.child.exitCode, 'the agent keeps running for the next connection').to.equal(null);
  });

  it('a later connection with the password streams the X screen and injects pointer input', async () => {
    await waitFor(() => tech.updates.some((u) => u.state === 'paired' && u.online), 'paired and online');
    const { w, onPeer } = watch();
    const conn = await tech.client.connect(adhocId, PASSWORD, { onPeer });
    const peer = conn.peer;
    await waitFor(() => permissions(w) !== undefined, 'permission.state', 20_000);
    expect(permissions(w)).to.include({ view: 'granted', control: 'granted', files: 'granted', clipboard: 'not_asked' });
    expect(w.control.find((m) => m.type === 'hello')).to.deep.include({ role: 'customer', client: 'agent', name: 'real-pc' });

    await waitFor(() => w.track !== null, 'video track', 20_000);
    const frames = await decodedFrames(w.track!, 5);
    const frame = frames[frames.length - 1]!;
    expect([frame.width, frame.height]).to.deep.equal([1280, 720]);
    expectColourAt(frame, 200, 150, RED);

    peer.send('pointer', { type: 'pointer.move', x: 0.25, y: 0.25 });
    const moved = async (): Promise<boolean> => {
      const p = await pointer();
      return p.rootX === 320 && p.rootY === 180;
    };
    await pollAsync(moved, 'pointer moved to 320,180');
    peer.send('input', { type: 'pointer.button', button: 'left', down: true, x: 0.5, y: 0.5 });
    peer.send('input', { type: 'pointer.button', button: 'left', down: false, x: 0.5, y: 0.5 });
    await pollAsync(async () => (await pointer()).rootX === 640, 'pointer at the click');
    expect(await pointer()).to.deep.include({ rootX: 640, rootY: 360 });
    conn.close();
    await waitFor(() => agent.lines.filter((l) => /Screen sharing stopped/.test(l)).length >= 2, 'capture stopped again', 10_000);
  });

  it('on End the agent deletes its state directory and exits 0', async () => {
    await tech.client.end(adhocId);
    const code = await Promise.race([agent.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 15_000))]);
    expect(code, agent.lines.join('\n')).to.equal(0);
    expect(existsSync(stateDir), 'state dir removed').to.equal(false);
    expect(agent.lines.join('\n')).to.include('no longer paired');
  });
});

async function pollAsync(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('ad hoc agent command line (loadAdhocConfig)', () => {
  const token = '-AbCdEfGhIjKlMnOpQrStUvWxYz012345';
  const env = { HOME: '/home/u', DISPLAY: ':5' };
  const parse = (args: string[], withMedia = true): ReturnType<typeof loadAdhocConfig> => loadAdhocConfig(args, env, withMedia);

  it('accepts a deployment token that starts with a dash, and the display options', () => {
    const c = parse(['--server', 'http://127.0.0.1:1', '--adhoc', token, '--security-code', '123-456-789', '--fps', '10', '--capture', 'x11']);
    expect(c.deploymentToken).to.equal(token);
    expect(c.securityCode).to.equal('123456789');
    expect(c.media).to.deep.include({ fps: 10, downloadDir: '/home/u/Downloads/Relay Rescue' });
    expect(c.media?.platform).to.include({ id: 'linux-x11', display: ':5', capture: 'x11' });
  });

  const bad: [string, string[], RegExp][] = [
    ['no server', ['--adhoc-resume'], /--server URL is required/],
    ['both --adhoc and --adhoc-resume', ['--server', 'http://h', '--adhoc', token, '--adhoc-resume'], /exactly one of --adhoc/],
    ['a malformed token', ['--server', 'http://h', '--adhoc', 'short'], /--adhoc: not a valid deployment token/],
    ['a bad security code', ['--server', 'http://h', '--adhoc-resume', '--security-code', '12'], /--security-code/],
    ['a bad frame rate', ['--server', 'http://h', '--adhoc-resume', '--fps', '0'], /--fps must be/],
    ['a bad capture method', ['--server', 'http://h', '--adhoc-resume', '--capture', 'gdi'], /--capture must be/],
    ['a PIN option', ['--server', 'http://h', '--adhoc-resume', '--code', '123456'], /Unknown option '--code'/],
    ['a non-http server', ['--server', 'ftp://h', '--adhoc-resume'], /http\(s\) URL/],
  ];
  for (const [what, args, message] of bad) {
    it(`refuses ${what} with a message naming the option`, () => {
      expect(() => parse(args)).to.throw(message);
    });
  }

  it('needs an X display only when it runs a support session', () => {
    expect(() => loadAdhocConfig(['--server', 'http://h', '--adhoc-resume'], { HOME: '/h' }, true)).to.throw(/no X display/);
    expect(loadAdhocConfig(['--server', 'http://h', '--adhoc-resume'], { HOME: '/h' }, false).media).to.equal(null);
  });
});
