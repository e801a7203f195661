import { expect } from 'chai';
import type { z } from 'zod';
import { firstRunStatusSchema } from '../../protocol/first-run.ts';
import { httpErrorSchema, meHttpSchema, okHttpSchema } from '../../protocol/http.ts';
import { codeAcceptedHttpSchema } from '../../protocol/signaling.ts';
import type { RunningServer } from '../../signaling/server.ts';
import { createTechnician, loginCookie, openTechnicianSocket, requestJson, startTestServer } from '../../testkit/server.ts';

/** What the web UI's fetchJson(schema) would make of a reply: the parsed value, or the zod issues. */
function parses<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) expect.fail(`reply does not match its schema: ${JSON.stringify(parsed.error.issues)}`);
  return parsed.data;
}

describe('HTTP replies match their schemas in protocol/ (what fetchJson reads)', () => {
  let server: RunningServer;
  before(async () => {
    server = await startTestServer();
    await createTechnician(server, { email: 'http@example.test', password: 'password-1234', name: 'Hattie' });
  });
  after(async () => {
    await server.close();
  });

  it('login, me and logout', async () => {
    const headers = { origin: server.publicUrl };
    const login = await requestJson(server, 'POST', '/api/login', { email: 'http@example.test', password: 'password-1234' }, { headers });
    expect(parses(meHttpSchema, login.body)).to.include({ email: 'http@example.test', name: 'Hattie', isAdmin: false });
    const cookie = await loginCookie(server, 'http@example.test', 'password-1234');
    const me = await requestJson(server, 'GET', '/api/me', undefined, { headers: { ...headers, cookie } });
    expect(parses(meHttpSchema, me.body).name).to.equal('Hattie');
    expect(parses(okHttpSchema, (await requestJson(server, 'POST', '/api/logout', undefined, { headers: { ...headers, cookie } })).body)).to.deep.equal({ ok: true });
  });

  it('a failed call carries a catalogue code', async () => {
    const wrong = await requestJson(server, 'POST', '/api/login', { email: 'http@example.test', password: 'wrong-password' }, { headers: { origin: server.publicUrl } });
    expect(parses(httpErrorSchema, wrong.body).error.code).to.equal('INVALID_CREDENTIALS');
    const me = await requestJson(server, 'GET', '/api/me');
    expect(parses(httpErrorSchema, me.body).error.code).to.equal('UNAUTHENTICATED');
  });

  it('setup status and an entered code', async () => {
    expect(parses(firstRunStatusSchema, (await requestJson(server, 'GET', '/api/setup')).body)).to.deep.equal({ needed: false, allowed: false });
    const tech = await openTechnicianSocket(server, await loginCookie(server, 'http@example.test', 'password-1234'));
    tech.send({ type: 'session.create', id: 'c' });
    const { session } = await tech.next('session.created');
    const accepted = await requestJson(server, 'POST', '/api/code', { code: session.code, client: 'browser' });
    expect(parses(codeAcceptedHttpSchema, accepted.body)).to.include({ sessionId: session.sessionId, technicianName: 'Hattie' });
    tech.close();
  });
});
