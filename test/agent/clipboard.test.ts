import { execFileSync, spawn } from 'node:child_process';
import { expect } from 'chai';
import type { PeerSession } from '../../rtc/peer-session.ts';
import { startAgentRig, type AgentRig } from './helpers/agent-rig.ts';
import type { AgentProcess, NodeTechnician } from '../../testkit/node-technician.ts';
import type { TestXvfb } from '../../testkit/xvfb.ts';
import { sleep, until } from '../../testkit/wait.ts';


/** The X clipboard as another application sees it. */
function readXClipboard(display: string): string {
  try {
    return execFileSync('xclip', ['-selection', 'clipboard', '-o'], { env: { ...process.env, DISPLAY: display }, timeout: 2000 }).toString();
  } catch {
    return '';
  }
}

/** Another application copies text (xclip stays as the selection owner until replaced). */
function writeXClipboard(display: string, text: string): void {
  const child = spawn('xclip', ['-selection', 'clipboard', '-i'], { env: { ...process.env, DISPLAY: display }, stdio: ['pipe', 'ignore', 'ignore'] });
  child.stdin.end(text);
}

describe('agent clipboard sync (xclip, Xvfb): only while granted', function () {
  this.timeout(60_000);
  let rig: AgentRig;
  let xvfb: TestXvfb;
  let tech: NodeTechnician;
  let agent: AgentProcess;
  let peer: PeerSession;

  before(async function () {
    try {
      execFileSync('sh', ['-c', 'command -v xclip']);
    } catch {
      throw new Error('xclip is missing: run scripts/install-system.sh');
    }
    rig = await startAgentRig({ width: 640, height: 480, args: ['--auto-grant', 'view', '--fps', '5'] });
    ({ xvfb, tech, agent, peer } = rig);
  });
  after(() => rig?.close());

  const clipboardMessages = (): string[] =>
    tech.control.filter((m) => m.type === 'clipboard').map((m) => (m as { text: string }).text);

  it('says it can sync the clipboard, but without the grant writes nothing and sends nothing', async () => {
    await until(() => tech.control.some((m) => m.type === 'hello'), 'hello');
    const hello = tech.control.find((m) => m.type === 'hello') as { capabilities: { clipboard: boolean } };
    expect(hello.capabilities.clipboard).to.equal(true);
    writeXClipboard(xvfb.display, 'secret before the grant');
    peer.send('control', { type: 'clipboard', text: 'from the technician, too early' });
    await sleep(1500);
    expect(readXClipboard(xvfb.display)).to.equal('secret before the grant');
    expect(clipboardMessages()).to.deep.equal([]);
  });

  it('once granted, text goes both ways; after a revocation neither way', async () => {
    agent.type('/grant clipboard');
    await until(() => tech.control.some((m) => m.type === 'permission.state' && (m as { permissions: { clipboard: string } }).permissions.clipboard === 'granted'), 'clipboard granted');
    peer.send('control', { type: 'clipboard', text: 'paste me: 42' });
    await until(() => readXClipboard(xvfb.display) === 'paste me: 42', 'the technician text on the X clipboard');
    writeXClipboard(xvfb.display, 'copied on the customer side');
    await until(() => clipboardMessages().includes('copied on the customer side'), 'the customer clipboard at the technician');

    agent.type('/revoke clipboard');
    await until(() => tech.control.some((m) => m.type === 'permission.state' && (m as { permissions: { clipboard: string } }).permissions.clipboard === 'revoked'), 'clipboard revoked');
    const seen = clipboardMessages().length;
    writeXClipboard(xvfb.display, 'after the revocation');
    peer.send('control', { type: 'clipboard', text: 'also too late' });
    await sleep(1500);
    expect(readXClipboard(xvfb.display)).to.equal('after the revocation');
    expect(clipboardMessages().length).to.equal(seen);
  });
});
