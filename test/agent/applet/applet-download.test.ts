import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect } from 'chai';
import type { PeerSession } from '../../../rtc/peer-session.ts';
import { openDisplay, type XConnection } from '../../../agent/platform/linux-x11/display.ts';
import { buildApplet, type BuiltApplet } from '../../../scripts/build-applet.ts';
import { startTestServer, type RunningServer } from '../../../testkit/server.ts';
import { until } from '../../../testkit/wait.ts';
import { rawGet, tryWebSocket } from '../applet-window/helpers.ts';
import { createNodeTechnician, decodedFrames, spawnAgent, type AgentProcess, type NodeTechnician } from '../../../testkit/node-technician.ts';
import { drawRect, expectColourAt, startXvfb, type TestXvfb } from '../../../testkit/xvfb.ts';

const GREEN = 0x22aa44;
const NAME = 'relay-rescue-support-linux-x64';

/**
 * The single-file applet as a customer gets it: `npm run build`'s executable
 * (rebuilt here only when its inputs changed), downloaded from a real
 * server's /download/linux with the session token into an empty folder, made
 * executable and run with no arguments but --no-open, under Xvfb, with HOME
 * and TMPDIR of its own so everything it writes can be seen.
 */
describe('the single-file Linux applet, downloaded and run as a customer would (Xvfb)', function () {
  this.timeout(240_000);
  let built: BuiltApplet;
  let xvfb: TestXvfb;
  let x: XConnection;
  let server: RunningServer;
  let tech: NodeTechnician;
  let applet: AgentProcess;
  let peer: PeerSession;
  let folder: string;
  let home: string;
  let temp: string;

  before(async () => {
    built = await buildApplet({ log: (line) => process.stderr.write(`${line}\n`) });
    xvfb = await startXvfb(1280, 720);
    x = await openDisplay(xvfb.display);
    drawRect(x, 300, 200, 200, 100, GREEN);
    // The grace after an HTTP code entry must outlast the download and start on a loaded machine.
    server = await startTestServer({ RECONNECT_GRACE_SECONDS: '120' }, { agentRoot: dirname(built.file) });
    tech = await createNodeTechnician(server);
    folder = mkdtempSync(join(tmpdir(), 'rr-applet-downloads-'));
    home = mkdtempSync(join(tmpdir(), 'rr-applet-home-'));
    temp = mkdtempSync(join(tmpdir(), 'rr-applet-tmp-'));
  });

  after(async () => {
    tech?.close();
    await applet?.kill();
    await server?.close();
    x?.close();
    await xvfb?.stop();
    for (const dir of [folder, home, temp]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the support page’s download carries the session: the applet joins with no arguments', async () => {
    // What the support page does: the customer types the code, the page gets the token and links the download.
    const entered = await fetch(`${server.url}/api/code`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: tech.code }) });
    const { token } = (await entered.json()) as { token: string };
    const res = await fetch(`${server.url}/download/linux?token=${token}`);
    expect(res.status).to.equal(200);
    const file = join(folder, NAME);
    writeFileSync(file, Buffer.from(await res.arrayBuffer()));
    chmodSync(file, 0o755);
    expect(statSync(file).size).to.be.greaterThan(built.bytes);
    applet = spawnAgent(['--no-open', '--auto-grant', 'view', '--fps', '15'], { HOME: home, TMPDIR: temp, DISPLAY: xvfb.display, USER: 'customer' }, { command: file, cwd: folder });
    await applet.waitLine(/Connected to session/, 60_000);
    peer = await tech.activate();
    await until(() => tech.control.some((m) => m.type === 'hello'), 'the agent\'s hello', 15_000);
    expect(tech.control.find((m) => m.type === 'hello')).to.deep.include({ role: 'customer', client: 'agent', name: 'customer' });
  });

  it('loaded its native addons (WebRTC, damage-driven capture) from a private folder that is already gone', async () => {
    expect(await applet.waitLine(/capture /)).to.match(/capture x11-damage-shm,/);
    expect(readdirSync(temp)).to.deep.equal([]);
  });

  it('prints its support window, which serves the page from the executable and knows the technician', async () => {
    const line = await applet.waitLine(/^Support window: /);
    const url = new URL(line.slice('Support window: '.length));
    expect(url.hostname).to.equal('127.0.0.1');
    const port = Number(url.port);
    const page = await rawGet(port, url.pathname, { host: url.host });
    expect(page.status).to.equal(200);
    expect(page.body).to.include('<script type="module" src="window.js">');
    expect((await rawGet(port, '/', { host: url.host })).status).to.equal(403);
    const { client } = await tryWebSocket(port, `${url.pathname}ws`, { host: url.host, origin: url.origin });
    const snapshot = await client!.next('window.snapshot');
    expect(snapshot.technician?.name).to.match(/^Agent Tech \d+$/);
    client!.ws.close();
  });

  it('streams the X screen through the bundled WebRTC addon', async () => {
    const frames = await decodedFrames(peer, 5, 30_000);
    expectColourAt(frames[frames.length - 1]!, 400, 250, GREEN);
  });

  it('at the end of the session it exits 0 and removes itself: the folder, TMPDIR and HOME hold nothing it created', async () => {
    tech.socket.send({ type: 'session.end', id: 'end', sessionId: tech.sessionId });
    expect(await applet.exited).to.equal(0);
    expect(readdirSync(folder)).to.deep.equal([]);
    expect(readdirSync(temp)).to.deep.equal([]);
    expect(readdirSync(home)).to.deep.equal([]);
  });
});
