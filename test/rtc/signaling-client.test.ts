import { expect } from 'chai';
import { WebSocket } from 'ws';
import { RescueError } from '../../protocol/errors.ts';
import { SignalingClient } from '../../rtc/signaling-client.ts';
import type { WebSocketCtor } from '../../rtc/signaling-client.ts';
import { FakeSignaling, SESSION_ID, TOKEN } from './fake-signaling.ts';
import { nextEvent, waitFor } from '../../testkit/rtc-pair.ts';

const WS = WebSocket as unknown as WebSocketCtor;

describe('rtc/signaling-client', function () {
  this.timeout(10_000);
  let server: FakeSignaling;
  const clients: SignalingClient[] = [];
  beforeEach(async () => {
    server = new FakeSignaling();
    await server.ready();
  });
  afterEach(async () => {
    clients.splice(0).forEach((c) => c.close());
    await server.close();
  });
  const client = (role: 'technician' | 'customer', extra = {}): SignalingClient => {
    const c = new SignalingClient({ url: server.url(role), role, WebSocket: WS, client: 'agent', reconnect: { initialMs: 20, maxMs: 100 }, ...extra });
    clients.push(c);
    return c;
  };

  it('resolves a request with the reply carrying its ref, and passes headers to ws', async () => {
    const c = client('customer', { headers: { Origin: 'https://rescue.example' } });
    await c.connect();
    const reply = await c.request({ type: 'code.submit', code: '123456', client: 'agent' });
    expect(reply.type).to.equal('code.accepted');
    expect(reply.type === 'code.accepted' && reply.sessionId).to.equal(SESSION_ID);
    expect(server.headers[0]?.origin).to.equal('https://rescue.example');
  });

  it('rejects with a RescueError for an error reply', async () => {
    const c = client('customer');
    await c.connect();
    const err = await c.request({ type: 'code.submit', code: '000000', client: 'agent' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(RescueError);
    expect((err as RescueError).code).to.equal('CODE_INVALID');
  });

  it('emits typed server messages and reports invalid ones without crashing', async () => {
    const c = client('technician');
    const welcome = nextEvent<{ heartbeatMs: number }>((h) => c.on('welcome', h));
    await c.connect();
    expect((await welcome).heartbeatMs).to.equal(20000);
    const invalid = nextEvent<{ code: string }>((h) => c.on('invalid', h));
    server.tech!.send('{"type":"session.state","sessionId":"x"}');
    expect((await invalid).code).to.equal('INVALID_MESSAGE');
    const bad = nextEvent<{ code: string }>((h) => c.on('invalid', h));
    server.tech!.send('nope');
    expect((await bad).code).to.equal('BAD_JSON');
  });

  it('customer: reconnects after a drop, resumes with its token, then flushes queued messages', async () => {
    const c = client('customer');
    await c.connect();
    await c.request({ type: 'code.submit', code: '123456', client: 'agent' });
    const reconnected = nextEvent((h) => c.on('reconnected', h), 5000, 'reconnected');
    server.cust!.terminate();
    await waitFor(() => !c.connected, 2000, 'disconnected');
    c.send({ type: 'session.event', sessionId: SESSION_ID, event: 'connection.path', detail: 'queued while away' });
    await reconnected;
    await waitFor(() => server.audit.length === 1, 2000, 'queued message');
    const types = server.received.filter((m) => m.from === 'customer').map((m) => m.type);
    expect(types).to.deep.equal(['code.submit', 'customer.resume', 'session.event']);
    expect(server.audit[0]!.detail).to.equal('queued while away');
  });

  it('customer: a refused resume ends the client with resume.failed', async () => {
    const c = client('customer', { resumeToken: 'tok_wrongwrongwrong1' });
    await c.connect();
    const failed = nextEvent<{ code: string }>((h) => c.on('resume.failed', h), 5000, 'resume.failed');
    server.cust!.terminate();
    expect((await failed).code).to.equal('TOKEN_INVALID');
    expect(c.connected).to.equal(false);
    expect(TOKEN).to.not.equal('tok_wrongwrongwrong1');
  });

  it('technician: reconnects and emits reconnected (the cookie re-authenticates)', async () => {
    const c = client('technician');
    await c.connect();
    const reconnected = nextEvent((h) => c.on('reconnected', h), 5000, 'reconnected');
    server.tech!.terminate();
    await reconnected;
    expect(c.connected).to.equal(true);
  });

  it('does not reconnect after close() and rejects pending requests', async () => {
    const c = client('technician');
    await c.connect();
    const pending = c.request({ type: 'session.list' }).catch((e: unknown) => e);
    c.close();
    expect(await pending).to.be.instanceOf(RescueError);
    c.close();
    expect(c.connected).to.equal(false);
  });
});
