import { LitElement, html, css, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { RECOVERY_CODE_COUNT } from '../../../protocol/two-factor.ts';
import { StoreController } from '../../shared/store.ts';
import { baseStyles } from '../../shared/styles.ts';
import { TwoFactorModel } from './two-factor-model.ts';

/** A base32 secret in groups of four, as people type it. */
const grouped = (secret: string): string => secret.replace(/(.{4})/g, '$1 ').trim();

/**
 * Setting up (and managing) one's two-factor login: a QR code and the secret
 * as text, one code to confirm, then the recovery codes, shown once. With
 * `forced`, an administrator requires it before the console opens. Fires
 * `two-factor-done` when the person has saved the recovery codes.
 */
@customElement('rr-two-factor-setup')
export class RrTwoFactorSetup extends LitElement {
  static override styles = [
    baseStyles,
    css`
      :host { display: block; }
      .steps { display: grid; grid-template-columns: auto minmax(0, 1fr); gap: 1rem; align-items: start; }
      @media (max-width: 640px) { .steps { grid-template-columns: minmax(0, 1fr); } }
      .qr { width: 12rem; height: 12rem; background: #fff; border: 1px solid #d5dbe1; border-radius: 0.4rem; }
      .secret { font-family: ui-monospace, monospace; font-size: 1.05rem; word-break: break-all; background: #f4f6f8; padding: 0.4rem 0.6rem; border-radius: 0.35rem; display: inline-block; }
      form { display: flex; flex-direction: column; gap: 0.4rem; max-width: 28rem; }
      label { font-weight: 600; }
      .code-input { font-size: 1.3rem; letter-spacing: 0.2em; font-variant-numeric: tabular-nums; max-width: 12rem; }
      ol.codes { columns: 2; font-family: ui-monospace, monospace; font-size: 1.05rem; padding-left: 1.8rem; margin: 0.5rem 0; }
      @media (max-width: 420px) { ol.codes { columns: 1; } }
      p { margin: 0.4rem 0; }
    `,
  ];

  @property({ type: Boolean }) forced = false;
  @property({ attribute: false }) model = new TwoFactorModel();
  private readonly store = new StoreController(this, () => this.model);
  @state() private code = '';

  override connectedCallback(): void {
    super.connectedCallback();
    if (!this.model.status) void this.model.load();
  }

  override render() {
    void this.store;
    const m = this.model;
    const error = html`<div role="alert" data-testid="two-factor-error">${m.error ? html`<p class="error">${m.error}</p>` : nothing}</div>`;
    if (m.phase === 'scan' && m.enrolment) return html`${this.renderScan(m.enrolment.qrDataUrl, m.enrolment.secret)}${error}`;
    if (m.phase === 'codes') return this.renderCodes(m.recoveryCodes);
    if (!m.status) return html`<p class="muted" role="status">Loading…</p>${error}`;
    if (!m.status.enrolled) {
      return html`<section aria-labelledby="tf-title">
        <h2 id="tf-title">${this.forced ? 'Set up two-factor login to continue' : 'Two-factor login'}</h2>
        <p>${this.forced
          ? 'Your administrator requires a second step at login: a 6-digit code from an authenticator app on your phone (for example Google Authenticator, Microsoft Authenticator, 1Password, Aegis).'
          : 'Protect your account with a 6-digit code from an authenticator app on your phone, asked for after your password.'}</p>
        <button class="primary" @click=${() => void m.start()} ?disabled=${m.busy}>Set up two-factor login</button>
        ${error}
      </section>`;
    }
    return html`<section aria-labelledby="tf-title">
      <h2 id="tf-title">Two-factor login is on</h2>
      <p data-testid="recovery-left">${m.status.recoveryCodesLeft} of ${RECOVERY_CODE_COUNT} recovery codes left.</p>
      <form @submit=${(e: Event) => e.preventDefault()}>
        <label for="tf-manage">Code from your app${m.status.required ? '' : ' (or a recovery code, to turn it off)'}</label>
        <input id="tf-manage" type="text" autocomplete="one-time-code" .value=${this.code} @input=${(e: Event) => (this.code = (e.target as HTMLInputElement).value)} />
        <div class="row">
          <button type="button" @click=${() => void this.then(m.renewCodes(this.code))} ?disabled=${m.busy || !this.code}>New recovery codes</button>
          ${m.status.required
            ? html`<span class="muted">Required by your administrator.</span>`
            : html`<button type="button" class="danger" @click=${() => void this.then(m.disable(this.code))} ?disabled=${m.busy || !this.code}>Turn off</button>`}
        </div>
      </form>
      ${error}
    </section>`;
  }

  private renderScan(qr: string, secret: string) {
    const m = this.model;
    return html`<section aria-labelledby="tf-scan-title">
      <h2 id="tf-scan-title">Set up two-factor login</h2>
      <div class="steps">
        <img class="qr" src=${qr} alt="QR code to scan with your authenticator app" />
        <div>
          <p><strong>1.</strong> Scan the QR code with your authenticator app, or type this key into it:</p>
          <p><code class="secret" data-testid="totp-secret" aria-label=${`Key ${secret.split('').join(' ')}`}>${grouped(secret)}</code></p>
          <form @submit=${(e: Event) => this.onConfirm(e)}>
            <label for="tf-code"><strong aria-hidden="true">2. </strong>Enter the 6-digit code the app shows</label>
            <input id="tf-code" class="code-input" type="text" inputmode="numeric" autocomplete="one-time-code" maxlength="7"
              .value=${this.code} @input=${(e: Event) => (this.code = (e.target as HTMLInputElement).value)} />
            <div class="row">
              <button type="submit" class="primary" ?disabled=${m.busy}>Verify and turn on</button>
              <button type="button" @click=${() => m.cancel()}>Cancel</button>
            </div>
          </form>
        </div>
      </div>
    </section>`;
  }

  private renderCodes(codes: readonly string[]) {
    const text = `Relay Rescue recovery codes (each works once):\n${codes.join('\n')}\n`;
    const href = `data:text/plain;charset=utf-8,${encodeURIComponent(text)}`;
    return html`<section aria-labelledby="tf-codes-title">
      <h2 id="tf-codes-title">Save your recovery codes</h2>
      <p>If you lose your phone, each of these codes logs you in once instead of the app's code. <strong>They are shown only now</strong>: print them or keep them in a password manager.</p>
      <ol class="codes" data-testid="recovery-codes">${codes.map((c) => html`<li>${c}</li>`)}</ol>
      <div class="row">
        <a href=${href} download="relay-rescue-recovery-codes.txt">Download as a text file</a>
        <button @click=${() => void navigator.clipboard?.writeText(text).catch(() => undefined)}>Copy</button>
        <button class="primary" @click=${() => this.onSaved()}>I have saved them</button>
      </div>
    </section>`;
  }

  private onConfirm(e: Event): void {
    e.preventDefault();
    void this.then(this.model.confirm(this.code));
  }

  private async then(step: Promise<void>): Promise<void> {
    await step;
    if (!this.model.error) this.code = '';
  }

  private onSaved(): void {
    this.model.acknowledge();
    this.dispatchEvent(new CustomEvent('two-factor-done', { bubbles: true, composed: true }));
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'rr-two-factor-setup': RrTwoFactorSetup;
  }
}
