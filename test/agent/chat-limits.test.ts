import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { LIMITS } from '../../protocol/index.ts';
import type { PeerSession } from '../../rtc/peer-session.ts';
import { startTestServer, type RunningServer } from '../../testkit/server.ts';
import { until } from '../../testkit/wait.ts';
import { createNodeTechnician, spawnAgent, type AgentProcess, type NodeTechnician } from '../../testkit/node-technician.ts';
import { startXvfb, type TestXvfb } from '../../testkit/xvfb.ts';

const chat = (text: string): string => JSON.stringify({ type: 'chat', msgId: randomUUID(), text, at: Date.now() });

/** Issue 15, point 12: over-long chat messages get a clear error both ways, and the chat goes on. */
describe('agent: chat messages over the limit (real agent process, Node technician)', function () {
  this.timeout(60_000);
  let xvfb: TestXvfb;
  let server: RunningServer;
  let tech: NodeTechnician;
  let agent: AgentProcess;
  let peer: PeerSession;
  const received: string[] = [];

  before(async () => {
    xvfb = await startXvfb(640, 480);
    server = await startTestServer();
    tech = await createNodeTechnician(server);
    agent = spawnAgent(['--server', server.url, '--code', tech.code, '--display', xvfb.display, '--fps', '5', '--name', 'Chatty']);
    await agent.waitLine(/Connected to session/);
    peer = await tech.activate();
    peer.on('chat', (m) => received.push(m.text));
  });

  after(async () => {
    tech?.close();
    await agent?.kill();
    await server?.close();
    await xvfb?.stop();
  });

  const errors = (): { code: string; message: string }[] =>
    tech.control.filter((m) => m.type === 'error').map((m) => m as { code: string; message: string });

  it('a 100,000-character message from the technician is answered with MESSAGE_TOO_LARGE; the next one arrives', async () => {
    peer.channel('chat').send(chat('x'.repeat(100_000)));
    await until(() => errors().length === 1, 'an error from the agent');
    expect(errors()[0]).to.include({ code: 'MESSAGE_TOO_LARGE', message: `chat: Messages are limited to ${LIMITS.channelMessageBytes} bytes.` });
    peer.send('chat', { type: 'chat', msgId: randomUUID(), text: 'still there?', at: Date.now() });
    await agent.waitLine(/still there\?/);
  });

  it(`a message of ${LIMITS.chatChars + 1} characters (small enough in bytes) is refused naming the limit; the next one arrives`, async () => {
    peer.channel('chat').send(chat('y'.repeat(LIMITS.chatChars + 1)));
    await until(() => errors().length === 2, 'a second error from the agent');
    expect(errors()[1]!.code).to.equal('INVALID_MESSAGE');
    expect(errors()[1]!.message).to.match(new RegExp(`^chat: Invalid message at text: .*${LIMITS.chatChars}`));
    peer.send('chat', { type: 'chat', msgId: randomUUID(), text: 'and now?', at: Date.now() });
    await agent.waitLine(/and now\?/);
  });

  it('a 100,000-character line typed into the agent is not sent, says why, and the next line is sent', async () => {
    agent.type('z'.repeat(100_000));
    await agent.waitLine(new RegExp(`not sent: a chat message holds at most ${LIMITS.chatChars} characters, this one has 100000`));
    agent.type('short reply');
    await until(() => received.includes('short reply'), 'the short reply at the technician');
    expect(received).to.deep.equal(['short reply']);
    expect(agent.child.exitCode).to.equal(null);
  });
});
