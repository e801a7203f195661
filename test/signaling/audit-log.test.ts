import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { activeSession, loginCookie, startTestServer } from '../../testkit/server.ts';

interface AuditBody {
  session: { id: string; endedAt: number | null; endReason: string | null };
  events: { event: string; actor: { kind: string; label: string }; detail: string }[];
}

describe('signaling: audit log', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rr-audit-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('records every session event with its actor and survives a server restart', async () => {
    const env = { DATA_DIR: dir };
    const first = await startTestServer({ ...env, DATABASE_PATH: path.join(dir, 'rr.db') }, { plugins: [] });
    const { technician, customer, sessionId, account } = await activeSession(first);
    customer.send({ type: 'session.event', id: 'e1', sessionId, event: 'permission.granted', detail: 'view' });
    await customer.next('ack');
    technician.send({ type: 'session.event', id: 'e2', sessionId, event: 'file.sent', detail: 'report.pdf 1234 bytes' });
    await technician.next('ack');
    technician.send({ type: 'session.end', id: 'end', sessionId });
    await customer.closed;
    await first.close();

    const second = await startTestServer({ ...env, DATABASE_PATH: path.join(dir, 'rr.db') }, { plugins: [] });
    try {
      const cookie = await loginCookie(second, account.email, 'correct-horse-battery');
      const res = await fetch(`${second.url}/api/sessions/${sessionId}/audit`, { headers: { cookie } });
      expect(res.status).to.equal(200);
      const body = (await res.json()) as AuditBody;
      expect(body.session).to.include({ id: sessionId, endReason: 'technician_ended' });
      expect(body.events.map((e) => [e.event, e.actor.kind])).to.deep.equal([
        ['session.created', 'technician'],
        ['code.entered', 'customer'],
        ['session.activated', 'technician'],
        ['permission.granted', 'customer'],
        ['file.sent', 'technician'],
        ['session.ended', 'technician'],
      ]);
      expect(body.events[4]).to.deep.include({ detail: 'report.pdf 1234 bytes', actor: { kind: 'technician', id: account.id, label: account.email } });
    } finally {
      await second.close();
    }
  });

  it('a client may only report the reportable events', async () => {
    const server = await startTestServer({}, { plugins: [] });
    try {
      const { customer, sessionId } = await activeSession(server);
      customer.send({ type: 'session.event', id: 'x', sessionId, event: 'session.ended', detail: '' });
      expect(await customer.next('error')).to.include({ code: 'INVALID_MESSAGE', ref: 'x' });
    } finally {
      await server.close();
    }
  });
});
