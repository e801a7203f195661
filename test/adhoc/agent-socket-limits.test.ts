import { expect } from 'chai';
import { WebSocket } from 'ws';
import { CLOSE_CODES } from '../../protocol/errors.ts';
import { TestSocket } from '../../testkit/server.ts';
import { sleep } from '../../testkit/wait.ts';
import { startHarness, technician, waitFor, type Harness } from './helpers.ts';

/** Someone opens `/ws/adhoc/agent` sockets and never proves a token, to exhaust the server. */
describe('ad hoc agent sockets: the unauthenticated-socket caps and the auth timeout', function () {
  this.timeout(30_000);
  let h: Harness;
  const open: TestSocket[] = [];

  afterEach(async () => {
    for (const s of open.splice(0)) s.drop();
    await h.close();
  });

  async function connect(localAddress = '127.0.0.1'): Promise<TestSocket> {
    const ws = new WebSocket(`${h.server.wsUrl}/ws/adhoc/agent`, { localAddress });
    const socket = new TestSocket(ws);
    open.push(socket);
    await new Promise<void>((resolve) => {
      ws.once('open', () => resolve());
      ws.once('close', () => resolve());
      ws.once('error', () => resolve());
    });
    await sleep(30);
    return socket;
  }

  it('an agent socket with no valid hello is closed after CUSTOMER_AUTH_TIMEOUT_SECONDS (4013); one that said hello with a live link stays', async () => {
    h = await startHarness({ HEARTBEAT_MS: '600000' });
    const tech = await technician(h, 'tess@example.test', 'Tess');
    const created = await tech.api.create('user@example.test');
    const deploymentToken = created.deploymentUrl.split('/').at(-1)!;
    const idle = await connect();
    const wrong = await connect();
    wrong.send({ type: 'adhoc.hello', id: 'w', deploymentToken: 'A'.repeat(24) });
    expect(await wrong.next('error')).to.include({ ref: 'w' });
    const agent = await connect();
    agent.send({ type: 'adhoc.hello', id: 'h', deploymentToken });
    await waitFor(() => agent.received.some((m) => (m.type as string) === 'adhoc.code_required'), 'adhoc.code_required');
    h.clock.tick(14_999);
    await sleep(50);
    expect(idle.ws.readyState).to.equal(WebSocket.OPEN);
    h.clock.tick(1);
    expect((await idle.closed).code).to.equal(CLOSE_CODES.AUTH_TIMEOUT);
    expect(idle.received.at(-1)).to.include({ type: 'error', code: 'AUTH_TIMEOUT' });
    expect((await wrong.closed).code).to.equal(CLOSE_CODES.AUTH_TIMEOUT);
    // The user may take minutes to type the security code: the agent that said hello stays.
    h.clock.tick(120_000);
    await sleep(50);
    expect(agent.ws.readyState).to.equal(WebSocket.OPEN);
    tech.client.close();
  });

  it('one host cannot hold more than UNAUTH_SOCKETS_PER_ADDRESS idle agent sockets (4014), and customer sockets count in the same cap', async () => {
    h = await startHarness({ HEARTBEAT_MS: '600000', UNAUTH_SOCKETS_PER_ADDRESS: '4', UNAUTH_SOCKETS_TOTAL: '6' });
    const mine = [await connect('127.0.0.5'), await connect('127.0.0.5'), await connect('127.0.0.5')];
    const customer = new TestSocket(new WebSocket(`${h.server.wsUrl}/ws/customer`, { localAddress: '127.0.0.5' }));
    open.push(customer);
    await customer.next('welcome');
    const extra = await connect('127.0.0.5');
    expect(extra.received[0]).to.include({ type: 'error', code: 'TOO_MANY_CONNECTIONS' });
    expect((await extra.closed).code).to.equal(CLOSE_CODES.TOO_MANY_CONNECTIONS);
    // Another host has its own places, up to the total.
    const neighbour = [await connect('127.0.0.6'), await connect('127.0.0.6')];
    expect(neighbour.map((s) => s.ws.readyState)).to.deep.equal([WebSocket.OPEN, WebSocket.OPEN]);
    const late = await connect('127.0.0.7');
    expect((await late.closed).code).to.equal(CLOSE_CODES.TOO_MANY_CONNECTIONS);
    // A closed socket frees its place.
    mine[0]!.close();
    await mine[0]!.closed;
    await sleep(50);
    const again = await connect('127.0.0.5');
    expect(again.ws.readyState).to.equal(WebSocket.OPEN);
    expect(again.received).to.deep.equal([]);
  });
});
