import { randomBytes } from 'node:crypto';
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
}

export type AuthOutcome = { ok: true; mode: 'setup' | 'verify' } | { ok: false; reason: 'wrong_password' | 'locked' | 'timeout' | 'closed' | 'weak_password' };

type ProofMsg = Extract<ControlMessage, { type: 'auth.proof' }>;

/**
 * The password step at the start of every ad hoc connection, over the
 * encrypted `control` channel. Until it resolves `ok`, the caller must not add
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
  for (let attempt = 0; attempt < maxTries; attempt++) {
    const nonce = randomBytes(24).toString('base64url');
    const proof = waitProof(peer, nonce, timeoutMs);
    peer.send('control', { type: 'auth.challenge', nonce, mode });
    const msg = await proof;
    if (msg === 'timeout' || msg === 'closed') return { ok: false, reason: msg };
    if (mode === 'setup') {
      try {
        await verifier.setup(msg.password);
        peer.send('control', { type: 'auth.result', ok: true });
        return { ok: true, mode };
      } catch (err) {
        const code = err instanceof RescueError ? err.code : 'INTERNAL';
        peer.send('control', { type: 'auth.result', ok: false, code });
        if (code !== 'PASSWORD_TOO_WEAK') return { ok: false, reason: 'closed' };
        continue;
      }
    }
    const result = await verifier.verify(msg.password);
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
  return { ok: false, reason: mode === 'setup' ? 'weak_password' : 'wrong_password' };
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
