import { createHash, randomBytes } from 'node:crypto';
import QRCode from 'qrcode';
import { RECOVERY_CODE_COUNT, RescueError, type EnrolStart, type TwoFactorStatus } from '../../protocol/index.ts';
import type { AdminActionLog } from '../admin/action-log.ts';
import type { TwoFactorRows } from '../store/types.ts';
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
  rows: TwoFactorRows;
  box: SecretBox;
  settings: RuntimeSettings;
  actions: AdminActionLog;
  now: () => number;
}

type Who = { id: string; email: string };

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

  async status(accountId: string): Promise<TwoFactorStatus> {
    const [enrolled, required, recoveryCodesLeft] = await Promise.all([this.isEnrolled(accountId), this.d.settings.require2fa(), this.d.rows.recoveryCodesLeft(accountId)]);
    return { enrolled, required, recoveryCodesLeft };
  }

  async isEnrolled(accountId: string): Promise<boolean> {
    return (await this.d.rows.get(accountId))?.confirmedAt != null;
  }

  /** Two-factor login is required and this account has not set it up: it may only enrol. */
  async consoleBlocked(accountId: string): Promise<boolean> {
    return (await this.d.settings.require2fa()) && !(await this.isEnrolled(accountId));
  }

  /** Starts (or restarts) an enrolment: a new seed, inactive until `confirm`. */
  async begin(who: Who): Promise<EnrolStart> {
    if (await this.isEnrolled(who.id)) throw new RescueError('SECOND_FACTOR_ALREADY_ENROLLED');
    const secret = newTotpSecret();
    await this.d.rows.begin(who.id, this.d.box.seal(secret, who.id), this.d.now());
    const otpauthUri_ = otpauthUri(secret, who.email);
    const svg = await QRCode.toString(otpauthUri_, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
    return { secret, otpauthUri: otpauthUri_, qrDataUrl: `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}` };
  }

  /** Turns a started enrolment on with one valid code; returns the recovery codes (shown once). */
  async confirm(who: Who, code: string): Promise<string[]> {
    const row = await this.d.rows.get(who.id);
    if (!row) throw new RescueError('INVALID_MESSAGE', 'Start the set-up first.');
    if (row.confirmedAt !== null) throw new RescueError('SECOND_FACTOR_ALREADY_ENROLLED');
    const step = matchingStep(this.d.box.open(row.secretSealed, who.id), code, this.d.now());
    if (step === null) throw new RescueError('SECOND_FACTOR_INVALID');
    const codes = newRecoveryCodes();
    if (!(await this.d.rows.confirm(who.id, row.secretSealed, this.d.now(), step, codes.map(storedHash)))) {
      throw new RescueError('INVALID_MESSAGE', 'The set-up was restarted elsewhere; start again.');
    }
    await this.d.actions.record({ kind: 'technician', id: who.id, label: who.email }, 'two_factor.enrolled', who.email);
    return codes;
  }

  /** The second factor of a login whose password was right. A code or recovery code is used up when it passes. */
  async verifyLogin(who: Who, factor: SecondFactor): Promise<FactorVerdict> {
    if (!(await this.isEnrolled(who.id))) return 'not_enrolled';
    if (factor.totp === undefined && factor.recoveryCode === undefined) return 'missing';
    return (await this.useFactor(who, factor)) ? 'ok' : 'invalid';
  }

  /** Turns two-factor login off for one's own account, proven with a current code or a recovery code. */
  async disable(who: Who, factor: SecondFactor): Promise<void> {
    if (!(await this.isEnrolled(who.id))) throw new RescueError('INVALID_MESSAGE', 'Two-factor login is not set up for this account.');
    if (await this.d.settings.require2fa()) throw new RescueError('FORBIDDEN', 'An administrator requires two-factor login for every account.');
    if (!(await this.useFactor(who, factor))) throw new RescueError('SECOND_FACTOR_INVALID');
    await this.remove(who.id);
    await this.d.actions.record({ kind: 'technician', id: who.id, label: who.email }, 'two_factor.disabled', who.email);
  }

  /** New recovery codes (the old ones stop working), proven with a current code. */
  async renewRecoveryCodes(who: Who, totp: string): Promise<string[]> {
    if (!(await this.isEnrolled(who.id))) throw new RescueError('INVALID_MESSAGE', 'Two-factor login is not set up for this account.');
    if (!(await this.useFactor(who, { totp }))) throw new RescueError('SECOND_FACTOR_INVALID');
    const codes = newRecoveryCodes();
    await this.d.rows.replaceRecoveryCodes(who.id, codes.map(storedHash));
    await this.d.actions.record({ kind: 'technician', id: who.id, label: who.email }, 'two_factor.recovery_renewed', who.email);
    return codes;
  }

  /** Removes an account's enrolment and recovery codes (an administrator's reset). */
  remove(accountId: string): Promise<boolean> {
    return this.d.rows.remove(accountId);
  }

  private async useFactor(who: Who, factor: SecondFactor): Promise<boolean> {
    if (factor.totp !== undefined) return this.useTotp(who.id, factor.totp);
    if (factor.recoveryCode !== undefined) {
      const canonical = normaliseRecoveryCode(factor.recoveryCode);
      const used = canonical !== null && (await this.d.rows.useRecoveryCode(who.id, hashRecoveryCode(canonical), this.d.now()));
      if (used) {
        const left = await this.d.rows.recoveryCodesLeft(who.id);
        await this.d.actions.record({ kind: 'technician', id: who.id, label: who.email }, 'two_factor.recovery_used', who.email, `${left} left`);
      }
      return used;
    }
    return false;
  }

  private async useTotp(accountId: string, code: string): Promise<boolean> {
    const row = await this.d.rows.get(accountId);
    if (!row || row.confirmedAt === null) return false;
    const step = matchingStep(this.d.box.open(row.secretSealed, accountId), code, this.d.now());
    if (step === null) return false;
    // Compare-and-set: of two logins racing with one code, exactly one wins.
    return this.d.rows.advanceStep(accountId, step);
  }
}

const newRecoveryCodes = (): string[] => Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
const storedHash = (code: string): string => hashRecoveryCode(normaliseRecoveryCode(code) ?? code);
