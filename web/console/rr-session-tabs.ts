import { LitElement, html, css, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { baseStyles } from '../shared/styles.ts';
import type { TechSession } from './tech-session.ts';
import './rr-session-view.ts';

/**
 * Several active sessions at once, as ARIA tabs (arrow keys move between tabs).
 * Fires `select-tab` and `close-tab` with `{ sessionId }`.
 */
@customElement('rr-session-tabs')
export class RrSessionTabs extends LitElement {
  static override styles = [
    baseStyles,
    css`
      :host { display: block; }
      [role='tablist'] { display: flex; gap: 0.25rem; border-bottom: 2px solid #c7d0d9; overflow-x: auto; }
      .tab { display: flex; align-items: center; }
      [role='tab'] { border-bottom: none; border-radius: 0.4rem 0.4rem 0 0; background: #e9eef3; white-space: nowrap; }
      [role='tab'][aria-selected='true'] { background: #fff; border-color: #0b5cad; font-weight: 700; }
      .close { min-width: 2.5rem; padding: 0.2rem 0.5rem; margin-left: 0.1rem; }
      [role='tabpanel'] { padding-top: 0.6rem; }
      .dot { display: inline-block; width: 0.6rem; height: 0.6rem; border-radius: 50%; background: #8a94a0; margin-right: 0.4rem; }
      .dot.live { background: #1b6e2a; }
    `,
  ];

  @property({ attribute: false }) tabs: readonly TechSession[] = [];
  @property({ attribute: false }) selected: string | null = null;

  override render() {
    if (this.tabs.length === 0) return html`<p class="muted">No active sessions. Start one from the queue.</p>`;
    const current = this.tabs.find((t) => t.sessionId === this.selected) ?? this.tabs[0];
    return html`
      <div role="tablist" aria-label="Active sessions" @keydown=${(e: KeyboardEvent) => this.onKey(e)}>
        ${this.tabs.map((t, i) => {
          const selected = t === current;
          return html`<span class="tab">
            <button
              role="tab"
              id=${`tab-${t.sessionId}`}
              aria-selected=${selected ? 'true' : 'false'}
              aria-controls=${`panel-${t.sessionId}`}
              tabindex=${selected ? '0' : '-1'}
              data-testid="session-tab"
              @click=${() => this.fire('select-tab', t.sessionId)}
            ><span class=${`dot ${t.phase === 'live' ? 'live' : ''}`} aria-hidden="true"></span>${i + 1}. ${t.peerName}${t.phase === 'ended' ? ' (ended)' : ''}</button>
            ${t.phase === 'ended'
              ? html`<button class="close" aria-label=${`Close tab ${i + 1}`} @click=${() => this.fire('close-tab', t.sessionId)}>×</button>`
              : nothing}
          </span>`;
        })}
      </div>
      ${current
        ? html`<div role="tabpanel" id=${`panel-${current.sessionId}`} aria-labelledby=${`tab-${current.sessionId}`}>
            <rr-session-view .session=${current}></rr-session-view>
          </div>`
        : nothing}
    `;
  }

  private onKey(e: KeyboardEvent): void {
    if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
    const index = this.tabs.findIndex((t) => t.sessionId === this.selected);
    const next = this.tabs[(Math.max(0, index) + (e.key === 'ArrowRight' ? 1 : -1) + this.tabs.length) % this.tabs.length];
    if (!next) return;
    e.preventDefault();
    this.fire('select-tab', next.sessionId);
    void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLButtonElement>(`#tab-${next.sessionId}`)?.focus());
  }

  private fire(type: string, sessionId: string): void {
    this.dispatchEvent(new CustomEvent(type, { detail: { sessionId }, bubbles: true, composed: true }));
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'rr-session-tabs': RrSessionTabs;
  }
}
