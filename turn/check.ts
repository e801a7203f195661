import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { mintTurnCredentials } from './credentials.ts';
import { connectPair, gatherCandidates, selectedPath, transfer } from './relay-probe.ts';
import { wrtc } from './wrtc.ts';

/**
 * Checks a TURN relay the way a session would use it: mints a short-lived credential
 * (or takes one), asks the relay for an allocation (a relay candidate), and with
 * --connect connects two peers relay-only through it and sends data across.
 *
 *   npx tsx turn/check.ts --url turn:turn.example.com:3478?transport=udp --secret-file /etc/relay-rescue/turn-secret
 *   TURN_SECRET=... npx tsx turn/check.ts --url turns:turn.example.com:5349?transport=tcp --connect
 *   npx tsx turn/check.ts --url turn:turn.example.com:3478 --username 1767225600:me --credential ...
 *
 * Run it where the secret already is (the signaling host): the secret is used only to mint.
 * --connect sends peer-to-peer traffic through the relay to the relay's own public address;
 * a relay behind NAT without hairpinning may fail that part while sessions still work.
 */
const USAGE = 'usage: tsx turn/check.ts --url <turn: URL>[,<url>...] (--secret <s> | --secret-file <f> | TURN_SECRET=... | --username <u> --credential <c>) [--connect] [--bytes N] [--timeout ms]';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string', multiple: true },
      secret: { type: 'string' },
      'secret-file': { type: 'string' },
      username: { type: 'string' },
      credential: { type: 'string' },
      id: { type: 'string', default: 'turn-check' },
      connect: { type: 'boolean', default: false },
      bytes: { type: 'string', default: String(4 * 1024 * 1024) },
      timeout: { type: 'string', default: '8000' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const urls = (values.url ?? []).flatMap((u) => u.split(',')).map((u) => u.trim()).filter(Boolean);
  if (urls.length === 0 || urls.some((u) => !/^turns?:/.test(u))) {
    console.error(`check: give one or more turn:/turns: URLs with --url\n${USAGE}`);
    return 2;
  }
  const timeoutMs = Number(values.timeout);
  const bytes = Number(values.bytes);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0 || !Number.isInteger(bytes) || bytes <= 0) {
    console.error('check: --timeout and --bytes must be positive integers');
    return 2;
  }

  let secret = values.secret ?? process.env.TURN_SECRET;
  if (values['secret-file']) secret = readFileSync(values['secret-file'], 'utf8').trim();
  const username = values.username;
  const credential = values.credential;
  const creds = (suffix: string): { username: string; credential: string } => {
    if (username !== undefined && credential !== undefined) return { username, credential };
    return mintTurnCredentials(secret!, `${values.id}-${suffix}`, 600);
  };
  if ((username === undefined) !== (credential === undefined)) {
    console.error('check: give both --username and --credential, or a secret');
    return 2;
  }
  if (username === undefined && !secret) {
    console.error(`check: no credentials: set TURN_SECRET, --secret, --secret-file, or --username/--credential\n${USAGE}`);
    return 2;
  }

  let failed = false;
  for (const url of urls) {
    const c = creds('a');
    const g = await gatherCandidates(wrtc.RTCPeerConnection, {
      iceServers: [{ urls: [url], username: c.username, credential: c.credential }],
      iceTransportPolicy: 'relay',
    }, timeoutMs);
    const refusals = g.errors.filter((e) => e.url.startsWith('turn'));
    if (g.types.includes('relay')) {
      const addrs = g.candidates.map((l) => l.split(' ').slice(4, 6).join(':'));
      console.log(`OK    ${url}: relay allocation granted for ${c.username} (relay address ${[...new Set(addrs)].join(', ')})`);
    } else {
      failed = true;
      const why = refusals.length > 0
        ? refusals.map((e) => `${e.errorCode} ${e.errorText}`).filter((v, i, a) => a.indexOf(v) === i).join('; ')
        : g.complete ? 'no relay candidate' : `no answer within ${timeoutMs} ms (firewall? wrong host/port?)`;
      console.log(`FAIL  ${url}: ${why}`);
      if (refusals.some((e) => e.errorCode === 401)) console.log('      401: the secret differs from coturn\'s static-auth-secret, the clock is off, or the credential expired');
    }
  }

  if (values.connect && !failed) {
    const url = urls[0]!;
    const cfg = (suffix: string): RTCConfiguration => {
      const c = creds(suffix);
      return { iceServers: [{ urls: [url], username: c.username, credential: c.credential }], iceTransportPolicy: 'relay' };
    };
    try {
      const pair = await connectPair(wrtc.RTCPeerConnection, cfg('a'), cfg('b'), { timeoutMs: Math.max(timeoutMs, 10_000) });
      try {
        const path = await selectedPath(pair.a);
        const r = await transfer(pair.dcA, pair.dcB, bytes);
        const intact = r.bytes === bytes && r.sha256Received === r.sha256Sent;
        console.log(`${intact ? 'OK  ' : 'FAIL'}  relay-only connection via ${url}: pair ${path.local}/${path.remote} over ${path.relayProtocol ?? '?'}, ${r.bytes} bytes in ${r.ms.toFixed(0)} ms (${r.mbPerSec.toFixed(1)} MB/s)${intact ? '' : ', data did not arrive intact'}`);
        failed ||= !intact;
      } finally {
        pair.close();
      }
    } catch (err) {
      failed = true;
      console.log(`FAIL  relay-only connection via ${url}: ${(err as Error).message}`);
      console.log('      allocations work but peers could not reach each other through the relay: check external-ip, the relay port range in the firewall, and denied-peer-ip');
    }
  }
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`check: ${(err as Error).message}`);
    process.exit(1);
  },
);
