import { createHash, randomBytes } from 'node:crypto';
import { fromBase64Url, sasDigits, sasInput, sdpFingerprint, toBase64Url } from '../../protocol/adhoc-proof.ts';
import type { ControlMessage } from '../../protocol/channels.ts';
import { RescueError } from '../../protocol/errors.ts';
import type { PeerSession } from '../../rtc/peer-session.ts';
import type { PasswordVerifier } from './password-verifier.ts';

export interface AuthGateOptions {
  peer: PeerSession;
  verifier: PasswordVerifier;
  /** setup: no hash yet (the pairing connection); verify: every later connection. The agent decides, never the server. */
  mode: 'setup' | 'verify';
  /** How long to wait for each proof. */
  proofTimeoutMs?: number;
  /** Proofs one connection may try before it is closed. */
  maxTries?: number;
  /** Called for every wrong password (the agent reports it for the audit log). */
  onProofFailed?: () => void;
  /** At setup: the short authentication string to compare with the technician's console. */
  onSas?: (sas: string) => void;
}

export type AuthOutcome = { ok: true; mode: 'setup' | 'verify' } | { ok: false; reason: 'wrong_password' | 'locked' | 'timeout' | 'closed' };

type ProofMsg = Extract<ControlMessage, { type: 'auth.proof' }>;

/**
 * The password step at the start of every ad hoc connection, over the
 * encrypted `control` channel. `setup` receives K = argon2id(password, salt);
 * `verify` checks a MAC under K bound to the nonce and both DTLS fingerprints,
 * so a proof seen through a man-in-the-middle neither verifies nor replays. Until it resolves `ok`, the caller must not add
 * video or listen to input, files or clipboard: nothing else is wired yet, so
 * whatever the technician sends before that is dropped by the peer session.
 */
export async function runAuthGate(opts: AuthGateOptions): Promise<AuthOutcome> {
  const { peer, verifier, mode } = opts;
  const timeoutMs = opts.proofTimeoutMs ?? 60_000;
  const maxTries = opts.maxTries ?? 3;
  try {
    await peer.waitOpen(['control'], 30_000);
  } catch {
    return { ok: false, reason: peer.closed ? 'closed' : 'timeout' };
  }
  let view: { local: string; remote: string };
  try {
    view = dtlsView(peer);
  } catch {
    return { ok: false, reason: 'closed' };
  }
  if (mode === 'setup') opts.onSas?.(shortAuthString(view.local, view.remote));
  for (let attempt = 0; attempt < maxTries; attempt++) {
    const nonce = randomBytes(24).toString('base64url');
    const { salt, kdf } = await verifier.challengeParams(mode);
    const proof = waitProof(peer, nonce, timeoutMs);
    peer.send('control', { type: 'auth.challenge', nonce, mode, salt: toBase64Url(salt), kdf });
    const msg = await proof;
    if (msg === 'timeout' || msg === 'closed') return { ok: false, reason: msg };
    if (mode === 'setup') {
      try {
        if (msg.key === undefined) throw new RescueError('INVALID_MESSAGE', 'A setup proof carries the key.');
        await verifier.setup(fromBase64Url(msg.key));
        peer.send('control', { type: 'auth.result', ok: true });
        return { ok: true, mode };
      } catch (err) {
        const code = err instanceof RescueError ? err.code : 'INTERNAL';
        peer.send('control', { type: 'auth.result', ok: false, code });
        return { ok: false, reason: 'closed' };
      }
    }
    // The fingerprints are read again for each proof: a renegotiation keeps the certificates, so they must not change.
    let sameSession = false;
    try {
      const now = dtlsView(peer);
      sameSession = now.local === view.local && now.remote === view.remote;
    } catch {
      return { ok: false, reason: 'closed' };
    }
    const result = await verifier.verify(nonce, msg.mac === undefined || !sameSession ? new Uint8Array(0) : fromBase64Url(msg.mac), view);
    if (!result.ok) opts.onProofFailed?.();
    if (result.ok) {
      peer.send('control', { type: 'auth.result', ok: true });
      return { ok: true, mode };
    }
    peer.send('control', {
      type: 'auth.result',
      ok: false,
      code: result.code,
      ...(result.retryAfterMs !== undefined ? { retryAfterMs: result.retryAfterMs } : {}),
    });
    if (result.code === 'RATE_LIMITED') return { ok: false, reason: 'locked' };
  }
  return { ok: false, reason: 'wrong_password' };
}

/** This peer's view of the DTLS session: its own certificate's fingerprint and the remote one, from the SDPs. */
export function dtlsView(peer: PeerSession): { local: string; remote: string } {
  const pc = peer.pc;
  return {
    local: sdpFingerprint((pc.currentLocalDescription ?? pc.localDescription)?.sdp),
    remote: sdpFingerprint((pc.currentRemoteDescription ?? pc.remoteDescription)?.sdp),
  };
}

/** Six digits from SHA-256 over both fingerprints, sorted: the same on both peers unless someone sits in the middle. */
export function shortAuthString(local: string, remote: string): string {
  return sasDigits(createHash('sha256').update(sasInput(local, remote)).digest());
}

function waitProof(peer: PeerSession, nonce: string, timeoutMs: number): Promise<ProofMsg | 'timeout' | 'closed'> {
  return new Promise((resolve) => {
    const done = (v: ProofMsg | 'timeout' | 'closed'): void => {
      clearTimeout(timer);
      offMsg();
      offClosed();
      resolve(v);
    };
    const timer = setTimeout(() => done('timeout'), timeoutMs);
    const offMsg = peer.on('control', (msg) => {
      if (msg.type === 'auth.proof' && msg.nonce === nonce) done(msg);
    });
    const offClosed = peer.on('closed', () => done('closed'));
  });
}
