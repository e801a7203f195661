import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHmac, webcrypto } from 'node:crypto';
import { pino } from 'pino';
import Database from 'better-sqlite3';
import { ADHOC_STATES, checkPasswordStrength, generatePassword, securityCodeSchema, type AdhocState } from '../../protocol/adhoc.ts';
import { RescueError } from '../../protocol/errors.ts';
import { ADHOC_TRANSITIONS, assertTransition, canTransition } from '../../signaling/adhoc/adhoc-state.ts';
import { IllegalTransitionError } from '../../protocol/state-table.ts';
import { AdhocService, type Peer } from '../../signaling/adhoc/adhoc-service.ts';
import { composeDeploymentEmail, sendDeploymentEmail } from '../../signaling/adhoc/mailer.ts';
import { deploymentPage } from '../../signaling/adhoc/deploy-page.ts';
import { SqliteAdhoc } from '../../signaling/store/sqlite-adhoc.ts';
import { PairingStore } from '../../agent/adhoc/pairing-store.ts';
import { LOCK_MS, MAX_FAILURES, PasswordVerifier } from '../../agent/adhoc/password-verifier.ts';
import { deriveKey } from './derive-key.ts';
import { proofTranscript } from '../../protocol/adhoc-proof.ts';
import { fakeClock } from '../../testkit/server.ts';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'rr-adhoc-unit-'));

async function codeOf(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
  } catch (err) {
    return (err as RescueError).code;
  }
  return 'no error';
}

describe('ad hoc password rules (protocol/adhoc.ts)', () => {
  for (const weak of ['short1!A', 'password1234', 'Password1234!', 'aaaaaaaaaaaaaaa', '123456789012', 'qwertyuiop12', 'abcdefghijklmnop']) {
    it(`rejects ${JSON.stringify(weak)}`, () => expect(checkPasswordStrength(weak).ok).to.equal(false));
  }
  for (const strong of ['kX9#mP2$vL7q', 'correct horse battery staple', 'Lamp-Orbit-97-Quill!']) {
    it(`accepts ${JSON.stringify(strong)}`, () => expect(checkPasswordStrength(strong).ok).to.equal(true));
  }
  it('generates passwords that pass and differ', () => {
    const random = (b: Uint8Array) => webcrypto.getRandomValues(b);
    const a = generatePassword(random);
    expect(a).to.match(/^[A-Za-z2-9]{5}(-[A-Za-z2-9]{5}){3}$/);
    expect(checkPasswordStrength(a).ok).to.equal(true);
    expect(generatePassword(random)).to.not.equal(a);
  });
  it('reads security codes with or without dashes', () => {
    expect(securityCodeSchema.parse('123-456-789')).to.equal('123456789');
    expect(securityCodeSchema.safeParse('12345678').success).to.equal(false);
  });
});

/** docs/adhoc.md's lifecycle, written out independently of the table: forward one step at a time, and ended/expired from any live state. */
const ADHOC_ALLOWED: [AdhocState, AdhocState][] = [
  ['prepared', 'downloaded'],
  ['prepared', 'ended'],
  ['prepared', 'expired'],
  ['downloaded', 'code_entered'],
  ['downloaded', 'ended'],
  ['downloaded', 'expired'],
  ['code_entered', 'paired'],
  ['code_entered', 'ended'],
  ['code_entered', 'expired'],
  ['paired', 'ended'],
  ['paired', 'expired'],
];

describe('ad hoc state table (signaling/adhoc/adhoc-state.ts)', () => {
  it('the table has exactly the documented edges', () => {
    const edges = ADHOC_STATES.flatMap((from) => ADHOC_TRANSITIONS[from].map((to) => [from, to]));
    expect(edges).to.have.deep.members(ADHOC_ALLOWED);
    expect(edges).to.have.length(ADHOC_ALLOWED.length);
  });
  for (const from of ADHOC_STATES) {
    for (const to of ADHOC_STATES) {
      const allowed = ADHOC_ALLOWED.some(([a, b]) => a === from && b === to);
      it(`${from} -> ${to}: ${allowed ? 'allowed' : 'refused'}`, () => {
        expect(canTransition(from, to)).to.equal(allowed);
        if (allowed) expect(() => assertTransition(from, to)).to.not.throw();
        else expect(() => assertTransition(from, to)).to.throw(IllegalTransitionError, `ad hoc session: illegal transition ${from} -> ${to}`);
      });
    }
  }
});

describe('ad hoc service: seats, one per technician, security codes', () => {
  const ann = { id: 'a1', name: 'Ann', email: 'ann@example.test' };
  const bob = { id: 'b1', name: 'Bob', email: 'bob@example.test' };
  let seats: number | null;
  let service: AdhocService;
  const peer = (): Peer & { got: { type: string; code?: string; message?: string }[] } => {
    const got: { type: string }[] = [];
    return { got, send: (m) => got.push(m) };
  };
  beforeEach(() => {
    seats = 1;
    const { clock } = fakeClock();
    service = new AdhocService({
      store: new SqliteAdhoc(new Database(':memory:')),
      mail: { host: undefined, port: 587, secure: false, user: undefined, pass: undefined, from: undefined, outboxDir: '/nonexistent' },
      publicUrl: () => 'http://127.0.0.1:1',
      clock,
      logger: pino({ level: 'silent' }),
      seats: () => seats,
      audit: { open: () => undefined, record: () => undefined, close: () => undefined, flush: async () => undefined },
      iceConfig: () => ({ iceServers: [], iceTransportPolicy: 'all', turnConfigured: false }),
      sendEmail: async () => 'outbox',
    });
  });
  afterEach(() => service.close());

  it('refuses a second live session of the same technician (ADHOC_ALREADY_ACTIVE)', async () => {
    await service.create(ann, 'u@example.test');
    const err = await service.create(ann, 'v@example.test').catch((e: RescueError) => e);
    expect((err as RescueError).code).to.equal('ADHOC_ALREADY_ACTIVE');
  });

  it('refuses when every seat is held (NO_SEAT_FREE), and frees it when the session ends', async () => {
    const first = await service.create(ann, 'u@example.test');
    const err = await service.create(bob, 'v@example.test').catch((e: RescueError) => e);
    expect((err as RescueError).code).to.equal('NO_SEAT_FREE');
    expect((err as RescueError).message).to.match(/set-seats/);
    await service.end(ann.id, first.session.adhocId);
    expect((await service.create(bob, 'v@example.test')).session.state).to.equal('prepared');
  });

  it('treats unset seats as unlimited and 0 seats as none', async () => {
    seats = null;
    await service.create(ann, 'u@example.test');
    await service.create(bob, 'v@example.test');
    seats = 0;
    const err = await service.create({ id: 'c1', name: 'C', email: 'c@example.test' }, 'w@example.test').catch((e: RescueError) => e);
    expect((err as RescueError).code).to.equal('NO_SEAT_FREE');
  });

  it('voids the code after 5 wrong ones (the right one no longer works), and a new code works', async () => {
    const created = await service.create(ann, 'u@example.test');
    const token = created.deploymentUrl.split('/adhoc/')[1]!;
    const agent = peer();
    await service.agentHello(agent, token, undefined);
    const right = created.securityCode.replace(/-/g, '');
    const wrong = right === '000000000' ? '111111111' : '000000000';
    for (let i = 0; i < 5; i++) expect(await codeOf(() => service.agentCode(agent, token, wrong, 'pc', '10.0.0.1', undefined))).to.equal('SECURITY_CODE_INVALID');
    expect(await codeOf(() => service.agentCode(agent, token, right, 'pc', '10.0.0.1', undefined))).to.equal('SECURITY_CODE_INVALID');
    const fresh = await service.newCode(ann.id, created.session.adhocId);
    expect(await service.agentCode(agent, token, fresh.securityCode.replace(/-/g, ''), 'pc', '10.0.0.1', undefined)).to.equal(created.session.adhocId);
    expect(agent.got.at(-1)?.type).to.equal('adhoc.code_accepted');
    // Single use: the link and the code are spent.
    expect(await codeOf(() => service.agentHello(peer(), token, undefined))).to.equal('SESSION_BAD_STATE');
  });

  it('locks an address out after 10 wrong codes across sessions (CODE_LOCKED_OUT)', async () => {
    seats = null;
    const codes: string[] = [];
    for (let i = 0; i < 3; i++) {
      const c = await service.create({ id: `t${i}`, name: 'T', email: `t${i}@example.test` }, 'u@example.test');
      const token = c.deploymentUrl.split('/adhoc/')[1]!;
      await service.agentHello(peer(), token, undefined);
      codes.push(token);
    }
    let locked = '';
    for (let i = 0; i < 12 && !locked; i++) {
      const code = await codeOf(() => service.agentCode(peer(), codes[Math.floor(i / 4)]!, '999999999', 'pc', '10.0.0.9', undefined));
      if (code === 'CODE_LOCKED_OUT') locked = `after ${i}`;
    }
    expect(locked).to.equal('after 10');
  });

  it('12 wrong codes from one address sent at once get 10 checks: tries in flight count against the lockout', async () => {
    seats = null;
    const tokens: string[] = [];
    for (let i = 0; i < 3; i++) {
      const c = await service.create({ id: `p${i}`, name: 'T', email: `p${i}@example.test` }, 'u@example.test');
      const token = c.deploymentUrl.split('/adhoc/')[1]!;
      await service.agentHello(peer(), token, undefined);
      tokens.push(token);
    }
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => codeOf(() => service.agentCode(peer(), tokens[Math.floor(i / 4)]!, '999999999', 'pc', '10.0.0.7', undefined))));
    expect(answers.filter((a) => a === 'SECURITY_CODE_INVALID')).to.have.length(10);
    expect(answers.filter((a) => a === 'CODE_LOCKED_OUT')).to.have.length(2);
  });

  it('a right code gives its place back: it does not count toward the lockout', async () => {
    seats = null;
    const c = await service.create(ann, 'u@example.test');
    const token = c.deploymentUrl.split('/adhoc/')[1]!;
    await service.agentHello(peer(), token, undefined);
    expect(await service.agentCode(peer(), token, c.securityCode.replace(/-/g, ''), 'pc', '10.0.0.8', undefined)).to.equal(c.session.adhocId);
    const others: string[] = [];
    for (let i = 0; i < 3; i++) {
      const d = await service.create({ id: `q${i}`, name: 'T', email: `q${i}@example.test` }, 'u@example.test');
      const t = d.deploymentUrl.split('/adhoc/')[1]!;
      await service.agentHello(peer(), t, undefined);
      others.push(t);
    }
    const answers: string[] = [];
    for (let i = 0; i < 11; i++) answers.push(await codeOf(() => service.agentCode(peer(), others[Math.floor(i / 4)]!, '999999999', 'pc', '10.0.0.8', undefined)));
    expect(answers.slice(0, 10)).to.deep.equal(Array(10).fill('SECURITY_CODE_INVALID'));
    expect(answers[10]).to.equal('CODE_LOCKED_OUT');
  });
});

describe('ad hoc email without SMTP: the outbox', () => {
  it('writes a 0600 .eml with the link to OUTBOX_DIR', async () => {
    const dir = tmp();
    const outbox = join(dir, 'outbox');
    const delivery = await sendDeploymentEmail(
      { host: undefined, port: 587, secure: false, user: undefined, pass: undefined, from: undefined, outboxDir: outbox },
      { to: 'u@example.test', technicianName: 'Ann', deploymentUrl: 'http://127.0.0.1:1/adhoc/TOKEN_abcdefghijklmnop', serverUrl: 'http://127.0.0.1:1', deploymentToken: 'TOKEN_abcdefghijklmnop', adhocId: 'ah_x' },
    );
    expect(delivery).to.equal('outbox');
    const files = readdirSync(outbox);
    expect(files).to.have.length(1);
    expect(statSync(join(outbox, files[0]!)).mode & 0o777).to.equal(0o600);
    expect(readFileSync(join(outbox, files[0]!), 'utf8')).to.include('/adhoc/TOKEN_abcdefghijklmnop');
    rmSync(dir, { recursive: true, force: true });
  });

  it('says what to do in plain words, with no npm or command line in it', () => {
    const mail = composeDeploymentEmail({ to: 'u@example.test', technicianName: 'Ann', deploymentUrl: 'http://127.0.0.1:1/adhoc/TOKEN_abcdefghijklmnop', serverUrl: 'http://127.0.0.1:1', deploymentToken: 'TOKEN_abcdefghijklmnop', adhocId: 'ah_x' });
    expect(mail.text).to.contain('download the support program and open it').and.contain('type the code Ann gives you');
    expect(mail.text).to.not.match(/\bnpm\b|--server|--adhoc|curl/);
  });
});

describe('ad hoc deployment page', () => {
  it('offers the one file carrying the ad hoc token, the steps in plain words, and the one-file command', () => {
    const page = deploymentPage('http://127.0.0.1:1', 'TOKEN_abcdefghijklmnop');
    expect(page).to.contain('<a class="download" data-testid="adhoc-download" href="http://127.0.0.1:1/download/linux?adhoc=TOKEN_abcdefghijklmnop" download="relay-rescue-support-linux-x64">');
    expect(page).to.contain('Allow executing file as program');
    expect(page).to.contain("curl -fsSLo relay-rescue-support-linux-x64 &#39;http://127.0.0.1:1/download/linux?adhoc=TOKEN_abcdefghijklmnop&#39; &#38;&#38; chmod +x relay-rescue-support-linux-x64 &#38;&#38; ./relay-rescue-support-linux-x64");
  });
});

describe('agent pairing store and password verifier', () => {
  it('keeps files 0600 in a 0700 dir and destroy() removes them all and the dir', async () => {
    const dir = join(tmp(), 'adhoc');
    const store = new PairingStore(dir);
    await store.init();
    await store.savePairing({ serverUrl: 'http://x', adhocId: 'ah_x', agentToken: 't', technicianName: 'Ann', pairedAt: null, expiresAt: null });
    await store.saveHash('$argon2id$x');
    await store.saveLockout({ failures: 1, lockedUntil: 0 });
    expect(statSync(dir).mode & 0o777).to.equal(0o700);
    for (const f of readdirSync(dir)) expect(statSync(join(dir, f)).mode & 0o777, f).to.equal(0o600);
    await store.destroy();
    expect(existsSync(dir)).to.equal(false);
  });

  it('stores K once (never replaced), accepts the right MAC, and locks after 5 wrong ones', async () => {
    const { clock, fake } = fakeClock();
    const store = new PairingStore(join(tmp(), 'adhoc'));
    await store.init();
    const v = new PasswordVerifier(store, clock);
    expect(await v.setup(new Uint8Array(32)).catch((e: RescueError) => e.code), 'no setup challenge yet').to.equal('FORBIDDEN');
    const { salt } = await v.challengeParams('setup');
    const key = await deriveKey('Lamp-Orbit-97-Quill!', salt);
    await v.setup(key);
    expect(await v.setup(new Uint8Array(32)).catch((e: RescueError) => e.code)).to.equal('FORBIDDEN');
    expect((await v.challengeParams('verify')).salt.equals(salt)).to.equal(true);
    const view = { local: 'sha-256 aa:01', remote: 'sha-256 bb:02' };
    const nonce = 'n'.repeat(32);
    const mac = (k: Uint8Array) => createHmac('sha256', k).update(proofTranscript(nonce, { technicianFingerprint: view.remote, agentFingerprint: view.local })).digest();
    const wrongKey = await deriveKey('Wrong-Password-123!', salt);
    expect(await v.verify(nonce, mac(key), view)).to.deep.equal({ ok: true });
    for (let i = 1; i < MAX_FAILURES; i++) expect((await v.verify(nonce, mac(wrongKey), view)).ok).to.equal(false);
    expect(await v.verify(nonce, mac(wrongKey), view)).to.deep.include({ ok: false, code: 'RATE_LIMITED' });
    // Locked: even the right proof is not heard until the lock passes.
    expect(await v.verify(nonce, mac(key), view)).to.deep.include({ ok: false, code: 'RATE_LIMITED' });
    fake.tick(LOCK_MS + 1);
    expect(await v.verify(nonce, mac(key), view)).to.deep.equal({ ok: true });
    await store.destroy();
  });
});
