import { expect } from 'chai';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ADHOC_VALIDITY_MS } from '../../protocol/adhoc.ts';
import type { PeerSession } from '../../rtc/peer-session.ts';
import { AdhocClientError } from '../../web/console/adhoc/adhoc-client.ts';
import {
  FakeSupport,
  decodeQuotedPrintable,
  logIn,
  runAgent,
  startHarness,
  startMailSink,
  tapControl,
  technician,
  waitFor,
  type Harness,
  type Tech,
} from './helpers.ts';

const PASSWORD = 'Lamp-Orbit-97-Quill!';
const HOUR = 60 * 60 * 1000;

async function expectRefused(p: Promise<unknown>, code: string): Promise<void> {
  try {
    await p;
  } catch (err) {
    expect((err as AdhocClientError).code).to.equal(code);
    return;
  }
  expect.fail(`expected ${code}`);
}

/**
 * Moves the server's (and the agent's) fake clock. The heartbeat runs on that
 * clock, so a jump of an hour with nobody able to answer a ping drops both
 * sockets, as a server drops peers that went silent; this waits until the
 * console has reconnected and the agent is online again.
 */
async function jumpClock(h: Harness, tech: Tech, adhocId: string, ms: number): Promise<void> {
  const reconnects = tech.reconnects;
  const seen = tech.updates.length;
  h.clock.tick(ms);
  await waitFor(() => tech.reconnects > reconnects, 'the console reconnected after the clock jump');
  await waitFor(() => tech.updates.slice(seen).some((u) => u.adhocId === adhocId && u.online && u.state === 'paired'), 'the agent online again after the clock jump');
}

/** Sends input, a pointer move and a file offer as soon as the channels open, before any password is proven; records tracks. */
function pokeBeforeAuth(peer: PeerSession, tracks: unknown[]): void {
  peer.on('track', (t) => tracks.push(t));
  void peer.waitOpen(['input', 'pointer', 'files']).then(() => {
    peer.send('input', { type: 'key', code: 'KeyB', key: 'b', down: true });
    peer.send('pointer', { type: 'pointer.move', x: 0.5, y: 0.5 });
    peer.send('files', {
      type: 'file.offer',
      transferId: '0f8fad5b-d9cb-469f-a165-70867728950e',
      name: 'x.txt',
      size: 1,
      sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      chunkSize: 1024,
    });
  }, () => undefined);
}

describe('ad hoc support: the whole flow', function () {
  this.timeout(60_000);
  let h: Harness;
  let sink: Awaited<ReturnType<typeof startMailSink>>;

  before(async () => {
    sink = await startMailSink();
    // Logins outlive the 24 hours: the console must stay open to see the expiry (a lapsed login's console is closed).
    h = await startHarness({
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(sink.port),
      SMTP_SECURE: 'false',
      SMTP_FROM: 'Rescue <rescue@example.test>',
      LOGIN_SESSION_HOURS: '48',
    });
  });
  after(async () => {
    await h.close();
    await sink.close();
  });

  it('emails the link, pairs with a wrong then right code, connects twice an hour apart, refuses a wrong password, and expires after 24 hours', async () => {
    await h.server.accounts.setSeats(1);
    const tech = await technician(h, 'ann@example.test', 'Ann');

    // 1. Prepare: only the email crosses to the server; the code is shown once.
    const created = await tech.api.create('user@example.test');
    expect(created.delivery).to.equal('smtp');
    expect(created.securityCode).to.match(/^\d{3}-\d{3}-\d{3}$/);
    expect(created.session.state).to.equal('prepared');

    // The real SMTP sink got the email, with the link in it.
    await waitFor(() => sink.mails.length === 1, 'the email');
    const mail = sink.mails[0]!;
    expect(mail.to).to.equal('user@example.test');
    const body = decodeQuotedPrintable(mail.raw);
    const link = /(http:\/\/[^\s"<]+\/adhoc\/([A-Za-z0-9_-]{16,128}))/.exec(body);
    expect(link, 'a deployment link in the email').to.not.equal(null);
    const [, url, token] = link!;
    expect(url).to.equal(created.deploymentUrl);
    const page = await fetch(url!);
    expect(page.status).to.equal(200);
    expect(await page.text()).to.include(`RELAY_RESCUE_ADHOC_TOKEN=${token} bash -s`);

    // A second session while one is live: refused.
    await expectRefused(tech.api.create('other@example.test'), 'ADHOC_ALREADY_ACTIVE');
    // Another technician: the only seat is taken.
    const bob = await technician(h, 'bob@example.test', 'Bob');
    await expectRefused(bob.api.create('x@example.test'), 'NO_SEAT_FREE');

    // 2. The user runs the agent: a wrong code, then the right one.
    const codes = ['000-000-000', created.securityCode];
    if (codes[0] === created.securityCode) codes[0] = '111-111-111';
    const run = runAgent(h, { deploymentToken: token!, askSecurityCode: async (_t, attempt) => codes[attempt - 1]! });
    await waitFor(() => tech.updates.some((u) => u.state === 'code_entered'), 'code_entered');
    expect(tech.updates.map((u) => u.state)).to.include.members(['downloaded', 'code_entered']);
    expect(run.log.join('\n')).to.match(/not valid \(4 tries left\)/);

    // 3. Pairing: the console sets the password on the agent over the data channel.
    const pairingTraffic: string[] = [];
    const pairing = await tech.client.connect(created.session.adhocId, PASSWORD, { pairing: true, onPeer: (p) => tapControl(p, pairingTraffic) });
    // The setup proof carries K = argon2id(password, salt), not the password; both ends show the same SAS.
    expect(pairingTraffic.join('\n')).to.not.include(PASSWORD);
    expect(pairingTraffic.some((t) => /"type":"auth.proof".*"key":"[A-Za-z0-9_-]{43}"/.test(t))).to.equal(true);
    expect(pairing.sas).to.match(/^\d{3} \d{3}$/);
    expect(run.log.some((l) => l.includes(`it must be ${pairing.sas}.`)), 'the agent printed the same SAS').to.equal(true);
    await waitFor(() => tech.updates.some((u) => u.state === 'paired'), 'paired');
    const paired = tech.updates.filter((u) => u.state === 'paired').at(-1)!;
    expect(paired.expiresAt - paired.activatedAt!).to.equal(ADHOC_VALIDITY_MS);
    const hash = readFileSync(join(run.stateDir, 'password.argon2id'), 'utf8');
    expect(hash).to.match(/^\$argon2id\$/);
    expect(statSync(join(run.stateDir, 'password.argon2id')).mode & 0o777).to.equal(0o600);
    expect(statSync(run.stateDir).mode & 0o777).to.equal(0o700);
    pairing.close();

    // The Computers page lists it, online.
    const listed = await tech.client.list();
    expect(listed[0]).to.include({ adhocId: created.session.adhocId, state: 'paired', online: true, computerName: 'test-pc' });

    // 4. Two connections an hour apart, both with the password (proven by a MAC: the password never crosses the control channel).
    const controlTraffic: string[] = [];
    for (let i = 0; i < 2; i++) {
      if (i === 1) await jumpClock(h, tech, created.session.adhocId, HOUR);
      const before = FakeSupport.started.length;
      const conn = await tech.client.connect(created.session.adhocId, PASSWORD, { onPeer: (p) => tapControl(p, controlTraffic) });
      const tracks: unknown[] = [];
      conn.peer.on('track', (t) => tracks.push(t));
      await waitFor(() => FakeSupport.started.length > before, 'the support session');
      conn.peer.send('input', { type: 'key', code: 'KeyA', key: 'a', down: true });
      await waitFor(() => FakeSupport.started.at(-1)!.received.includes('input:key'), 'input after auth');
      await waitFor(() => tracks.length > 0, 'video after auth');
      conn.close();
    }

    // 5. A wrong password: refused by the agent; nothing sent before it reached the session, no video.
    const startedBefore = FakeSupport.started.length;
    const tracksBefore: unknown[] = [];
    const wrong = tech.client.connect(created.session.adhocId, 'Wrong-Password-123!', {
      onPeer: (peer) => {
        tapControl(peer, controlTraffic);
        pokeBeforeAuth(peer, tracksBefore);
      },
    });
    await expectRefused(wrong, 'ADHOC_AUTH_FAILED');
    expect(controlTraffic.filter((t) => t.includes('"auth.proof"'))).to.have.length(3);
    expect(controlTraffic.filter((t) => t.includes('"auth.proof"') && !/"mac":"[A-Za-z0-9_-]{43}"/.test(t)), 'only MACs after pairing').to.deep.equal([]);
    expect(controlTraffic.join('\n').includes(PASSWORD), 'no password on the control channel after pairing').to.equal(false);
    expect(controlTraffic.join('\n').includes('Wrong-Password-123!')).to.equal(false);
    expect(FakeSupport.started.length, 'no support session without the password').to.equal(startedBefore);
    expect(tracksBefore, 'no video without the password').to.deep.equal([]);

    const audited = async () => (await h.server.audit.events(created.session.adhocId)).map((e) => e.event);
    await waitFor(async () => (await audited()).includes('adhoc.auth_failed'), 'the failure in the audit log');

    // 6. 24 hours after activation the agent deletes everything and exits.
    h.clock.tick(ADHOC_VALIDITY_MS - HOUR + 1000);
    const exit = await run.done;
    expect(exit.reason).to.equal('expired');
    expect(existsSync(run.stateDir), 'the state dir is gone').to.equal(false);
    // The console's socket did not survive a day without pongs, nor its login: logged in again, Ann sees it expired.
    const annAgain = await logIn(h, 'ann@example.test');
    expect((await annAgain.client.list()).find((s) => s.adhocId === created.session.adhocId)?.state).to.equal('expired');

    // The seat is free again.
    const carol = await technician(h, 'carol@example.test', 'Carol');
    const next = await carol.api.create('y@example.test');
    expect(next.session.state).to.equal('prepared');

    // The audit log keeps the whole history.
    const events = (await h.server.audit.events(created.session.adhocId)).map((e) => e.event);
    expect(events).to.deep.equal([
      'adhoc.created',
      'adhoc.paired',
      'adhoc.connected',
      'adhoc.connected',
      'adhoc.connected',
      'adhoc.auth_failed',
      'adhoc.ended',
    ]);

    // The password never reached the server: not in its database, its log, or anything sent to it.
    const dbFiles = readdirSync(h.dir).filter((f) => f.endsWith('.db') || f.endsWith('.db-wal'));
    expect(dbFiles.length).to.be.greaterThan(0);
    for (const f of dbFiles) expect(readFileSync(join(h.dir, f)).includes(Buffer.from(PASSWORD)), f).to.equal(false);
    expect(h.logLines.join('').includes(PASSWORD)).to.equal(false);
    expect(tech.sent.join('\n').includes(PASSWORD)).to.equal(false);
    expect(run.toServer.join('\n').includes(PASSWORD)).to.equal(false);
    expect(tech.sent.length).to.be.greaterThan(5);
    expect(h.logLines.join('').includes(created.securityCode.replace(/-/g, ''))).to.equal(false);

    tech.client.close();
    annAgain.client.close();
    bob.client.close();
    carol.client.close();
  });
});
