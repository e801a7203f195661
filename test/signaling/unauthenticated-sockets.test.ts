import { expect } from 'chai';
import { WebSocket } from 'ws';
import { CLOSE_CODES } from '../../protocol/index.ts';
import {
  createTechnician,
  fakeClock,
  loginCookie,
  openCustomerSocket,
  openTechnicianSocket,
  startTestServer,
  type RunningServer,
  type TestSocket,
} from '../../testkit/server.ts';
import { sleep } from '../../testkit/wait.ts';

/** Someone opens customer sockets and never enters a code, to exhaust the server. */
describe('signaling: idle unauthenticated customer sockets', () => {
  const { clock, fake } = fakeClock();
  let server: RunningServer;
  const opened: TestSocket[] = [];
  const open = async (localAddress: string): Promise<TestSocket> => {
    const socket = await openCustomerSocket(server, { localAddress });
    opened.push(socket);
    await socket.next('welcome').catch(() => undefined);
    return socket;
  };

  afterEach(async () => {
    for (const socket of opened.splice(0)) socket.drop();
    await server.close();
  });

  it('an idle customer socket that never enters a code is closed after CUSTOMER_AUTH_TIMEOUT_SECONDS (4013)', async () => {
    server = await startTestServer({ HEARTBEAT_MS: '600000' }, { clock, plugins: [] });
    expect(server.config.customerAuthTimeoutSeconds).to.equal(15);
    await createTechnician(server, { email: 'ann@example.test', password: 'password-1234', name: 'Ann' });
    const tech = await openTechnicianSocket(server, await loginCookie(server, 'ann@example.test', 'password-1234'));
    tech.send({ type: 'session.create', id: 'c' });
    const { session } = await tech.next('session.created');
    const idle = await open('127.0.0.1');
    const guessing = await open('127.0.0.1');
    guessing.send({ type: 'code.submit', id: 'g', code: '000000', client: 'agent' });
    expect(await guessing.next('error')).to.include({ code: 'CODE_INVALID' });
    const customer = await open('127.0.0.1');
    customer.send({ type: 'code.submit', id: 's', code: session.code, client: 'agent' });
    await customer.next('code.accepted');
    fake.tick(14_999);
    await sleep(50);
    expect(idle.ws.readyState).to.equal(WebSocket.OPEN);
    fake.tick(1);
    expect((await idle.closed).code).to.equal(CLOSE_CODES.AUTH_TIMEOUT);
    expect(idle.received.at(-1)).to.include({ type: 'error', code: 'AUTH_TIMEOUT' });
    // A wrong code is not a valid one: that socket is closed too.
    expect((await guessing.closed).code).to.equal(CLOSE_CODES.AUTH_TIMEOUT);
    // The customer who entered the right code stays.
    await sleep(50);
    expect(customer.ws.readyState).to.equal(WebSocket.OPEN);
  });

  it('one host cannot hold more than UNAUTH_SOCKETS_PER_ADDRESS idle customer sockets (4014)', async () => {
    server = await startTestServer({ HEARTBEAT_MS: '600000' }, { clock, plugins: [] });
    const limit = server.config.unauthSocketsPerAddress;
    expect(limit).to.equal(20);
    const mine = await Promise.all(Array.from({ length: limit }, () => open('127.0.0.5')));
    expect(mine.every((socket) => socket.received[0]?.type === 'welcome')).to.equal(true);
    const extra = await open('127.0.0.5');
    expect(extra.received[0]).to.include({ type: 'error', code: 'TOO_MANY_CONNECTIONS' });
    expect((await extra.closed).code).to.equal(CLOSE_CODES.TOO_MANY_CONNECTIONS);
    // Another host is not affected.
    const neighbour = await open('127.0.0.6');
    expect(neighbour.received[0]).to.include({ type: 'welcome' });
    // A closed socket frees its place.
    mine[0]?.close();
    await mine[0]?.closed;
    await sleep(50);
    const again = await open('127.0.0.5');
    expect(again.received[0]).to.include({ type: 'welcome' });
  });

  it('many hosts together cannot hold more than UNAUTH_SOCKETS_TOTAL idle customer sockets', async () => {
    server = await startTestServer({ HEARTBEAT_MS: '600000', UNAUTH_SOCKETS_PER_ADDRESS: '10', UNAUTH_SOCKETS_TOTAL: '30' }, { clock, plugins: [] });
    for (let host = 0; host < 3; host++) await Promise.all(Array.from({ length: 10 }, () => open(`127.0.0.${20 + host}`)));
    const late = await open('127.0.0.40');
    expect(late.received[0]).to.include({ type: 'error', code: 'TOO_MANY_CONNECTIONS' });
    expect((await late.closed).code).to.equal(CLOSE_CODES.TOO_MANY_CONNECTIONS);
    // Once the idle ones time out, there is room again.
    fake.tick(server.config.customerAuthTimeoutSeconds * 1000);
    await sleep(100);
    const later = await open('127.0.0.40');
    expect(later.received[0]).to.include({ type: 'welcome' });
  });
});
