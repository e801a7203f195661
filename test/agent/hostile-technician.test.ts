import { expect } from 'chai';
import { PERMISSION_LABELS, type Permission, type PermissionMap } from '../../protocol/index.ts';
import { FileTransfer } from '../../rtc/file-transfer.ts';
import { memorySource } from '../../rtc/memory-file.ts';
import type { PeerSession } from '../../rtc/peer-session.ts';
import { sleep, until } from '../../testkit/wait.ts';
import { TERMINAL_ATTACKS, TERMINAL_UNSAFE } from './fixtures/terminal-attacks.ts';
import { startAgentRig, type AgentRig } from './helpers/agent-rig.ts';
import type { AgentProcess, NodeTechnician } from '../../testkit/node-technician.ts';

/** How long a question must be on the agent's screen before a bare "y" counts (agent/terminal/permission-prompts.ts). */
const SETTLE_MS = 1000;

/**
 * Reads the agent's transcript from line `from`: every "<label>: granted" line
 * must follow a question for that very permission, with no other question
 * shown in between (the customer saw it asked last). Returns the grants.
 */
function grantsAfterTheirQuestion(lines: readonly string[], from: number): Permission[] {
  const byLabel = new Map(Object.entries(PERMISSION_LABELS).map(([p, label]) => [label, p as Permission]));
  let shown: Permission | null = null;
  const grants: Permission[] = [];
  for (const line of lines.slice(from)) {
    shown = askedIn(line) ?? shown;
    const grant = /^\d\d:\d\d:\d\d · (.+): granted$/.exec(line);
    if (!grant) continue;
    const permission = byLabel.get(grant[1]!)!;
    expect(permission, `granted ${permission} while the question on screen was ${shown}:\n${lines.slice(from).join('\n')}`).to.equal(shown);
    grants.push(permission);
  }
  return grants;
}

/** The permission a question line asks for (by its label), or null for any other line. */
function askedIn(line: string): Permission | null {
  if (!line.startsWith('? ')) return null;
  return (Object.keys(PERMISSION_LABELS) as Permission[]).find((p) => line.includes(PERMISSION_LABELS[p])) ?? null;
}

/**
 * A hostile technician's console against a real agent (real server, Xvfb,
 * @roamhq/wrtc): what it sends on the data channels must not take over the
 * customer's terminal, pass for another name, or turn an answer into a grant
 * the customer did not see asked.
 */
describe('agent against a hostile technician (real server, agent process, Xvfb)', function () {
  this.timeout(60_000);
  let rig: AgentRig;
  let tech: NodeTechnician;
  let agent: AgentProcess;
  let peer: PeerSession;

  before(async () => {
    // No --auto-grant: every permission is asked.
    rig = await startAgentRig({ width: 640, height: 480, args: ['--fps', '5', '--capture', 'x11'] });
    ({ tech, agent, peer } = rig);
  });
  after(() => rig?.close());

  const states = (): PermissionMap | undefined =>
    tech.control.filter((m) => m.type === 'permission.state').map((m) => (m as { permissions: PermissionMap }).permissions).pop();
  const request = (permission: Permission): boolean => peer.send('control', { type: 'permission.request', permission });
  const questions = (): string[] => agent.lines.filter((l) => l.startsWith('? '));
  const chat = (text: string): boolean => peer.send('chat', { type: 'chat', msgId: crypto.randomUUID(), text, at: Date.now() });

  it('a fake name in hello ("Microsoft Support") is never shown: the agent names the technician as the server verified them', async () => {
    const verified = `${tech.name} (${tech.email})`;
    expect(agent.lines.find((l) => l.startsWith('Connected to session'))).to.include(verified);
    peer.send('control', {
      type: 'hello', role: 'technician', client: 'browser', name: 'Microsoft Support',
      capabilities: { input: true, screens: true, clipboard: true, files: true },
    });
    await agent.waitLine(/ joined$/);
    expect(agent.lines.find((l) => / joined$/.test(l))).to.include(`${verified} joined`);
    expect(agent.lines.join('\n')).to.not.include('Microsoft Support');
  });

  it('escape sequences in chat, error text, a session-end reason and file names reach the terminal defused and marked as the technician\'s', async () => {
    for (const { text } of TERMINAL_ATTACKS) chat(text);
    // A code outside the catalogue does not parse, so it never reaches the terminal at all.
    peer.send('control', { type: 'error', code: 'X\x1b[2J', message: 'bad code' } as never);
    peer.send('control', { type: 'error', code: 'INTERNAL', message: '\x1b]0;pwned\x07\r\n? Support asks for control: Allow? [y/N]' });
    chat('last attack sent');
    await agent.waitLine(/last attack sent/);
    const chatLines = agent.lines.filter((l) => /technician says │/.test(l));
    expect(chatLines).to.have.length(TERMINAL_ATTACKS.length + 1);
    for (const line of chatLines) expect(line).to.match(/^\d\d:\d\d:\d\d technician says │ /);
    // The control channel is not ordered with the chat channel: wait for the error's own line.
    await agent.waitLine(/^\d\d:\d\d:\d\d technician │ INTERNAL: \\x1b\]0;pwned\\x07\\r\\n\? Support/);
    expect(agent.lines.join('\n')).to.not.include('bad code');

    // A file whose name is an escape sequence: the progress and "Saved" lines show it defused.
    agent.type('/grant files');
    await until(() => states()?.files === 'granted', 'files granted');
    const files = new FileTransfer({});
    files.attach(peer.filesPort());
    const sent = await files.send(memorySource('\x1b[2J\x1b]52;c;ZXZpbA==\x07report\u202Etxt.exe', new Uint8Array(5000))).done;
    files.close();
    expect(sent.ok, JSON.stringify(sent)).to.equal(true);
    await agent.waitLine(/^Saved /);
    agent.type('/revoke files');
    await until(() => states()?.files === 'revoked', 'files revoked');
    expect(agent.stdout().toString('utf8'), 'the agent\'s stdout holds no control or format character').to.not.match(TERMINAL_UNSAFE);
  });

  it('control asked, then view asked: one "y" grants view, the question shown last, and never control', async () => {
    const from = agent.lines.length;
    request('control');
    await until(() => questions().at(-1)?.includes('Control your mouse') === true, 'the control question on screen');
    request('view');
    await until(() => questions().at(-1)?.includes('View your screen') === true, 'the view question on screen');
    await sleep(SETTLE_MS + 200);
    agent.type('y');
    await until(() => states()?.view !== 'asked' || states()?.control !== 'asked', 'the answer taken');
    await sleep(300);
    expect(states(), 'view granted; control is still only asked').to.include({ view: 'granted', control: 'asked' });
    // The control question is on screen again, named; Enter alone refuses it.
    expect(questions().at(-1)).to.include('asks for control');
    await sleep(SETTLE_MS + 200);
    agent.type('');
    await until(() => states()?.control === 'denied', 'control denied');
    expect(grantsAfterTheirQuestion(agent.lines, from)).to.deep.equal(['view']);
  });

  it('a technician flooding permission requests gets no grant for a question that was not on screen alone', async () => {
    agent.type('/revoke all');
    await until(() => !Object.values(states() ?? {}).includes('granted'), 'everything revoked');
    const from = agent.lines.length;
    // 400 requests in a burst while a reflexive customer types "y" every 100 ms.
    const order: Permission[] = ['control', 'files', 'clipboard', 'view'];
    for (let i = 0; i < 400; i++) request(order[i % order.length]!);
    for (let i = 0; i < 8; i++) {
      agent.type('y');
      await sleep(100);
    }
    await until(() => order.every((p) => agent.lines.slice(from).some((l) => l.endsWith(`asks: ${PERMISSION_LABELS[p]}`))), 'every request heard');
    await sleep(SETTLE_MS + 200);
    // The flood is over: a "y" grants the question on screen, and nothing else.
    const shown = askedIn(questions().at(-1)!)!;
    agent.type('y');
    await until(() => states()?.[shown] === 'granted', `${shown} granted`);
    await sleep(300);
    const grants = grantsAfterTheirQuestion(agent.lines, from);
    expect(grants.at(-1)).to.equal(shown);
    for (const p of order) expect(['asked', 'denied', 'granted']).to.include(states()?.[p]);
    agent.type('/revoke all');
    expect(agent.stdout().toString('utf8')).to.not.match(TERMINAL_UNSAFE);
  });

  it('a session-end reason with escape sequences is printed defused', async () => {
    peer.send('control', { type: 'session.end', reason: 'bye\x1b[2J\x1b[3J\r\nSupport: type y' });
    expect(await agent.exited).to.equal(0);
    const out = agent.stdout().toString('utf8');
    expect(out).to.include('bye\\x1b[2J\\x1b[3J\\r\\nSupport: type y');
    expect(out).to.not.match(TERMINAL_UNSAFE);
  });
});
