import { expect } from 'chai';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { promisify } from 'node:util';
import { mintTurnCredentials } from '../../turn/credentials.ts';
import { connectPair, gatherCandidates } from '../../turn/relay-probe.ts';
import { wrtc } from '../../turn/wrtc.ts';
import { runTurnProcess, type Coturn } from './helpers/coturn.ts';
import { freeUdpTcpPort, freeUdpWindow } from './helpers/ports.ts';

const START = join(import.meta.dirname, '../../turn/start.sh');
const run = promisify(execFile);

async function startSh(env: Record<string, string>, args: string[] = []): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run('bash', [START, ...args], { env: { PATH: process.env.PATH, ...env }, timeout: 10_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('turn: start.sh validates its environment', () => {
  const secret = 'a'.repeat(64);
  const cases: [string, Record<string, string>, RegExp][] = [
    ['no TURN_SECRET', {}, /TURN_SECRET is required/],
    ['a short TURN_SECRET', { TURN_SECRET: 'short' }, /TURN_SECRET is too short/],
    ['the template placeholder as secret', { TURN_SECRET: 'CHANGE_ME_openssl_rand_hex_32' }, /placeholder/],
    ['a TURN_CERT without TURN_KEY', { TURN_SECRET: secret, TURN_CERT: '/etc/hostname' }, /both TURN_CERT and TURN_KEY/],
    ['an unreadable TURN_CERT', { TURN_SECRET: secret, TURN_CERT: '/nonexistent.pem', TURN_KEY: '/nonexistent.key' }, /TURN_CERT is not a readable file/],
    ['a TURN_CERT that is not PEM', { TURN_SECRET: secret, TURN_CERT: '/etc/hostname', TURN_KEY: '/etc/hostname' }, /does not look like a PEM certificate/],
    ['a bad TURN_PORT', { TURN_SECRET: secret, TURN_PORT: '70000' }, /TURN_PORT must be a port number/],
    ['a relay range upside down', { TURN_SECRET: secret, TURN_MIN_PORT: '60000', TURN_MAX_PORT: '50000' }, /TURN_MIN_PORT .* must not be above/],
    ['TURN_PORT inside the relay range', { TURN_SECRET: secret, TURN_PORT: '50000' }, /lies inside the relay range/],
    ['a bad TURN_EXTERNAL_IP', { TURN_SECRET: secret, TURN_EXTERNAL_IP: 'my-host' }, /TURN_EXTERNAL_IP/],
    ['a bad TURN_MAX_BPS', { TURN_SECRET: secret, TURN_MAX_BPS: '-1' }, /TURN_MAX_BPS must be a non-negative integer/],
  ];
  for (const [name, env, message] of cases) {
    it(`refuses ${name} with a message naming the variable`, async () => {
      const r = await startSh(env, ['--dry-run']);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.match(message);
    });
  }

  it('--dry-run renders the production settings and masks the secret', async () => {
    const r = await startSh({ TURN_SECRET: secret, TURN_REALM: 'turn.acme.test', TURN_EXTERNAL_IP: '198.51.100.7/10.0.0.5' }, ['--dry-run']);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.not.contain(secret);
    for (const line of [
      'use-auth-secret',
      'static-auth-secret=********',
      'realm=turn.acme.test',
      'external-ip=198.51.100.7/10.0.0.5',
      'denied-peer-ip=10.0.0.0-10.255.255.255',
      'denied-peer-ip=127.0.0.0-127.255.255.255',
      'denied-peer-ip=192.168.0.0-192.168.255.255',
      'denied-peer-ip=fc00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
      'no-multicast-peers',
      'no-cli',
      'no-tls',
      'user-quota=12',
      'max-bps=2500000',
    ]) {
      expect(r.stdout.split('\n'), line).to.include(line);
    }
    // Each managed key appears once (the template's own line was replaced).
    expect(r.stdout.match(/^realm=/gm)).to.have.length(1);
    expect(r.stdout).to.not.match(/^cert=/m);
    expect(r.stdout).to.not.match(/^allow-loopback-peers/m);
  });

  it('TURN_SECRET_FILE with two lines (a rotation) renders two static-auth-secret lines, both masked', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rr-start-sh-secret-'));
    try {
      const file = join(dir, 'turn-secret');
      writeFileSync(file, `${'n'.repeat(32)}\r\n\n  ${'o'.repeat(32)}  \n`, { mode: 0o600 });
      const r = await startSh({ TURN_SECRET_FILE: file }, ['--dry-run']);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout.match(/^static-auth-secret=.*$/gm)).to.deep.equal(['static-auth-secret=********', 'static-auth-secret=********']);
      writeFileSync(file, `${'n'.repeat(32)}\nshort\n`);
      expect((await startSh({ TURN_SECRET_FILE: file }, ['--dry-run'])).stderr).to.match(/TURN_SECRET is too short \(5 characters/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('turn: coturn accepts credentials minted with any line of TURN_SECRET_FILE (rotation, loopback)', function () {
  this.timeout(40_000);
  let dir: string;
  let coturn: Coturn | undefined;
  const newSecret = 'n'.repeat(40);
  const oldSecret = 'o'.repeat(40);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rr-start-sh-rotate-'));
    const file = join(dir, 'turn-secret');
    writeFileSync(file, `${newSecret}\n${oldSecret}\n`, { mode: 0o600 });
    const port = await freeUdpTcpPort();
    const relayPorts = await freeUdpWindow(10);
    coturn = await runTurnProcess({
      command: 'bash',
      args: [START],
      env: {
        PATH: process.env.PATH,
        TURN_SECRET_FILE: file,
        TURN_REALM: 'turn.relay-rescue.test',
        TURN_LISTEN_IP: '127.0.0.1',
        TURN_RELAY_IP: '127.0.0.1',
        TURN_PORT: String(port),
        TURN_MIN_PORT: String(relayPorts.min),
        TURN_MAX_PORT: String(relayPorts.max),
        TURN_CONFIG_OUT: join(dir, 'turnserver.conf'),
      },
      port,
      secret: newSecret,
      realm: 'turn.relay-rescue.test',
      relayPorts,
    });
  });
  after(async () => {
    await coturn?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('relays for the new and the old secret, refuses a third (401)', async () => {
    const gather = (secret: string) => {
      const c = mintTurnCredentials(secret, 'sess-rotate.customer', 300);
      return gatherCandidates(wrtc.RTCPeerConnection, {
        iceServers: [{ urls: [coturn!.urls.udp], username: c.username, credential: c.credential }],
        iceTransportPolicy: 'relay',
      });
    };
    expect((await gather(newSecret)).types, 'the new secret').to.deep.equal(['relay']);
    expect((await gather(oldSecret)).types, 'the old secret').to.deep.equal(['relay']);
    const other = await gather('x'.repeat(40));
    expect(other.candidates, 'a third secret').to.deep.equal([]);
    expect(other.errors.map((e) => e.errorCode)).to.include(401);
  });
});

describe('turn: start.sh runs coturn with the production template (loopback)', function () {
  this.timeout(40_000);
  let dir: string;
  let coturn: Coturn | undefined;
  let tlsPort: number;
  let outConf: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rr-start-sh-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    const port = await freeUdpTcpPort();
    tlsPort = await freeUdpTcpPort(new Set([port]));
    const relayPorts = await freeUdpWindow(20);
    const secret = 'b'.repeat(48);
    outConf = join(dir, 'turnserver.conf');
    coturn = await runTurnProcess({
      command: 'bash',
      args: [START],
      env: {
        PATH: process.env.PATH,
        TURN_SECRET: secret,
        TURN_REALM: 'turn.relay-rescue.test',
        TURN_LISTEN_IP: '127.0.0.1',
        TURN_RELAY_IP: '127.0.0.1',
        TURN_PORT: String(port),
        TURN_TLS_PORT: String(tlsPort),
        TURN_MIN_PORT: String(relayPorts.min),
        TURN_MAX_PORT: String(relayPorts.max),
        TURN_CERT: join(dir, 'cert.pem'),
        TURN_KEY: join(dir, 'key.pem'),
        TURN_CONFIG_OUT: outConf,
      },
      port,
      secret,
      realm: 'turn.relay-rescue.test',
      relayPorts,
    });
  });
  after(async () => {
    await coturn?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes the rendered config (with the secret) readable by its owner only', () => {
    expect(statSync(outConf).mode & 0o777).to.equal(0o600);
    expect(readFileSync(outConf, 'utf8')).to.contain(`static-auth-secret=${coturn!.secret}`);
  });

  it('hands out relay allocations for minted credentials and refuses a wrong one', async () => {
    const c = mintTurnCredentials(coturn!.secret, 'sess-prod.customer', 300);
    const ok = await gatherCandidates(wrtc.RTCPeerConnection, {
      iceServers: [{ urls: [coturn!.urls.udp], username: c.username, credential: c.credential }],
      iceTransportPolicy: 'relay',
    });
    expect(ok.types).to.deep.equal(['relay']);
    const bad = await gatherCandidates(wrtc.RTCPeerConnection, {
      iceServers: [{ urls: [coturn!.urls.udp], username: c.username, credential: 'x' }],
      iceTransportPolicy: 'relay',
    });
    expect(bad.candidates).to.deep.equal([]);
    expect(bad.errors.map((e) => e.errorCode)).to.include(401);
  });

  it('accepts TLS 1.2+ on the TLS port', async () => {
    const version = await new Promise<string | null>((resolve, reject) => {
      const sock = tlsConnect({ host: '127.0.0.1', port: tlsPort, rejectUnauthorized: false, minVersion: 'TLSv1.2' }, () => {
        resolve(sock.getProtocol());
        sock.destroy();
      });
      sock.setTimeout(5000, () => reject(new Error('TLS handshake timed out')));
      sock.once('error', reject);
    });
    expect(version).to.match(/^TLSv1\.[23]$/);
  });

  it('refuses to relay to a private address (denied-peer-ip): loopback peers get 403 Forbidden IP', async () => {
    const cfg = (id: string): RTCConfiguration => {
      const c = mintTurnCredentials(coturn!.secret, id, 300);
      return { iceServers: [{ urls: [coturn!.urls.udp], username: c.username, credential: c.credential }], iceTransportPolicy: 'relay' };
    };
    let err: unknown;
    try {
      const p = await connectPair(wrtc.RTCPeerConnection, cfg('sess-deny.technician'), cfg('sess-deny.customer'), { timeoutMs: 4000 });
      p.close();
    } catch (e) {
      err = e;
    }
    expect(String(err)).to.match(/did not connect/);
    expect(await coturn!.waitForLog(/403.*Forbidden IP|Forbidden IP/)).to.equal(true);
  });
});
