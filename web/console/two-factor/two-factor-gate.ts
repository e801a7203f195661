import { html } from 'lit';
import type { ConsoleModel, LoginFactor } from '../console-model.ts';
import './rr-second-factor.ts';
import './rr-two-factor-setup.ts';

/** What the console shows between the password and the console: the code step, or the enrolment an administrator requires. */
export function twoFactorGate(m: ConsoleModel) {
  if (m.auth === 'second-factor') {
    return html`<rr-second-factor .error=${m.loginError} ?busy=${m.busy} .email=${m.loginEmail}
      @second-factor=${(e: CustomEvent<LoginFactor>) => void m.secondFactor(e.detail)}
      @cancel-login=${() => m.cancelSecondFactor()}></rr-second-factor>`;
  }
  return html`<section class="card" style="max-width: 48rem; margin: 2rem max(0.75rem, calc((100% - 48rem) / 2));" aria-label="Two-factor login set-up">
    <rr-two-factor-setup forced @two-factor-done=${() => m.enrolled()}></rr-two-factor-setup>
    <p class="muted">Logged in as ${m.me?.email ?? ''}. <button @click=${() => void m.logout()}>Log out</button></p>
  </section>`;
}
