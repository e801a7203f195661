import type { EnrolStart, TwoFactorStatus } from '../../../protocol/two-factor.ts';
import { apiCall } from '../../shared/api.ts';
import { TaskStore } from '../../shared/task-store.ts';

export type SetupPhase = 'idle' | 'scan' | 'codes';

/**
 * One's own two-factor login, for the console: status, enrolment (secret,
 * QR code, one confirming code), the recovery codes shown once, renewing
 * them, turning it off. UI-free; `rr-two-factor-setup` renders it.
 */
export class TwoFactorModel extends TaskStore {
  status: TwoFactorStatus | null = null;
  phase: SetupPhase = 'idle';
  enrolment: EnrolStart | null = null;
  /** Shown once, right after they are made; cleared by `acknowledge`. */
  recoveryCodes: string[] = [];

  async load(): Promise<void> {
    await this.run(async () => {
      this.status = await apiCall<TwoFactorStatus>('GET', '/api/2fa');
    });
  }

  async start(): Promise<void> {
    await this.run(async () => {
      this.enrolment = await apiCall<EnrolStart>('POST', '/api/2fa/enrol', {});
      this.phase = 'scan';
    });
  }

  async confirm(totp: string): Promise<void> {
    await this.run(async () => {
      const reply = await apiCall<{ recoveryCodes: string[] }>('POST', '/api/2fa/confirm', { totp });
      this.recoveryCodes = reply.recoveryCodes;
      this.enrolment = null;
      this.phase = 'codes';
      this.status = await apiCall<TwoFactorStatus>('GET', '/api/2fa');
    });
  }

  async renewCodes(totp: string): Promise<void> {
    await this.run(async () => {
      this.recoveryCodes = (await apiCall<{ recoveryCodes: string[] }>('POST', '/api/2fa/recovery-codes', { totp })).recoveryCodes;
      this.phase = 'codes';
      this.status = await apiCall<TwoFactorStatus>('GET', '/api/2fa');
    });
  }

  async disable(code: string): Promise<void> {
    const factor = /^\s*\d{3}\s?\d{3}\s*$/.test(code) ? { totp: code } : { recoveryCode: code };
    await this.run(async () => {
      this.status = await apiCall<TwoFactorStatus>('POST', '/api/2fa/disable', factor);
    });
  }

  cancel(): void {
    this.phase = 'idle';
    this.enrolment = null;
    this.error = '';
    this.changed();
  }

  /** The person has saved the recovery codes: forget them here. */
  acknowledge(): void {
    this.recoveryCodes = [];
    this.phase = 'idle';
    this.changed();
  }

}
