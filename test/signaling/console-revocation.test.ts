import { expect } from 'chai';
import { WebSocket } from 'ws';
import { CLOSE_CODES } from '../../protocol/index.ts';
import {
  openTestSocket,
  type TestSocket,
  createTechnician,
  fakeClock,
  loginCookie,
  openTechnicianSocket,
  requestJson,
  sqliteOf,
  startTestServer,
  type RunningServer,
} from '../../testkit/server.ts';
import { sleep } from '../../testkit/wait.ts';

const EMAIL = 'ann@example.test';
const PASSWORD = 'password-1234';

/**
 * Someone holds an open console of Ann's (a stolen cookie, a shared
 * computer): ending the login must cut it off, whatever ends it.
 */
describe('signaling: console sockets end with their login', () => {
  const { clock, fake } = fakeClock();
  let server: RunningServer;
  let cookie: string;

  beforeEach(async () => {
    // The default plugins: the ad hoc console socket is a console socket too.
    server = await startTestServer({ HEARTBEAT_MS: '15000' }, { clock });
    await createTechnician(server, { email: EMAIL, password: PASSWORD, name: 'Ann' });
    cookie = await loginCookie(server, EMAIL, PASSWORD);
  });
  afterEach(async () => {
    await server.close();
  });

  async function consoles(): Promise<{ technician: TestSocket; adhoc: TestSocket }> {
    const technician = await openTechnicianSocket(server, cookie);
    await technician.next('welcome');
    const adhoc = await openTestSocket(`${server.wsUrl}/ws/adhoc/technician`, { cookie, origin: server.publicUrl });
    return { technician, adhoc };
  }

  /** Moves the server's clock one heartbeat on and reads how each socket closed. */
  async function afterOneHeartbeat(sockets: TestSocket[]): Promise<number[]> {
    fake.tick(server.config.heartbeatMs);
    return Promise.all(sockets.map(async (socket) => (await socket.closed).code));
  }

  it('a console left open elsewhere is closed (4001) when the technician logs out', async () => {
    const { technician, adhoc } = await consoles();
    const out = await requestJson(server, 'POST', '/api/logout', undefined, { headers: { cookie } });
    expect(out.status).to.equal(200);
    // Closed at once, not only at the next heartbeat.
    expect((await technician.closed).code).to.equal(CLOSE_CODES.UNAUTHENTICATED);
    expect((await adhoc.closed).code).to.equal(CLOSE_CODES.UNAUTHENTICATED);
    expect(technician.received.at(-1)).to.include({ type: 'error', code: 'UNAUTHENTICATED' });
  });

  it('a console of the old password is closed within one heartbeat of reset-password', async () => {
    const { technician, adhoc } = await consoles();
    // As the admin CLI does it: in the database, not through this server.
    await server.accounts.setPassword(EMAIL, 'a-new-password-5678');
    expect(await afterOneHeartbeat([technician, adhoc])).to.deep.equal([CLOSE_CODES.UNAUTHENTICATED, CLOSE_CODES.UNAUTHENTICATED]);
  });

  it('a console of a disabled account is closed within one heartbeat', async () => {
    const { technician, adhoc } = await consoles();
    sqliteOf(server).prepare('UPDATE accounts SET disabled = 1 WHERE email = ?').run(EMAIL);
    expect(await afterOneHeartbeat([technician, adhoc])).to.deep.equal([CLOSE_CODES.UNAUTHENTICATED, CLOSE_CODES.UNAUTHENTICATED]);
  });

  it('a console of a deleted account is closed within one heartbeat', async () => {
    const { technician, adhoc } = await consoles();
    await server.accounts.delete(EMAIL);
    expect(await afterOneHeartbeat([technician, adhoc])).to.deep.equal([CLOSE_CODES.UNAUTHENTICATED, CLOSE_CODES.UNAUTHENTICATED]);
  });

  it('a console whose login expired is closed at the next heartbeat; a later login stays', async () => {
    await server.close();
    server = await startTestServer({ HEARTBEAT_MS: '600000', LOGIN_SESSION_HOURS: '1' }, { clock, plugins: [] });
    await createTechnician(server, { email: EMAIL, password: PASSWORD, name: 'Ann' });
    await createTechnician(server, { email: 'bob@example.test', password: PASSWORD, name: 'Bob' });
    const ann = await openTechnicianSocket(server, await loginCookie(server, EMAIL, PASSWORD));
    await ann.next('welcome');
    const tenMinutes = async (): Promise<void> => {
      fake.tick(600_000);
      await sleep(50); // the pongs to the heartbeat's pings
    };
    await tenMinutes();
    await tenMinutes();
    const bob = await openTechnicianSocket(server, await loginCookie(server, 'bob@example.test', PASSWORD));
    await bob.next('welcome');
    for (let i = 0; i < 3; i++) await tenMinutes(); // 50 minutes
    expect(ann.ws.readyState).to.equal(WebSocket.OPEN);
    await tenMinutes(); // one hour: Ann's login has expired
    expect((await ann.closed).code).to.equal(CLOSE_CODES.UNAUTHENTICATED);
    expect(bob.ws.readyState).to.equal(WebSocket.OPEN);
  });
});
