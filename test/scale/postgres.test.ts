import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ConfigError } from '../../signaling/config.ts';
import { createLogger } from '../../signaling/logger.ts';
import { openPostgresStore } from '../../signaling/store/pg-store.ts';
import { PG_MIGRATIONS } from '../../signaling/store/pg-schema.ts';
import { createTechnician, loginCookie, openCustomerSocket, openTechnicianSocket, requestJson, startTestServer, type RunningServer } from '../../testkit/server.ts';
import { freePort, pgRows as rows, startPostgres, type PostgresServer } from '../../testkit/services.ts';
import { until } from '../../testkit/wait.ts';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const PASSWORD = 'correct-horse-battery';

async function health(server: RunningServer): Promise<{ status: number; body: { ok: boolean; cause?: string } }> {
  const res = await fetch(`${server.url}/healthz`);
  return { status: res.status, body: (await res.json()) as { ok: boolean; cause?: string } };
}

const startError = (env: Record<string, string>): Promise<unknown> =>
  startTestServer(env, { plugins: [] }).then(
    async (server) => {
      await server.close();
      return null;
    },
    (e: unknown) => e,
  );

describe('scale: the PostgreSQL store (DATABASE_URL)', function () {
  this.timeout(120_000);
  let postgres: PostgresServer;
  let server: RunningServer | null = null;
  let dir: string;
  before(async () => {
    postgres = await startPostgres();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rr-pgstore-'));
  });
  afterEach(async () => {
    await server?.close();
    server = null;
  });
  after(async () => {
    await postgres?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('does not start, with a configuration error naming the cause, when the database is unreachable, refuses the password or does not exist', async () => {
    const unreachable = await startError({ DATABASE_URL: `postgres://relay:x@127.0.0.1:${await freePort()}/relay` });
    expect(unreachable).to.be.instanceOf(ConfigError);
    expect((unreachable as Error).message).to.match(/^DATABASE_URL: cannot reach PostgreSQL \(.*ECONNREFUSED/);
    const wrongPassword = await startError({ DATABASE_URL: `postgres://relay:wrong-password@127.0.0.1:${postgres.port}/relay` });
    expect((wrongPassword as Error).message).to.match(/^DATABASE_URL: PostgreSQL refused the login \(password authentication failed/);
    expect((wrongPassword as Error).message).not.to.contain('wrong-password');
    const missing = await startError({ DATABASE_URL: postgres.urlFor('no_such_db') });
    expect((missing as Error).message).to.match(/^DATABASE_URL: the database does not exist/);
    const notPostgres = await startError({ DATABASE_URL: 'mysql://127.0.0.1/relay' });
    expect((notPostgres as Error).message).to.contain('DATABASE_URL: must start with postgres:// or postgresql://');
  });

  it('three nodes starting at once apply each migration exactly once (advisory lock)', async () => {
    const url = await postgres.createDatabase('race');
    const logger = createLogger('silent');
    const stores = await Promise.all([0, 1, 2].map(() => openPostgresStore(url, logger)));
    for (const store of stores) await store.close();
    const applied = await rows<{ version: number }>(url, 'SELECT version FROM schema_migrations ORDER BY version');
    expect(applied.map((r) => r.version)).to.deep.equal(PG_MIGRATIONS.map((_, i) => i + 1));
  });

  it('keeps accounts, logins, settings and the audit trail across a restart, and in PostgreSQL', async () => {
    const url = await postgres.createDatabase('restart');
    server = await startTestServer({ DATABASE_URL: url, DATA_DIR: dir }, { plugins: [] });
    expect(server.store.kind).to.equal('postgres');
    await createTechnician(server, { email: 'Ann@Example.test', password: PASSWORD, name: 'Ann' });
    expect((await requestJson(server, 'POST', '/api/login', { email: 'ann@example.test', password: PASSWORD })).status).to.equal(200);
    const cookie = await loginCookie(server, 'ann@example.test', PASSWORD);
    const tech = await openTechnicianSocket(server, cookie);
    await tech.next('welcome');
    tech.send({ type: 'session.create', id: 'c' });
    const { session } = await tech.next('session.created');
    const customer = await openCustomerSocket(server);
    await customer.next('welcome');
    customer.send({ type: 'code.submit', id: 's', code: session.code, client: 'agent' });
    await customer.next('code.accepted');
    tech.send({ type: 'session.end', id: 'e', sessionId: session.sessionId });
    await tech.next('ack');
    tech.close();
    customer.close();
    await server.close();
    server = null;

    const events = await rows<{ event: string }>(url, 'SELECT event FROM audit_events WHERE session_id = $1 ORDER BY id', [session.sessionId]);
    expect(events.map((e) => e.event)).to.deep.equal(['session.created', 'code.entered', 'session.ended']);

    server = await startTestServer({ DATABASE_URL: url, DATA_DIR: dir }, { plugins: [] });
    expect((await requestJson(server, 'GET', '/api/me', undefined, { headers: { cookie } })).body).to.include({ email: 'Ann@Example.test' });
    const audit = await requestJson(server, 'GET', `/api/sessions/${session.sessionId}/audit`, undefined, { headers: { cookie } });
    expect((audit.body as { session: { endReason: string } }).session.endReason).to.equal('technician_ended');
  });

  it('/healthz answers 503 with the cause while PostgreSQL is gone, keeps the audit writes made meanwhile (the reply waits for them), and 200 once it is back', async () => {
    const url = await postgres.createDatabase('outage');
    server = await startTestServer({ DATABASE_URL: url, DATA_DIR: dir }, { plugins: [] });
    await createTechnician(server, { email: 'bo@example.test', password: PASSWORD, name: 'Bo' });
    const tech = await openTechnicianSocket(server, await loginCookie(server, 'bo@example.test', PASSWORD));
    await tech.next('welcome');
    expect(await health(server)).to.deep.equal({ status: 200, body: { ok: true } });
    await postgres.pause();
    try {
      // The step runs; its audit rows wait in the queue, and so does the reply that tells of it (docs/decisions.md).
      tech.send({ type: 'session.create', id: 'c' });
      const down = await until(async () => (await health(server!)).status === 503, 'healthz while PostgreSQL is down', 20_000).then(() => health(server!));
      expect(down.body.ok).to.equal(false);
      expect(down.body.cause).to.match(/^PostgreSQL: /);
      expect(tech.received.map((m) => m.type)).not.to.include('session.created');
      await postgres.resume();
      const { session } = await tech.next('session.created', 30_000);
      await until(async () => (await health(server!)).status === 200, 'healthz once PostgreSQL is back', 30_000);
      const events = await rows<{ event: string }>(url, 'SELECT event FROM audit_events WHERE session_id = $1', [session.sessionId]);
      expect(events.map((e) => e.event)).to.deep.equal(['session.created']);
    } finally {
      tech.close();
    }
  });

  it('migrate-to-postgres copies a SQLite database into an empty PostgreSQL database, and refuses one that holds data', async function () {
    this.timeout(180_000);
    const sqlite = path.join(dir, 'old.db');
    const old = await startTestServer({ DATABASE_PATH: sqlite, DATA_DIR: dir }, { plugins: [] });
    try {
      await createTechnician(old, { email: 'cy@example.test', password: PASSWORD, name: 'Cy', admin: true });
      await old.admin.updateSettings({ kind: 'cli', label: 'cli' }, { seats: 4 });
      old.audit.openSession({ id: 'old-session-1', technicianId: 'x', technicianEmail: 'cy@example.test', forceRelay: true });
      old.audit.record('old-session-1', 'session.created', { kind: 'server' }, 'before the move');
      old.audit.closeSession('old-session-1', 'technician_ended');
      const now = Date.now();
      const adhoc = {
        id: 'ah_moved',
        technician_id: 'x',
        technician_name: 'Cy',
        technician_email: 'cy@example.test',
        email: 'user@example.test',
        state: 'paired' as const,
        created_at: now,
        activated_at: now,
        expires_at: now + 24 * 3_600_000,
        ended_at: null,
        end_reason: null,
        deployment_token_hash: 'd'.repeat(64),
        code_hash: null,
        code_expires_at: null,
        code_failures: 2,
        computer_name: 'pc',
        agent_token_hash: 'a'.repeat(64),
        pairing_deadline: null,
      };
      expect(await old.store.adhoc.create(adhoc, null)).to.equal('created');
    } finally {
      await old.close();
    }
    const url = await postgres.createDatabase('moved');
    const run = () =>
      spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'signaling', 'admin-cli.ts'), 'migrate-to-postgres', '--from', sqlite], {
        env: { PATH: process.env.PATH ?? '', DATABASE_URL: url, DATA_DIR: dir, LOG_LEVEL: 'silent' },
        encoding: 'utf8',
      });
    const first = run();
    expect(first.status, first.stderr).to.equal(0);
    expect(first.stdout).to.match(/^accounts\t1$/m);
    expect(first.stdout).to.match(/^audit_events\t1$/m);
    expect(first.stdout).to.match(/^adhoc_sessions\t1$/m);
    const second = run();
    expect(second.status).to.equal(1);
    expect(second.stderr).to.contain('The PostgreSQL database is not empty (it holds 1 accounts, 1 sessions, 1 audit events');
    expect(second.stderr).to.contain('nothing was copied');

    server = await startTestServer({ DATABASE_URL: url, DATA_DIR: dir }, { plugins: [] });
    expect((await requestJson(server, 'POST', '/api/login', { email: 'cy@example.test', password: PASSWORD })).status).to.equal(200);
    expect(await server.ctx.settings.seats()).to.equal(4);
    const moved = await server.audit.getSession('old-session-1');
    expect(moved).to.include({ endReason: 'technician_ended', forceRelay: true, technicianEmail: 'cy@example.test' });
    // The ad hoc pairing too, with its 24 hours and its agent token: the agent resumes on the new store.
    expect(await server.store.adhoc.byAgentTokenHash('a'.repeat(64))).to.include({ id: 'ah_moved', state: 'paired', code_failures: 2, computer_name: 'pc' });
    expect((await server.store.adhoc.allLive()).map((r) => r.id)).to.deep.equal(['ah_moved']);
    // New rows get new ids after the copied ones.
    server.audit.record('old-session-1', 'session.resumed', { kind: 'server' }, 'after the move');
    const ids = (await server.audit.events('old-session-1')).map((e) => e.id);
    expect(ids).to.have.length(2);
    expect(ids[1]!).to.be.greaterThan(ids[0]!);
  });
});

