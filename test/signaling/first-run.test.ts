import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { SETUP_LINK_MS } from '../../signaling/first-run.ts';
import { fakeClock, startTestServer, type RunningServer } from '../../testkit/server.ts';

/** Through a reverse proxy on the same machine: the request is from loopback, but says it is for someone else. */
const PROXIED = { 'x-forwarded-for': '203.0.113.7' };
const ADMIN = { email: 'first@example.test', name: 'First Admin', password: 'a long first password' };

async function call(server: RunningServer, method: 'GET' | 'POST', headers: Record<string, string> = {}, body?: unknown) {
  const res = await fetch(`${server.url}/api/setup`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { error?: { code: string } } };
}

const tokenOf = (link: string | null): string => /#setup=([A-Za-z0-9_-]+)$/.exec(link ?? '')?.[1] ?? '';

describe('signaling: first-run setup link (issue 15)', () => {
  let dir: string;
  let server: RunningServer;
  let fake: ReturnType<typeof fakeClock>['fake'];

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rr-setup-'));
    const clock = fakeClock();
    fake = clock.fake;
    server = await startTestServer({ DATABASE_PATH: path.join(dir, 'rr.db') }, { plugins: [], clock: clock.clock, webRoot: dir, agentRoot: dir });
  });
  afterEach(async () => {
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('prints a link with a random token while no account exists; loopback may set up, a proxied request needs the token', async () => {
    const link = server.setupLink();
    expect(link).to.match(new RegExp(`^${server.publicUrl}/console#setup=[A-Za-z0-9_-]{43}$`));
    expect((await call(server, 'GET')).body).to.deep.equal({ needed: true, allowed: true });
    expect((await call(server, 'GET', PROXIED)).body).to.deep.equal({ needed: true, allowed: false });
    expect((await call(server, 'GET', { ...PROXIED, 'x-setup-token': tokenOf(link) })).body).to.deep.equal({ needed: true, allowed: true });
    const wrong = await call(server, 'POST', { ...PROXIED, 'x-setup-token': `${tokenOf(link).slice(0, -1)}${tokenOf(link).endsWith('A') ? 'B' : 'A'}` }, ADMIN);
    expect(wrong.status).to.equal(403);
    expect(wrong.body.error?.code).to.equal('SETUP_LINK_INVALID');
    expect(await server.accounts.count()).to.equal(0);
  });

  it('the link creates the first administrator once, then dies', async () => {
    const headers = { ...PROXIED, 'x-setup-token': tokenOf(server.setupLink()) };
    const made = await call(server, 'POST', headers, ADMIN);
    expect(made.status).to.equal(201);
    expect(made.body).to.include({ email: ADMIN.email, name: ADMIN.name });
    expect((await server.accounts.findByEmail(ADMIN.email))?.isAdmin).to.equal(true);
    // The account can log in with the password it was given.
    const login = await fetch(`${server.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: ADMIN.email, password: ADMIN.password }) });
    expect(login.status).to.equal(200);
    const again = await call(server, 'POST', headers, { ...ADMIN, email: 'second@example.test' });
    expect(again.status).to.equal(410);
    expect(again.body.error?.code).to.equal('SETUP_CLOSED');
    expect((await call(server, 'GET')).body).to.deep.equal({ needed: false, allowed: false });
    expect(server.setupLink()).to.equal(null);
  });

  it('works for 30 minutes only', async () => {
    const headers = { ...PROXIED, 'x-setup-token': tokenOf(server.setupLink()) };
    fake.tick(SETUP_LINK_MS - 1000);
    expect((await call(server, 'GET', headers)).body.allowed).to.equal(true);
    fake.tick(2000);
    expect((await call(server, 'GET', headers)).body.allowed).to.equal(false);
    expect((await call(server, 'POST', headers, ADMIN)).body.error?.code).to.equal('SETUP_LINK_INVALID');
  });

  it('dies as soon as the admin CLI creates an account in another process', async () => {
    const headers = { ...PROXIED, 'x-setup-token': tokenOf(server.setupLink()) };
    execFileSync(process.execPath, ['--import', 'tsx', 'signaling/admin-cli.ts', 'create-admin', '--email', 'cli@example.test', '--name', 'Cli'], {
      env: { ...process.env, DATABASE_PATH: path.join(dir, 'rr.db') },
      input: 'a long cli password\n',
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    expect((await call(server, 'GET', headers)).body).to.deep.equal({ needed: false, allowed: false });
    expect((await call(server, 'POST', headers, ADMIN)).body.error?.code).to.equal('SETUP_CLOSED');
    expect(await server.accounts.count()).to.equal(1);
  });

  it('refuses a cross-site form post (Origin checked) and a short password', async () => {
    const foreign = await call(server, 'POST', { origin: 'https://evil.example' }, ADMIN);
    expect(foreign.body.error?.code).to.equal('ORIGIN_NOT_ALLOWED');
    const weak = await call(server, 'POST', {}, { ...ADMIN, password: 'short' });
    expect(weak.body.error?.code).to.equal('PASSWORD_TOO_WEAK');
    expect(await server.accounts.count()).to.equal(0);
  });

  it('no link when an account existed at start', async () => {
    await server.accounts.create({ ...ADMIN, isAdmin: true });
    await server.close();
    server = await startTestServer({ DATABASE_PATH: path.join(dir, 'rr.db') }, { plugins: [], webRoot: dir, agentRoot: dir });
    expect(server.setupLink()).to.equal(null);
    expect((await call(server, 'GET')).body).to.deep.equal({ needed: false, allowed: false });
  });
});
