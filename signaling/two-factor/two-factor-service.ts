import { createHash, randomBytes } from 'node:crypto';
import QRCode from 'qrcode';
import { RECOVERY_CODE_COUNT, RescueError, type EnrolStart, type TwoFactorStatus } from '../../protocol/index.ts';
import type { AdminActionLog } from '../admin/action-log.ts';
import type { Db } from '../db.ts';
import type { RuntimeSettings } from '../runtime-settings.ts';
import type { SecretBox } from './secret-box.ts';
import { matchingStep, newTotpSecret, otpauthUri } from './totp.ts';

/** The second factor a login or a sensitive change carries. */
export interface SecondFactor {
  totp?: string | undefined;
  recoveryCode?: string | undefined;
}

/** What a login's second factor came to: no enrolment (password suffices), accepted, absent, or wrong. */
export type FactorVerdict = 'not_enrolled' | 'ok' | 'missing' | 'invalid';

export interface TwoFactorDeps {
  db: Db;
  box: SecretBox;
  settings: RuntimeSettings;
  actions: AdminActionLog;
  now: () => number;
}

type Who = { id: string; email: string };

interface FactorRow {
  secret_sealed: string;
  confirmed_at: number | null;
  last_step: number;
}

/** Crockford's base32 alphabet: no I, L, O or U to misread. */
const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz';

/** 80 random bits as 16 Crockford characters, shown as xxxx-xxxx-xxxx-xxxx. */
function newRecoveryCode(): string {
  const bytes = randomBytes(10);
  let bits = 0n;
  for (const byte of bytes) bits = (bits << 8n) | BigInt(byte);
  let text = '';
  for (let i = 15; i >= 0; i--) text += CROCKFORD[Number((bits >> BigInt(i * 5)) & 31n)];
  return text.match(/.{4}/g)?.join('-') ?? text;
}

/** A typed recovery code in canonical form (case, dashes, spaces and misreadable letters folded), or null. */
export function normaliseRecoveryCode(typed: string): string | null {
  const folded = typed.toLowerCase().replace(/[\s-]/g, '').replace(/o/g, '0').replace(/[il]/g, '1');
  return /^[0-9a-hjkmnp-tv-z]{16}$/.test(folded) ? folded : null;
}

/**
 * 80-bit random codes need no slow hash: SHA-256 makes the stored value
 * useless to whoever reads the database, as for login tokens.
 */
const hashRecoveryCode = (canonical: string): string => createHash('sha256').update(canonical).digest('hex');

/**
 * Two-factor login (TOTP, RFC 6238) for technician accounts: enrolment with a
 * confirming code, verification with ±1 time step and no reuse of a step
 * (the last used step per account is stored and only a later one passes;
 * RFC 6238 §5.2), ten single-use recovery codes stored hashed, and the
 * "required for everyone" policy. Seeds are sealed with `SecretBox`.
 */
export class TwoFactorService {
  constructor(private readonly d: TwoFactorDeps) {}

  status(accountId: string): TwoFactorStatus {
    return { enrolled: this.isEnrolled(accountId), required: this.d.settings.require2fa, recoveryCodesLeft: this.recoveryCodesLeft(accountId) };
  }

  isEnrolled(accountId: string): boolean {
    return this.row(accountId)?.confirmed_at != null;
  }

  /** Two-factor login is required and this account has not set it up: it may only enrol. */
  consoleBlocked(accountId: string): boolean {
    return this.d.settings.require2fa && !this.isEnrolled(accountId);
  }

  /** Starts (or restarts) an enrolment: a new seed, inactive until `confirm`. */
  async begin(who: Who): Promise<EnrolStart> {
    if (this.isEnrolled(who.id)) throw new RescueError('SECOND_FACTOR_ALREADY_ENROLLED');
    const secret = newTotpSecret();
    this.d.db
      .prepare(
        `INSERT INTO two_factor (account_id, secret_sealed, confirmed_at, last_step, created_at) VALUES (?, ?, NULL, 0, ?)
         ON CONFLICT(account_id) DO UPDATE SET secret_sealed = excluded.secret_sealed, confirmed_at = NULL, last_step = 0, created_at = excluded.created_at`,
      )
      .run(who.id, this.d.box.seal(secret, who.id), this.d.now());
    const otpauthUri_ = otpauthUri(secret, who.email);
    const svg = await QRCode.toString(otpauthUri_, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
    return { secret, otpauthUri: otpauthUri_, qrDataUrl: `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}` };
  }

  /** Turns a started enrolment on with one valid code; returns the recovery codes (shown once). */
  confirm(who: Who, code: string): string[] {
    const row = this.row(who.id);
    if (!row) throw new RescueError('INVALID_MESSAGE', 'Start the set-up first.');
    if (row.confirmed_at !== null) throw new RescueError('SECOND_FACTOR_ALREADY_ENROLLED');
    const step = matchingStep(this.d.box.open(row.secret_sealed, who.id), code, this.d.now());
    if (step === null) throw new RescueError('SECOND_FACTOR_INVALID');
    const codes = this.d.db.transaction(() => {
      const done = this.d.db
        .prepare('UPDATE two_factor SET confirmed_at = ?, last_step = ? WHERE account_id = ? AND confirmed_at IS NULL AND secret_sealed = ?')
        .run(this.d.now(), step, who.id, row.secret_sealed);
      if (done.changes !== 1) throw new RescueError('INVALID_MESSAGE', 'The set-up was restarted elsewhere; start again.');
      return this.replaceRecoveryCodes(who.id);
    })();
    this.d.actions.record({ kind: 'technician', id: who.id, label: who.email }, 'two_factor.enrolled', who.email);
    return codes;
  }

  /** The second factor of a login whose password was right. A code or recovery code is used up when it passes. */
  verifyLogin(who: Who, factor: SecondFactor): FactorVerdict {
    if (!this.isEnrolled(who.id)) return 'not_enrolled';
    if (factor.totp === undefined && factor.recoveryCode === undefined) return 'missing';
    return this.useFactor(who, factor) ? 'ok' : 'invalid';
  }

  /** Turns two-factor login off for one's own account, proven with a current code or a recovery code. */
  disable(who: Who, factor: SecondFactor): void {
    if (!this.isEnrolled(who.id)) throw new RescueError('INVALID_MESSAGE', 'Two-factor login is not set up for this account.');
    if (this.d.settings.require2fa) throw new RescueError('FORBIDDEN', 'An administrator requires two-factor login for every account.');
    if (!this.useFactor(who, factor)) throw new RescueError('SECOND_FACTOR_INVALID');
    this.remove(who.id);
    this.d.actions.record({ kind: 'technician', id: who.id, label: who.email }, 'two_factor.disabled', who.email);
  }

  /** New recovery codes (the old ones stop working), proven with a current code. */
  renewRecoveryCodes(who: Who, totp: string): string[] {
    if (!this.isEnrolled(who.id)) throw new RescueError('INVALID_MESSAGE', 'Two-factor login is not set up for this account.');
    if (!this.useFactor(who, { totp })) throw new RescueError('SECOND_FACTOR_INVALID');
    const codes = this.d.db.transaction(() => this.replaceRecoveryCodes(who.id))();
    this.d.actions.record({ kind: 'technician', id: who.id, label: who.email }, 'two_factor.recovery_renewed', who.email);
    return codes;
  }

  /** Removes an account's enrolment and recovery codes (an administrator's reset). */
  remove(accountId: string): boolean {
    return this.d.db.transaction(() => {
      this.d.db.prepare('DELETE FROM recovery_codes WHERE account_id = ?').run(accountId);
      return this.d.db.prepare('DELETE FROM two_factor WHERE account_id = ?').run(accountId).changes > 0;
    })();
  }

  private useFactor(who: Who, factor: SecondFactor): boolean {
    if (factor.totp !== undefined) return this.useTotp(who.id, factor.totp);
    if (factor.recoveryCode !== undefined) {
      const used = this.useRecoveryCode(who.id, factor.recoveryCode);
      if (used) this.d.actions.record({ kind: 'technician', id: who.id, label: who.email }, 'two_factor.recovery_used', who.email, `${this.recoveryCodesLeft(who.id)} left`);
      return used;
    }
    return false;
  }

  private useTotp(accountId: string, code: string): boolean {
    const row = this.row(accountId);
    if (!row || row.confirmed_at === null) return false;
    const step = matchingStep(this.d.box.open(row.secret_sealed, accountId), code, this.d.now());
    if (step === null) return false;
    // Compare-and-set: of two logins racing with one code, exactly one wins.
    return this.d.db.prepare('UPDATE two_factor SET last_step = ? WHERE account_id = ? AND last_step < ? AND confirmed_at IS NOT NULL').run(step, accountId, step).changes === 1;
  }

  private useRecoveryCode(accountId: string, typed: string): boolean {
    const canonical = normaliseRecoveryCode(typed);
    if (canonical === null) return false;
    return (
      this.d.db
        .prepare('UPDATE recovery_codes SET used_at = ? WHERE account_id = ? AND code_hash = ? AND used_at IS NULL')
        .run(this.d.now(), accountId, hashRecoveryCode(canonical)).changes === 1
    );
  }

  private replaceRecoveryCodes(accountId: string): string[] {
    this.d.db.prepare('DELETE FROM recovery_codes WHERE account_id = ?').run(accountId);
    const insert = this.d.db.prepare('INSERT INTO recovery_codes (account_id, code_hash, used_at) VALUES (?, ?, NULL)');
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
    for (const code of codes) insert.run(accountId, hashRecoveryCode(normaliseRecoveryCode(code) ?? code));
    return codes;
  }

  private recoveryCodesLeft(accountId: string): number {
    return (this.d.db.prepare('SELECT COUNT(*) AS n FROM recovery_codes WHERE account_id = ? AND used_at IS NULL').get(accountId) as { n: number }).n;
  }

  private row(accountId: string): FactorRow | undefined {
    return this.d.db.prepare('SELECT secret_sealed, confirmed_at, last_step FROM two_factor WHERE account_id = ?').get(accountId) as FactorRow | undefined;
  }
}
