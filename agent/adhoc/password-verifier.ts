import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ADHOC_KDF, proofTranscript, type AdhocKdfParams, type TechnicianView } from '../../protocol/adhoc-proof.ts';
import { RescueError } from '../../protocol/errors.ts';
import type { Clock } from '../../protocol/clock.ts';
import type { PairingStore } from './pairing-store.ts';

/** Wrong passwords before the agent stops listening for a while. */
export const MAX_FAILURES = 5;
export const LOCK_MS = 15 * 60 * 1000;

export type VerifyResult = { ok: true } | { ok: false; code: 'ADHOC_AUTH_FAILED' | 'RATE_LIMITED'; retryAfterMs?: number };

/** What the agent keeps: K = argon2id(password, salt, kdf), never the password. */
export type StoredKey = { salt: Buffer; key: Buffer; kdf: AdhocKdfParams };

/** Protocol v1's argon2id parameters, which this agent asks the console to use. */
export const KDF_PARAMS: AdhocKdfParams = { memoryKiB: ADHOC_KDF.memoryKiB, iterations: ADHOC_KDF.iterations, parallelism: ADHOC_KDF.parallelism };

/** The PHC string format (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`, unpadded base64) for the stored key. */
export function encodePhc(k: StoredKey): string {
  const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');
  return `$argon2id$v=19$m=${k.kdf.memoryKiB},t=${k.kdf.iterations},p=${k.kdf.parallelism}$${b64(k.salt)}$${b64(k.key)}`;
}

export function decodePhc(phc: string): StoredKey | null {
  const m = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/.exec(phc.trim());
  if (!m) return null;
  const key = Buffer.from(m[5]!, 'base64');
  if (key.length !== ADHOC_KDF.keyBytes) return null;
  return { kdf: { memoryKiB: Number(m[1]), iterations: Number(m[2]), parallelism: Number(m[3]) }, salt: Buffer.from(m[4]!, 'base64'), key };
}

/**
 * The computer's password key: K = argon2id(password, salt) arrives once, at
 * pairing, and is stored (as a PHC string); every later connection proves it
 * with a MAC bound to the DTLS fingerprints (docs/adhoc.md). Failures are
 * counted in the state dir so restarting the agent does not reset them.
 */
export class PasswordVerifier {
  readonly #store: PairingStore;
  readonly #clock: Clock;
  /** The salt offered in the setup challenge, until the key arrives. */
  #pendingSalt: Buffer | null = null;

  constructor(store: PairingStore, clock: Clock) {
    this.#store = store;
    this.#clock = clock;
  }

  async isSet(): Promise<boolean> {
    return (await this.#load()) !== null;
  }

  /** The salt and cost for a challenge: a fresh salt at setup, the stored one at verify. */
  async challengeParams(mode: 'setup' | 'verify'): Promise<{ salt: Buffer; kdf: AdhocKdfParams }> {
    if (mode === 'setup') {
      this.#pendingSalt ??= randomBytes(ADHOC_KDF.saltBytes);
      return { salt: this.#pendingSalt, kdf: KDF_PARAMS };
    }
    const stored = await this.#load();
    // No key: answer with a salt anyway; every proof will fail.
    return stored ?? { salt: randomBytes(ADHOC_KDF.saltBytes), kdf: KDF_PARAMS };
  }

  /** Stores K for the salt of the setup challenge; refuses to replace an existing key. */
  async setup(key: Uint8Array): Promise<void> {
    if (await this.isSet()) throw new RescueError('FORBIDDEN', 'The password is already set.');
    const salt = this.#pendingSalt;
    if (!salt) throw new RescueError('FORBIDDEN', 'No setup challenge is open.');
    if (key.length !== ADHOC_KDF.keyBytes) throw new RescueError('INVALID_MESSAGE', 'The key has the wrong length.');
    await this.#store.saveHash(encodePhc({ salt, key: Buffer.from(key), kdf: KDF_PARAMS }));
    this.#pendingSalt = null;
  }

  /**
   * Checks mac = HMAC-SHA256(K, transcript(nonce, technician's view)), where the
   * view is reconstructed from this agent's own: the technician's certificate is
   * our remote one, its remote is our local one.
   */
  async verify(nonce: string, mac: Uint8Array, agentView: { local: string; remote: string }): Promise<VerifyResult> {
    const now = this.#clock.now();
    const lockout = await this.#store.loadLockout();
    if (lockout.lockedUntil > now) return { ok: false, code: 'RATE_LIMITED', retryAfterMs: lockout.lockedUntil - now };
    const stored = await this.#load();
    let ok = false;
    if (stored) {
      const expected = createHmac('sha256', stored.key)
        .update(proofTranscript(nonce, { technicianFingerprint: agentView.remote, agentFingerprint: agentView.local } satisfies TechnicianView))
        .digest();
      ok = mac.length === expected.length && timingSafeEqual(expected, mac);
    }
    if (ok) {
      if (lockout.failures > 0) await this.#store.saveLockout({ failures: 0, lockedUntil: 0 });
      return { ok: true };
    }
    const failures = lockout.failures + 1;
    const locked = failures >= MAX_FAILURES;
    await this.#store.saveLockout({ failures: locked ? 0 : failures, lockedUntil: locked ? now + LOCK_MS : 0 });
    return locked ? { ok: false, code: 'RATE_LIMITED', retryAfterMs: LOCK_MS } : { ok: false, code: 'ADHOC_AUTH_FAILED' };
  }

  async #load(): Promise<StoredKey | null> {
    const phc = await this.#store.loadHash();
    return phc === null ? null : decodePhc(phc);
  }
}
