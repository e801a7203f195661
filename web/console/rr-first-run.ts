import { LitElement, html, css, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { LIMITS } from '../../protocol/limits.ts';
import { baseStyles } from '../shared/styles.ts';

const MIN_PASSWORD = LIMITS.passwordMinChars;

/**
 * First run of a fresh install: create the first administrator. Shown while
 * the server has no account; `allowed` is false when this browser has neither
 * the printed setup link nor runs on the server itself.
 * Fires `first-run` with `{ email, name, password }`.
 */
@customElement('rr-first-run')
export class RrFirstRun extends LitElement {
  static override styles = [
    baseStyles,
    css`
      :host { display: block; max-width: 30rem; margin: 2rem auto; padding: 0 1rem; }
      form { display: flex; flex-direction: column; gap: 0.35rem; }
      label { font-weight: 600; margin-top: 0.5rem; }
      button { margin-top: 1rem; }
      code { background: #eef2f6; padding: 0.1rem 0.3rem; border-radius: 0.25rem; overflow-wrap: anywhere; }
    `,
  ];

  @property({ type: Boolean }) allowed = false;
  @property({ type: Boolean }) busy = false;
  @property() error = '';
  @state() private name = '';
  @state() private email = '';
  @state() private password = '';
  @state() private repeat = '';
  @state() private localError = '';

  override render() {
    if (!this.allowed) {
      return html`<section class="card" aria-labelledby="setup-title" data-testid="setup-closed">
        <h2 id="setup-title">Set up Relay Rescue</h2>
        <p>This server has no accounts yet. Open the set-up link the server printed when it started (it works for 30 minutes;
          restart the server for a new one), or open this page on the server itself.</p>
        <p>Or create the administrator on the server's command line:<br />
          <code>npm run admin -- create-admin --email you@example.com --name "Your Name"</code></p>
      </section>`;
    }
    const message = this.localError || this.error;
    return html`<section class="card" aria-labelledby="setup-title">
      <h2 id="setup-title">Set up Relay Rescue</h2>
      <p>Create the first administrator. This page works once: when the account exists, the set-up link stops working.</p>
      <form @submit=${(e: Event) => this.onSubmit(e)}>
        <label for="setup-name">Your name</label>
        <input id="setup-name" type="text" autocomplete="name" required maxlength="100" .value=${this.name}
          @input=${(e: Event) => (this.name = (e.target as HTMLInputElement).value)} />
        <label for="setup-email">Email</label>
        <input id="setup-email" type="email" autocomplete="username" required .value=${this.email}
          @input=${(e: Event) => (this.email = (e.target as HTMLInputElement).value)} />
        <label for="setup-password">Password</label>
        <input id="setup-password" type="password" autocomplete="new-password" required aria-describedby="setup-password-help" .value=${this.password}
          @input=${(e: Event) => (this.password = (e.target as HTMLInputElement).value)} />
        <span id="setup-password-help" class="muted">At least ${MIN_PASSWORD} characters.</span>
        <label for="setup-repeat">Repeat the password</label>
        <input id="setup-repeat" type="password" autocomplete="new-password" required .value=${this.repeat}
          @input=${(e: Event) => (this.repeat = (e.target as HTMLInputElement).value)} />
        <div role="alert" data-testid="setup-error">${message ? html`<p class="error">${message}</p>` : nothing}</div>
        <button type="submit" class="primary" ?disabled=${this.busy}>${this.busy ? 'Creating…' : 'Create administrator'}</button>
      </form>
    </section>`;
  }

  private onSubmit(e: Event): void {
    e.preventDefault();
    this.localError = '';
    if (!this.name.trim() || !this.email.trim()) this.localError = 'Fill in your name and email.';
    else if (this.password.length < MIN_PASSWORD) this.localError = `The password needs at least ${MIN_PASSWORD} characters.`;
    else if (this.password !== this.repeat) this.localError = 'The two passwords differ.';
    if (this.localError) return;
    this.dispatchEvent(
      new CustomEvent('first-run', { detail: { email: this.email.trim(), name: this.name.trim(), password: this.password }, bubbles: true, composed: true }),
    );
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'rr-first-run': RrFirstRun;
  }
}
