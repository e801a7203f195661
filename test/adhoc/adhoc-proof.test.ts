import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADHOC_KDF, fromBase64Url, sdpFingerprint, sdpFingerprints, toBase64Url } from '../../protocol/adhoc-proof.ts';
import { controlMessageSchema, type ControlMessage } from '../../protocol/channels.ts';
import type { PeerSession } from '../../rtc/peer-session.ts';
import { runAuthGate, shortAuthString as agentSas, type AuthOutcome } from '../../agent/adhoc/auth-gate.ts';
import { systemClock } from '../../protocol/clock.ts';
import { PairingStore } from '../../agent/adhoc/pairing-store.ts';
import { PasswordVerifier, decodePhc } from '../../agent/adhoc/password-verifier.ts';
import { deriveKey } from './derive-key.ts';
import { tapControl } from './helpers.ts';
import {
  AdhocClientError,
  deriveAdhocKey,
  proofMac,
  proveAdhocPassword,
  shortAuthString as consoleSas,
  technicianView,
} from '../../web/console/adhoc/adhoc-client.ts';
import { makePair, type Pair } from '../../testkit/rtc-pair.ts';

const PASSWORD = 'Lamp-Orbit-97-Quill!';
type Proof = Extract<ControlMessage, { type: 'auth.proof' }>;
type Challenge = Extract<ControlMessage, { type: 'auth.challenge' }>;

function nextControl<T extends ControlMessage['type']>(peer: PeerSession, type: T): Promise<Extract<ControlMessage, { type: T }>> {
  return new Promise((resolve) => {
    const off = peer.on('control', (m) => {
      if (m.type !== type) return;
      off();
      resolve(m as Extract<ControlMessage, { type: T }>);
    });
  });
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as AdhocClientError).code;
  }
  return 'no error';
}

describe('ad hoc proof: K derivation and fingerprints', function () {
  this.timeout(30_000);

  it('derives the same K with hash-wasm (console) and @node-rs/argon2 (agent)', async () => {
    const salt = fromBase64Url('AAECAwQFBgcICQoLDA0ODw');
    expect(salt.length).to.equal(ADHOC_KDF.saltBytes);
    let t = performance.now();
    const wasm = await deriveAdhocKey(PASSWORD, salt);
    const wasmMs = performance.now() - t;
    t = performance.now();
    const native = await deriveKey(PASSWORD, salt);
    const nativeMs = performance.now() - t;
    console.log(`      argon2id K (64 MiB, t=3, p=1): hash-wasm ${wasmMs.toFixed(0)} ms, @node-rs/argon2 ${nativeMs.toFixed(0)} ms`);
    expect(wasm.length).to.equal(32);
    expect(Buffer.from(wasm).equals(native)).to.equal(true);
    expect(Buffer.from(await deriveAdhocKey('Other-Password-42!', salt)).equals(native)).to.equal(false);
  });

  it('reads session- and media-level fingerprints, case-insensitively, de-duplicated', () => {
    const sdp = [
      'v=0',
      'a=fingerprint:SHA-256 AB:CD:EF:01',
      'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
      'a=fingerprint:sha-256 ab:cd:ef:01',
      'm=video 9 UDP/TLS/RTP/SAVPF 96',
      'a=fingerprint:sha-256 AB:cd:EF:01\r',
      '',
    ].join('\r\n');
    expect(sdpFingerprints(sdp)).to.deep.equal(['sha-256 ab:cd:ef:01']);
    expect(sdpFingerprint('v=0\r\na=fingerprint:sha-1 00:11\na=fingerprint:sha-256 FF:EE\n')).to.equal('sha-1 00:11,sha-256 ff:ee');
    expect(() => sdpFingerprint('v=0\r\n')).to.throw(/No DTLS fingerprint/);
    expect(() => sdpFingerprint(undefined)).to.throw(/No DTLS fingerprint/);
  });

  it('auth messages on the wire: salt and cost in the challenge; a key or a MAC in the proof, never a password', () => {
    const nonce = 'n'.repeat(32);
    const b32 = toBase64Url(new Uint8Array(32));
    const salt = toBase64Url(new Uint8Array(16));
    const kdf = { memoryKiB: 65_536, iterations: 3, parallelism: 1 };
    for (const ok of [
      { type: 'auth.challenge', nonce, mode: 'setup', salt, kdf },
      { type: 'auth.challenge', nonce, mode: 'verify', salt, kdf },
      { type: 'auth.proof', nonce, key: b32 },
      { type: 'auth.proof', nonce, mac: b32 },
    ]) {
      expect(controlMessageSchema.safeParse(ok).success, JSON.stringify(ok)).to.equal(true);
    }
    for (const bad of [
      { type: 'auth.challenge', nonce, mode: 'verify' },
      { type: 'auth.challenge', nonce, mode: 'verify', salt: 'short', kdf },
      { type: 'auth.proof', nonce, password: PASSWORD },
      { type: 'auth.proof', nonce, mac: `${b32}AA` },
      { type: 'auth.proof', nonce, key: 'not base64url!' },
    ]) {
      expect(controlMessageSchema.safeParse(bad).success, JSON.stringify(bad)).to.equal(false);
    }
  });

  it('round-trips base64url', () => {
    const bytes = Uint8Array.from({ length: 32 }, (_, i) => i * 8 + 3);
    expect(toBase64Url(bytes)).to.match(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(fromBase64Url(toBase64Url(bytes))).equals(Buffer.from(bytes))).to.equal(true);
  });
});

describe('ad hoc proof over real peer connections (no server)', function () {
  this.timeout(60_000);
  let dir: string;
  let verifier: PasswordVerifier;
  const pairs: Pair[] = [];

  /** A technician (impolite) and an agent (polite) peer session, connected directly. */
  function connectPair(): Pair {
    const p = makePair();
    pairs.push(p);
    return p;
  }
  function gate(agent: PeerSession, mode: 'setup' | 'verify', extra: { onSas?: (s: string) => void; failures?: number[] } = {}): Promise<AuthOutcome> {
    return runAuthGate({
      peer: agent,
      verifier,
      mode,
      maxTries: 1,
      proofTimeoutMs: 20_000,
      onProofFailed: () => extra.failures?.push(1),
      ...(extra.onSas ? { onSas: extra.onSas } : {}),
    });
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rr-adhoc-proof-'));
    const store = new PairingStore(join(dir, 'adhoc'));
    await store.init();
    verifier = new PasswordVerifier(store, systemClock);
    // Pairing: the console sends K, never the password; both sides show the same SAS.
    const { tech, cust: agent } = connectPair();
    const traffic: string[] = [];
    tapControl(tech, traffic);
    let agentShown = '';
    const outcome = gate(agent, 'setup', { onSas: (s) => (agentShown = s) });
    let consoleShown = '';
    const sas = await proveAdhocPassword(tech, PASSWORD, { pairing: true, timeoutMs: 20_000, onSas: (s) => (consoleShown = s) });
    expect(await outcome).to.deep.equal({ ok: true, mode: 'setup' });
    expect(sas).to.match(/^\d{3} \d{3}$/);
    expect(consoleShown).to.equal(sas);
    expect(agentShown, 'the same SAS on the agent and the console').to.equal(sas);
    // The setup proof carries K, which is what the agent stored; the password is nowhere.
    const proof = traffic.map((t) => JSON.parse(t) as ControlMessage).find((m): m is Proof => m.type === 'auth.proof')!;
    expect(proof.key).to.match(/^[A-Za-z0-9_-]{43}$/);
    expect(Object.keys(proof)).to.not.include('password');
    const stored = decodePhc(readFileSync(join(dir, 'adhoc', 'password.argon2id'), 'utf8'))!;
    expect(stored.key.equals(Buffer.from(fromBase64Url(proof.key!)))).to.equal(true);
    expect(traffic.join('\n')).to.not.include(PASSWORD);
  });
  afterEach(() => {
    for (const p of pairs.splice(0)) p.close();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts the right password with a MAC only: the password crosses no data channel', async () => {
    const { tech, cust: agent } = connectPair();
    const traffic: string[] = [];
    tapControl(tech, traffic);
    const outcome = gate(agent, 'verify');
    await proveAdhocPassword(tech, PASSWORD, { pairing: false, timeoutMs: 20_000 });
    expect(await outcome).to.deep.equal({ ok: true, mode: 'verify' });
    const messages = traffic.map((t) => JSON.parse(t) as ControlMessage);
    expect(messages.map((m) => m.type)).to.deep.equal(['auth.challenge', 'auth.proof', 'auth.result']);
    const proof = messages[1] as Proof;
    expect(proof.mac).to.match(/^[A-Za-z0-9_-]{43}$/);
    expect(proof.key, 'no key after pairing').to.equal(undefined);
    expect(traffic.join('\n')).to.not.include(PASSWORD);
  });

  it('refuses a proof computed over another remote fingerprint (what a man-in-the-middle presents): ADHOC_AUTH_FAILED', async () => {
    const { tech, cust: agent } = connectPair();
    const failures: number[] = [];
    const outcome = gate(agent, 'verify', { failures });
    const challenge = await nextControl(tech, 'auth.challenge');
    const key = await deriveAdhocKey(PASSWORD, fromBase64Url(challenge.salt));
    const view = technicianView(tech);
    const mitmFingerprint = view.agentFingerprint.replace(/[0-9a-f]{2}$/, (h) => (h === '00' ? '01' : '00'));
    const result = nextControl(tech, 'auth.result');
    tech.send('control', { type: 'auth.proof', nonce: challenge.nonce, mac: toBase64Url(await proofMac(key, challenge.nonce, { ...view, agentFingerprint: mitmFingerprint })) });
    expect(await result).to.deep.include({ ok: false, code: 'ADHOC_AUTH_FAILED' });
    expect(await outcome).to.deep.equal({ ok: false, reason: 'wrong_password' });
    expect(failures).to.have.length(1);
  });

  it('defeats a relaying man-in-the-middle: the agent refuses, and the two SAS differ', async () => {
    // technician <-> MITM (pair 1) and MITM <-> agent (pair 2); the MITM forwards every control message.
    const toTech = connectPair();
    const toAgent = connectPair();
    const tech = toTech.tech;
    const agent = toAgent.cust;
    toTech.cust.on('control', (m) => void toAgent.tech.send('control', m));
    toAgent.tech.on('control', (m) => void toTech.cust.send('control', m));
    await Promise.all([toTech.cust.waitOpen(['control']), toAgent.tech.waitOpen(['control'])]);
    const seenByMitm: string[] = [];
    toTech.cust.on('control', (m) => seenByMitm.push(JSON.stringify(m)));
    let agentShown = '';
    const outcome = gate(agent, 'verify', { onSas: (s) => (agentShown = s) });
    let consoleShown = '';
    const code = await codeOf(proveAdhocPassword(tech, PASSWORD, { pairing: false, timeoutMs: 20_000, onSas: (s) => (consoleShown = s) }));
    expect(code).to.equal('ADHOC_AUTH_FAILED');
    expect(await outcome).to.deep.equal({ ok: false, reason: 'wrong_password' });
    expect(seenByMitm.join('\n'), 'the MITM never sees the password').to.not.include(PASSWORD);
    // The SAS (shown at pairing) tells the two ends apart.
    const a = technicianView(tech);
    const b = { local: sdpFingerprint(agent.pc.localDescription?.sdp), remote: sdpFingerprint(agent.pc.remoteDescription?.sdp) };
    expect(consoleShown).to.equal(await consoleSas(a.technicianFingerprint, a.agentFingerprint));
    expect(agentShown, 'verify shows no SAS on the agent').to.equal('');
    expect(agentSas(b.local, b.remote)).to.not.equal(consoleShown);
  });

  it('refuses a proof captured on one connection and replayed on another with a fresh nonce', async () => {
    // Connection 1: an honest proof, captured.
    const first = connectPair();
    const captured: Proof[] = [];
    first.cust.on('control', (m) => void (m.type === 'auth.proof' && captured.push(m)));
    const ok = gate(first.cust, 'verify');
    await proveAdhocPassword(first.tech, PASSWORD, { pairing: false, timeoutMs: 20_000 });
    expect((await ok).ok).to.equal(true);
    expect(captured).to.have.length(1);
    // Connection 2: the attacker answers the fresh challenge with the captured MAC.
    const second = connectPair();
    const outcome = gate(second.cust, 'verify');
    const challenge: Challenge = await nextControl(second.tech, 'auth.challenge');
    expect(challenge.nonce).to.not.equal(captured[0]!.nonce);
    const result = nextControl(second.tech, 'auth.result');
    second.tech.send('control', { type: 'auth.proof', nonce: challenge.nonce, mac: captured[0]!.mac! });
    expect(await result).to.deep.include({ ok: false, code: 'ADHOC_AUTH_FAILED' });
    expect(await outcome).to.deep.equal({ ok: false, reason: 'wrong_password' });
  });

  it('refuses a challenge with weaker argon2id parameters (no downgrade by a man-in-the-middle)', async () => {
    const { tech, cust: fakeAgent } = connectPair();
    await fakeAgent.waitOpen(['control']);
    const done = proveAdhocPassword(tech, PASSWORD, { pairing: false, timeoutMs: 20_000 });
    const proofs: Proof[] = [];
    fakeAgent.on('control', (m) => void (m.type === 'auth.proof' && proofs.push(m)));
    fakeAgent.send('control', { type: 'auth.challenge', nonce: 'x'.repeat(32), mode: 'verify', salt: toBase64Url(new Uint8Array(16)), kdf: { memoryKiB: 8, iterations: 1, parallelism: 1 } });
    expect(await codeOf(done)).to.equal('ADHOC_AUTH_FAILED');
    await new Promise((r) => setTimeout(r, 100));
    expect(proofs, 'nothing was sent').to.deep.equal([]);
  });
});
