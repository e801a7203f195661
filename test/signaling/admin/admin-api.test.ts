import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { CLOSE_CODES } from '../../../protocol/index.ts';
import { call, enrolOverApi, login } from '../../../testkit/two-factor.ts';
import { runSession } from '../../../testkit/sessions.ts';
import { activeSession, createTechnician, loginCookie, openTechnicianSocket, startTestServer, type RunningServer } from '../../../testkit/server.ts';
import { parseCsv, unguarded } from '../../../testkit/csv.ts';

const PASSWORD = 'password-1234';

describe('signaling: the administration API and page', () => {
  let server: RunningServer;
  let webRoot: string;
  let admin: string;
  let tech: string;

  beforeEach(async () => {
    webRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'rr-admin-web-'));
    fs.writeFileSync(path.join(webRoot, 'admin.html'), '<!doctype html><title>admin page</title>');
    server = await startTestServer({ HEARTBEAT_MS: '600000' }, { plugins: [], webRoot });
    await createTechnician(server, { email: 'root@example.test', password: PASSWORD, name: 'Root', admin: true });
    await createTechnician(server, { email: 'tess@example.test', password: PASSWORD, name: 'Tess' });
    admin = await loginCookie(server, 'root@example.test', PASSWORD);
    tech = await loginCookie(server, 'tess@example.test', PASSWORD);
  });
  afterEach(async () => {
    await server.close();
    fs.rmSync(webRoot, { recursive: true, force: true });
  });

  it('/admin is served to an administrator and is a 404 for a technician and for nobody; /admin.html too', async () => {
    for (const page of ['/admin', '/admin.html']) {
      const asAdmin = await fetch(`${server.url}${page}`, { headers: { cookie: admin } });
      expect(asAdmin.status).to.equal(200);
      expect(await asAdmin.text()).to.include('admin page');
      expect(asAdmin.headers.get('cache-control')).to.equal('no-store');
      for (const cookie of [tech, '']) {
        const other = await fetch(`${server.url}${page}`, { headers: { cookie } });
        expect(other.status).to.equal(404);
        expect(await other.text()).not.to.include('admin page');
      }
    }
  });

  it('the API answers 403 FORBIDDEN to a technician and 401 to nobody, on every route', async () => {
    const routes: [string, string, unknown?][] = [
      ['GET', '/api/admin/technicians'],
      ['POST', '/api/admin/technicians', { email: 'x@example.test', name: 'X', password: PASSWORD }],
      ['POST', '/api/admin/technicians/tess@example.test/disable', {}],
      ['DELETE', '/api/admin/technicians/tess@example.test'],
      ['GET', '/api/admin/settings'],
      ['PATCH', '/api/admin/settings', { seats: 1 }],
      ['GET', '/api/admin/sessions'],
      ['GET', '/api/admin/sessions.csv'],
      ['GET', '/api/admin/actions'],
    ];
    for (const [method, route, body] of routes) {
      expect(await call(server, tech, method, route, body), `${method} ${route}`).to.include({ status: 403, code: 'FORBIDDEN' });
      expect(await call(server, '', method, route, body), `${method} ${route}`).to.include({ status: 401, code: 'UNAUTHENTICATED' });
    }
    expect((await server.accounts.findByEmail('tess@example.test'))?.disabled).to.equal(false);
  });

  it('a state-changing call without our Origin is refused (403 ORIGIN_NOT_ALLOWED), even with the admin cookie', async () => {
    const body = { email: 'x@example.test', name: 'X', password: PASSWORD };
    expect(await call(server, admin, 'POST', '/api/admin/technicians', body, null)).to.include({ status: 403, code: 'ORIGIN_NOT_ALLOWED' });
    expect(await call(server, admin, 'POST', '/api/admin/technicians', body, 'https://evil.example')).to.include({ status: 403, code: 'ORIGIN_NOT_ALLOWED' });
    expect(await call(server, admin, 'PATCH', '/api/admin/settings', { require2fa: true }, null)).to.include({ code: 'ORIGIN_NOT_ALLOWED' });
    expect(await server.accounts.findByEmail('x@example.test')).to.equal(undefined);
    expect((await call(server, admin, 'POST', '/api/admin/technicians', body)).status).to.equal(201);
  });

  it('creates, disables (closing the console at once), enables, resets, promotes and deletes; each action is in the log', async () => {
    const created = await call(server, admin, 'POST', '/api/admin/technicians', { email: 'Nia@Example.test ', name: 'Nia', password: PASSWORD });
    expect(created.body.technician).to.include({ email: 'Nia@Example.test', name: 'Nia', isAdmin: false, disabled: false, twoFactor: false });
    const id = created.body.technician.id as string;
    const nia = await openTechnicianSocket(server, await loginCookie(server, 'nia@example.test', PASSWORD));
    await nia.next('welcome');
    expect((await call(server, admin, 'POST', `/api/admin/technicians/${id}/disable`, {})).body.technician).to.include({ disabled: true });
    expect((await nia.closed).code).to.equal(CLOSE_CODES.UNAUTHENTICATED);
    expect(await login(server, { email: 'nia@example.test', password: PASSWORD })).to.include({ code: 'ACCOUNT_DISABLED' });
    expect((await call(server, admin, 'POST', `/api/admin/technicians/${id}/enable`, {})).body.technician).to.include({ disabled: false });
    expect(await call(server, admin, 'POST', `/api/admin/technicians/${id}/password`, { password: 'short' })).to.include({ status: 400, code: 'PASSWORD_TOO_WEAK' });
    expect((await call(server, admin, 'POST', `/api/admin/technicians/${id}/password`, { password: 'another-password-1' })).status).to.equal(200);
    expect(await login(server, { email: 'nia@example.test', password: PASSWORD })).to.include({ code: 'INVALID_CREDENTIALS' });
    const niaCookie = (await login(server, { email: 'nia@example.test', password: 'another-password-1' })).cookie ?? '';
    await enrolOverApi(server, niaCookie);
    expect((await call(server, admin, 'GET', '/api/admin/technicians')).body.technicians.find((t: { id: string }) => t.id === id)).to.include({ twoFactor: true });
    expect((await call(server, admin, 'POST', `/api/admin/technicians/${id}/reset-2fa`, {})).body.technician).to.include({ twoFactor: false });
    expect((await call(server, niaCookie, 'GET', '/api/me')).status).to.equal(401); // the reset ended her logins
    expect((await login(server, { email: 'nia@example.test', password: 'another-password-1' })).status).to.equal(200);
    expect((await call(server, admin, 'POST', `/api/admin/technicians/${id}/admin`, { isAdmin: true })).body.technician).to.include({ isAdmin: true });
    expect((await call(server, admin, 'DELETE', `/api/admin/technicians/${id}`)).body).to.deep.equal({ deleted: id });
    expect(await call(server, admin, 'DELETE', `/api/admin/technicians/${id}`)).to.include({ status: 404, code: 'ACCOUNT_NOT_FOUND' });

    const log = (await call(server, admin, 'GET', '/api/admin/actions')).body.actions as { action: string; actorLabel: string; target: string; actorKind: string }[];
    const mine = log.filter((a) => a.actorLabel === 'root@example.test').map((a) => a.action);
    expect(mine).to.deep.equal([
      'technician.deleted',
      'technician.admin_granted',
      'technician.two_factor_reset',
      'technician.password_reset',
      'technician.enabled',
      'technician.disabled',
      'technician.created',
    ]);
    expect(log.find((a) => a.action === 'two_factor.enrolled')).to.include({ actorLabel: 'Nia@Example.test', actorKind: 'technician' });
    expect(log.every((a) => a.target.toLowerCase() === 'nia@example.test')).to.equal(true);
  });

  it('an administrator cannot disable, delete or demote themselves; another administrator can', async () => {
    const me = (await server.accounts.findByEmail('root@example.test'))?.id ?? '';
    expect(await call(server, admin, 'POST', `/api/admin/technicians/${me}/disable`, {})).to.include({ status: 403, code: 'FORBIDDEN' });
    expect(await call(server, admin, 'DELETE', `/api/admin/technicians/${me}`)).to.include({ status: 403, code: 'FORBIDDEN' });
    expect(await call(server, admin, 'POST', `/api/admin/technicians/${me}/admin`, { isAdmin: false })).to.include({ status: 403, code: 'FORBIDDEN' });
    expect(await server.accounts.findById(me)).to.include({ isAdmin: true, disabled: false });
    await createTechnician(server, { email: 'second@example.test', password: PASSWORD, name: 'Second', admin: true });
    const second = await loginCookie(server, 'second@example.test', PASSWORD);
    expect((await call(server, second, 'POST', `/api/admin/technicians/${me}/admin`, { isAdmin: false })).body.technician).to.include({ isAdmin: false });
    // Demoted: the old cookie now meets 403, read per request.
    expect(await call(server, admin, 'GET', '/api/admin/technicians')).to.include({ status: 403, code: 'FORBIDDEN' });
  });

  it('the service refuses to leave no enabled administrator (LAST_ADMIN), whoever asks', async () => {
    const cli = { kind: 'cli' as const, label: 'cli' };
    const service = server.admin;
    expect(await service.setDisabled(cli, 'root@example.test', true).catch((e: unknown) => e)).to.have.property('code', 'LAST_ADMIN');
    expect(await service.deleteTechnician(cli, 'root@example.test').catch((e: unknown) => e)).to.have.property('code', 'LAST_ADMIN');
    expect(await service.setAdmin(cli, 'root@example.test', false).catch((e: unknown) => e)).to.have.property('code', 'LAST_ADMIN');
    // A disabled administrator does not count as the remaining one.
    await createTechnician(server, { email: 'second@example.test', password: PASSWORD, name: 'Second', admin: true });
    await service.setDisabled(cli, 'second@example.test', true);
    expect(await service.setDisabled(cli, 'root@example.test', true).catch((e: unknown) => e)).to.have.property('code', 'LAST_ADMIN');
    await service.setDisabled(cli, 'second@example.test', false);
    expect(await service.setDisabled(cli, 'root@example.test', true)).to.include({ disabled: true });
  });

  it('changes the run-time settings: seats apply to the next console, bad values are refused, the change is logged', async () => {
    expect((await call(server, admin, 'GET', '/api/admin/settings')).body.settings).to.deep.equal({ seats: null, require2fa: false, loginSessionHours: 12 });
    expect(await call(server, admin, 'PATCH', '/api/admin/settings', { seats: -1 })).to.include({ status: 400, code: 'INVALID_MESSAGE' });
    expect(await call(server, admin, 'PATCH', '/api/admin/settings', { colour: 'red' })).to.include({ status: 400, code: 'INVALID_MESSAGE' });
    expect((await call(server, admin, 'PATCH', '/api/admin/settings', { seats: 0, loginSessionHours: 2 })).body.settings).to.deep.equal({ seats: 0, require2fa: false, loginSessionHours: 2 });
    const refused = await openTechnicianSocket(server, tech);
    expect(await refused.next('error')).to.include({ code: 'NO_SEAT_FREE' });
    const res = await fetch(`${server.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'tess@example.test', password: PASSWORD }) });
    const maxAge = /Max-Age=(\d+)/.exec(res.headers.getSetCookie()[0] ?? '')?.[1];
    expect(Number(maxAge)).to.be.within(2 * 3600 - 5, 2 * 3600);
    const [action] = (await call(server, admin, 'GET', '/api/admin/actions')).body.actions;
    expect(action).to.include({ action: 'settings.changed', target: 'seats, loginSessionHours', detail: 'seats: unlimited -> 0; loginSessionHours: 12 -> 2' });
  });

  it('lists real sessions with technician, customer address, start, end and events', async () => {
    const { technician, sessionId } = await activeSession(server);
    technician.send({ type: 'session.end', id: 'e', sessionId });
    await technician.next('ack');
    const page = (await call(server, admin, 'GET', '/api/admin/sessions')).body;
    expect(page.next).to.equal(null);
    const [row] = page.sessions;
    expect(row).to.include({ id: sessionId, customerAddress: '127.0.0.1', endReason: 'technician_ended', eventCount: 4 });
    expect(row.startedAt).to.be.a('number');
    expect(row.durationMs).to.equal(row.endedAt - row.startedAt);
    const detail = (await call(server, admin, 'GET', `/api/admin/sessions/${sessionId}`)).body;
    expect(detail.events.map((e: { event: string }) => e.event)).to.deep.equal(['session.created', 'code.entered', 'session.activated', 'session.ended']);
    expect(await call(server, admin, 'GET', '/api/admin/sessions/nope-nope-nope')).to.include({ status: 404, code: 'SESSION_NOT_FOUND' });
    expect(await call(server, admin, 'GET', '/api/admin/sessions?cursor=garbage')).to.include({ status: 400, code: 'INVALID_MESSAGE' });
    expect(await call(server, admin, 'GET', '/api/admin/sessions?limit=100000')).to.include({ status: 400, code: 'INVALID_MESSAGE' });
  });

  it('exports the matching sessions as CSV, one record each, escaped, formulas neutralised; the export is logged', async () => {
    await createTechnician(server, { email: '=HYPERLINK("http://evil.example")@example.test', password: PASSWORD, name: 'Evil' });
    const ids = [
      await runSession(server, PASSWORD, 'tess@example.test', 'name=a,b.txt'),
      await runSession(server, PASSWORD, '=HYPERLINK("http://evil.example")@example.test', '=1+1 "quoted"'),
      await runSession(server, PASSWORD, 'tess@example.test', '@SUM(A1)'),
    ];
    const res = await fetch(`${server.url}/api/admin/sessions.csv`, { headers: { cookie: admin } });
    expect(res.headers.get('content-type')).to.equal('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).to.match(/^attachment; filename="relay-rescue-sessions-\d{4}-\d{2}-\d{2}\.csv"$/);
    const bytes = new Uint8Array(await res.arrayBuffer());
    // A UTF-8 byte order mark, so spreadsheet programs read accents right.
    expect([...bytes.slice(0, 3)]).to.deep.equal([0xef, 0xbb, 0xbf]);
    const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
    const [header, ...rows] = parseCsv(text.slice(1));
    expect(header).to.deep.equal(['session_id', 'kind', 'technician', 'customer_address', 'created', 'started', 'ended', 'duration_seconds', 'end_reason', 'events']);
    expect(rows.map((r) => unguarded(r[0]))).to.deep.equal([...ids].reverse());
    const byId = new Map(rows.map((r) => [unguarded(r[0]), r]));
    expect(byId.get(ids[1] ?? '')?.[2]).to.equal(`'=HYPERLINK("http://evil.example")@example.test`);
    for (const row of rows) {
      expect(row).to.have.length(10);
      expect(row[1]).to.equal('pin');
      expect(row[3]).to.equal('127.0.0.1');
      expect(row[5]).to.match(/^\d{4}-\d{2}-\d{2}T/);
      expect(Number(row[7])).to.be.at.least(0);
      expect(row[8]).to.equal('technician_ended');
      expect(row[9]?.split('\n').map((line) => line.split(' ')[1])).to.deep.equal(['session.created', 'code.entered', 'session.activated', 'file.sent', 'session.ended']);
    }
    expect(byId.get(ids[0] ?? '')?.[9]).to.include('file.sent (tess@example.test) name=a,b.txt');
    expect(byId.get(ids[1] ?? '')?.[9]).to.include('=1+1 "quoted"');
    // Filtered exports carry the filter; the log says who exported what.
    const filtered = parseCsv(await (await fetch(`${server.url}/api/admin/sessions.csv?technician=tess@example.test`, { headers: { cookie: admin } })).text());
    expect(filtered.slice(1).map((r) => unguarded(r[0]))).to.deep.equal([ids[2], ids[0]]);
    const exports = (await call(server, admin, 'GET', '/api/admin/actions')).body.actions.filter((a: { action: string }) => a.action === 'audit.exported');
    expect(exports.map((a: { detail: string }) => a.detail)).to.deep.equal(['technician=tess@example.test', 'all sessions']);
  });
});
