import { expect } from 'chai';
import { activeSession, createTechnician, loginCookie, startTestServer, type RunningServer } from '../../testkit/server.ts';

const offer = { kind: 'description', description: { type: 'offer', sdp: 'v=0\r\n' } } as const;

describe('signaling: technicians and customers are isolated', () => {
  let server: RunningServer;
  beforeEach(async () => {
    server = await startTestServer({}, { plugins: [] });
  });
  afterEach(async () => {
    await server.close();
  });

  it("technician B cannot list, activate, signal, end, refresh ICE or report into A's session", async () => {
    const a = await activeSession(server);
    const b = await activeSession(server);
    const target = a.sessionId;
    const tries = [
      { type: 'session.activate', id: 'activate', sessionId: target },
      { type: 'signal', sessionId: target, data: offer },
      { type: 'session.end', id: 'end', sessionId: target },
      { type: 'ice.refresh', id: 'ice', sessionId: target },
      { type: 'session.event', id: 'event', sessionId: target, event: 'file.sent', detail: 'x' },
    ];
    for (const message of tries) {
      b.technician.send(message);
      expect(await b.technician.next('error'), message.type).to.include({ code: 'SESSION_NOT_FOUND' });
    }
    b.technician.send({ type: 'session.list', id: 'l' });
    expect((await b.technician.next('session.list')).sessions.map((s) => s.sessionId)).to.deep.equal([b.sessionId]);
    expect(server.registry.get(target)?.lifecycle.state).to.equal('active');
    expect(a.customer.received.filter((m) => m.type === 'signal')).to.have.length(0);
  });

  it("a customer's token only reaches its own session", async () => {
    const a = await activeSession(server);
    const b = await activeSession(server);
    a.customer.send({ type: 'signal', sessionId: b.sessionId, data: offer });
    expect(await a.customer.next('error')).to.include({ code: 'SESSION_NOT_FOUND' });
    a.customer.send({ type: 'session.end', id: 'e', sessionId: b.sessionId });
    expect(await a.customer.next('error')).to.include({ code: 'SESSION_NOT_FOUND', ref: 'e' });
    a.customer.send({ type: 'signal', sessionId: a.sessionId, data: offer });
    expect((await a.technician.next('signal')).sessionId).to.equal(a.sessionId);
    b.technician.send({ type: 'session.list', id: 'probe' });
    await b.technician.next('session.list');
    expect(b.technician.received.filter((m) => m.type === 'signal')).to.have.length(0);
    expect(server.registry.get(b.sessionId)?.lifecycle.state).to.equal('active');
  });

  it("the audit trail is readable by the session's technician and admins, 404 for other technicians", async () => {
    const a = await activeSession(server);
    const b = await activeSession(server);
    await createTechnician(server, { email: 'boss@example.test', password: 'password-1234', name: 'Boss', admin: true });
    const admin = await loginCookie(server, 'boss@example.test', 'password-1234');
    const get = (cookie: string) => fetch(`${server.url}/api/sessions/${a.sessionId}/audit`, { headers: { cookie } });
    expect((await get(a.cookie)).status).to.equal(200);
    expect((await get(admin)).status).to.equal(200);
    const denied = await get(b.cookie);
    expect(denied.status).to.equal(404);
    expect(await denied.json()).to.deep.equal({ error: { code: 'SESSION_NOT_FOUND', message: 'No such session.' } });
    expect((await fetch(`${server.url}/api/sessions/${a.sessionId}/audit`)).status).to.equal(401);
    const listed = (await (await fetch(`${server.url}/api/sessions`, { headers: { cookie: b.cookie } })).json()) as { sessions: { id: string }[] };
    expect(listed.sessions.map((s) => s.id)).to.deep.equal([b.sessionId]);
  });
});
