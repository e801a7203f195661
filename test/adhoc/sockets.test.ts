import { expect } from 'chai';
import { WebSocket } from 'ws';
import { CLOSE_CODES } from '../../protocol/errors.ts';
import { MESSAGE_BURST, MAX_CONSECUTIVE_ERRORS } from '../../signaling/signaling-socket.ts';
import { TestSocket } from '../../testkit/server.ts';
import { startHarness, technician, type Harness } from './helpers.ts';

/** The ad hoc socket paths run on the server's one signaling socket: budget, heartbeat on the server's clock, bad-message handling. */
describe('ad hoc sockets (signaling/adhoc/sockets.ts on signaling/signaling-socket.ts)', function () {
  this.timeout(30_000);
  let h: Harness;
  const open: TestSocket[] = [];

  before(async () => {
    h = await startHarness({ HEARTBEAT_MS: '1000' });
  });
  after(async () => {
    for (const s of open) s.drop();
    await h.close();
  });

  async function connect(path: string, headers: Record<string, string> = {}, autoPong = true): Promise<TestSocket> {
    const ws = new WebSocket(`${h.server.wsUrl}${path}`, { headers, autoPong });
    const socket = new TestSocket(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    open.push(socket);
    return socket;
  }

  const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 50));
  const state = (s: TestSocket): number => s.ws.readyState;

  it('drops an agent socket that stops answering pings, on the server clock, and keeps one that answers', async () => {
    const silent = await connect('/ws/adhoc/agent', {}, false);
    const answering = await connect('/ws/adhoc/agent');
    for (let beat = 0; beat < 3; beat++) {
      h.clock.tick(1000);
      await settle();
    }
    await silent.closed;
    expect(state(answering)).to.equal(WebSocket.OPEN);
  });

  it('closes a socket after enough bad messages in a row, but a good message in between resets the count', async () => {
    const agent = await connect('/ws/adhoc/agent');
    for (let i = 0; i < MAX_CONSECUTIVE_ERRORS - 1; i++) agent.sendRaw('{nope');
    // Valid, refused by the service (an unknown deployment token): it counts as a good message.
    agent.send({ type: 'adhoc.hello', id: 'h1', deploymentToken: 'A'.repeat(24) });
    for (let i = 0; i < MAX_CONSECUTIVE_ERRORS - 1; i++) agent.sendRaw('{nope');
    await settle();
    expect(state(agent)).to.equal(WebSocket.OPEN);
    const errors = agent.received.filter((m) => m.type === 'error').map((m) => (m as { code: string }).code);
    expect(errors.filter((c) => c === 'BAD_JSON')).to.have.length(2 * (MAX_CONSECUTIVE_ERRORS - 1));
    agent.sendRaw('{nope');
    expect((await agent.closed).code).to.equal(CLOSE_CODES.TOO_MANY_ERRORS);
  });

  it(`answers ${MESSAGE_BURST} technician messages at once, then drops the rest with one RATE_LIMITED`, async () => {
    const tech = await technician(h, 'budget@example.test', 'Budget');
    const raw = await connect('/ws/adhoc/technician', { cookie: tech.cookie, origin: h.server.publicUrl });
    for (let i = 0; i < MESSAGE_BURST + 20; i++) raw.send({ type: 'adhoc.list', id: `l${i}` });
    const limited = await raw.next('error');
    expect(limited.code).to.equal('RATE_LIMITED');
    await settle();
    expect(raw.received.filter((m) => m.type === ('adhoc.list' as string))).to.have.length(MESSAGE_BURST);
    expect(raw.received.filter((m) => m.type === 'error')).to.have.length(1);
    tech.client.close();
  });
});
