import { LitElement, html, css, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { TechnicianRef } from '../../protocol/handover.ts';
import { LIMITS } from '../../protocol/limits.ts';
import { baseStyles } from '../shared/styles.ts';
import { StoreController } from '../shared/store.ts';
import { confirmAction } from '../shared/rr-confirm-dialog.ts';
import type { TechSession } from './tech-session.ts';

/**
 * The lead's "Transfer or invite" card (a colleague who is online: hand the
 * session over with a note, or bring them in to see the screen and chat),
 * the colleague's state with Remove and control handover, and in a
 * colleague's own tab what they may do.
 */
@customElement('rr-session-handover')
export class RrSessionHandover extends LitElement {
  static override styles = [
    baseStyles,
    css`
      :host { display: block; }
      details > summary { cursor: pointer; font-weight: 600; }
      label { display: block; margin-top: 0.4rem; font-size: 0.92rem; }
      select, input { width: 100%; }
      select { min-height: 2.3rem; }
      .row { display: flex; gap: 0.4rem; flex-wrap: wrap; margin-top: 0.5rem; }
      .row button { min-height: 2.1rem; padding: 0.2rem 0.6rem; font-size: 0.9rem; }
      p { margin: 0.3rem 0; font-size: 0.92rem; }
      .error { color: #b3261e; }
    `,
  ];

  @property({ attribute: false }) session?: TechSession;
  @state() private technicians: TechnicianRef[] = [];
  @state() private loaded = false;
  @state() private chosen = '';
  private readonly store = new StoreController(this, () => this.session);

  override render() {
    void this.store;
    const s = this.session;
    if (!s || s.phase === 'ended') return nothing;
    if (s.leadName !== null) {
      // The lead's console shows this tab control only while it is handed over (rtc/colleague-relay.ts).
      const control = s.controlGranted
        ? `${s.leadName} handed you remote control: your keys and mouse go to the customer's computer until ${s.leadName} takes it back.`
        : `Remote control stays with ${s.leadName} unless they hand it to you.`;
      return html`<p data-testid="colleague-role">You are helping <strong>${s.leadName}</strong>: you see the screen as ${s.leadName} does and can chat. ${control}</p>`;
    }
    const error = s.handoverError ? html`<p class="error" role="alert" data-testid="handover-error">${s.handoverError}</p>` : nothing;
    const c = s.colleague;
    if (c) {
      return html`<div data-testid="colleague">
        <p data-testid="colleague-state">${c.state === 'invited'
          ? `Waiting for the customer to let ${c.who.name} in…`
          : `${c.who.name} sees the screen and can chat${c.control ? ' and has remote control' : ''}.`}</p>
        <div class="row">
          ${c.state === 'joined' && s.capabilities?.input
            ? html`<button data-testid="colleague-control" @click=${() => void s.handControl(!c.control)}>${c.control ? 'Take control back' : `Hand control to ${c.who.name}`}</button>`
            : nothing}
          <button class="danger" data-testid="colleague-remove" @click=${() => void s.removeColleague()}>${c.state === 'invited' ? 'Cancel invitation' : `Remove ${c.who.name}`}</button>
        </div>
        ${error}
      </div>`;
    }
    const ready = s.connected && this.chosen !== '';
    return html`<details @toggle=${(e: Event) => (e.target as HTMLDetailsElement).open && void this.load()}>
      <summary data-testid="handover-open">Transfer or invite a colleague</summary>
      <label for="handover-tech">Technician online</label>
      <select id="handover-tech" data-testid="handover-tech" @change=${(e: Event) => (this.chosen = (e.target as HTMLSelectElement).value)}>
        <option value="" ?selected=${this.chosen === ''}>${this.loaded ? (this.technicians.length ? 'Choose…' : 'Nobody else is online') : 'Loading…'}</option>
        ${this.technicians.map((t) => html`<option value=${t.id} ?selected=${t.id === this.chosen}>${t.name} (${t.email})</option>`)}
      </select>
      <label for="handover-note">Note for a transfer (optional)</label>
      <input id="handover-note" type="text" data-testid="handover-note" maxlength=${LIMITS.reasonChars} />
      <div class="row">
        <button data-testid="handover-transfer" ?disabled=${!ready} @click=${() => void this.transfer(s)}>Transfer session</button>
        <button data-testid="handover-invite" ?disabled=${!ready} @click=${() => void s.invite(this.chosen)}>Invite to help</button>
        <button data-testid="handover-refresh" @click=${() => void this.load()}>Refresh list</button>
      </div>
      ${error}
    </details>`;
  }

  private async load(): Promise<void> {
    const s = this.session;
    if (!s) return;
    this.technicians = await s.onlineTechnicians();
    this.loaded = true;
    if (!this.technicians.some((t) => t.id === this.chosen)) this.chosen = '';
  }

  private async transfer(s: TechSession): Promise<void> {
    const to = this.technicians.find((t) => t.id === this.chosen);
    if (!to) return;
    const note = this.renderRoot.querySelector<HTMLInputElement>('#handover-note')?.value ?? '';
    const ok = await confirmAction({
      title: `Transfer this session to ${to.name}?`,
      body: `${s.peerName} is told that ${to.name} takes over. You lose every access at once; ${to.name} has to ask ${s.peerName} again before seeing the screen or doing anything else.`,
      confirmLabel: 'Transfer now',
      cancelLabel: 'Keep the session',
    });
    if (ok) await s.transfer(to.id, note);
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'rr-session-handover': RrSessionHandover;
  }
}
