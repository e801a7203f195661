import { LitElement, html, css, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { SessionSummary } from '../../protocol/signaling.ts';
import { baseStyles } from '../shared/styles.ts';

/** How long someone has waited, e.g. "45 s", "3:07", "1:02:07". */
export function waited(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  if (total < 60) return `${total} s`;
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/**
 * New PIN sessions (with the force-relay option), their codes and expiry, and
 * the queue of customers waiting: the name they gave, how they joined (support
 * app or browser), the code they used and how long they have waited (live),
 * each with a Start button.
 * Fires `create-session` `{ forceRelay }`, `start-session` and `cancel-session` `{ sessionId }`.
 */
@customElement('rr-session-queue')
export class RrSessionQueue extends LitElement {
  static override styles = [
    baseStyles,
    css`
      :host { display: block; }
      form { display: flex; flex-direction: column; gap: 0.5rem; margin-bottom: 1rem; }
      .code { font-size: 1.8rem; font-weight: 700; letter-spacing: 0.2em; font-variant-numeric: tabular-nums; }
      ul { list-style: none; margin: 0; padding: 0; }
      li { border-top: 1px solid #e2e6ea; padding: 0.5rem 0; display: flex; gap: 0.5rem; align-items: center; justify-content: space-between; flex-wrap: wrap; }
      .queued { background: #fff8e1; border-radius: 0.4rem; padding: 0.5rem; }
      .who { display: flex; flex-direction: column; }
      .nowrap { flex-wrap: nowrap; align-items: flex-start; }
      .nowrap input { margin-top: 0.3rem; }
      .small { font-size: 0.85rem; }
      time { font-variant-numeric: tabular-nums; }
    `,
  ];

  @property({ attribute: false }) sessions: readonly SessionSummary[] = [];
  @property({ attribute: false }) highlight: string | null = null;
  @property({ type: Boolean }) disabled = false;
  /** Sessions whose Start is in flight. */
  @property({ attribute: false }) starting: ReadonlySet<string> = new Set();
  @state() private forceRelay = false;
  @state() private now = Date.now();
  private timer: ReturnType<typeof setInterval> | undefined;

  override connectedCallback(): void {
    super.connectedCallback();
    this.timer = setInterval(() => (this.now = Date.now()), 1000);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearInterval(this.timer);
  }

  override render() {
    const queued = this.sessions.filter((s) => s.state === 'queued');
    const pending = this.sessions.filter((s) => s.state === 'pending');
    return html`
      <section aria-labelledby="new-title">
        <h2 id="new-title">New session</h2>
        <form @submit=${(e: Event) => this.onCreate(e)}>
          <label class="row nowrap">
            <input type="checkbox" .checked=${this.forceRelay} @change=${(e: Event) => (this.forceRelay = (e.target as HTMLInputElement).checked)} />
            Force relay (TURN) for this session
          </label>
          <button type="submit" class="primary" ?disabled=${this.disabled}>Create session code</button>
        </form>
      </section>
      <section aria-labelledby="queue-title">
        <h2 id="queue-title">Waiting customers (${queued.length})</h2>
        <ul aria-live="polite" data-testid="queue">
          ${queued.length === 0 ? html`<li class="muted">Nobody is waiting.</li>` : nothing}
          ${queued.map((s) => this.renderQueued(s))}
        </ul>
      </section>
      <section aria-labelledby="codes-title">
        <h2 id="codes-title">Open codes (${pending.length})</h2>
        <ul data-testid="codes">
          ${pending.length === 0 ? html`<li class="muted">No open codes.</li>` : nothing}
          ${pending.map((s) => this.renderPending(s))}
        </ul>
      </section>
    `;
  }

  private renderQueued(s: SessionSummary) {
    const c = s.customer;
    const name = c?.name ?? 'Customer';
    const kind = c?.kind === 'agent' ? 'Support app' : 'Browser';
    const starting = this.starting.has(s.sessionId);
    return html`<li class="queued" data-testid="queue-row" data-session=${s.sessionId}>
      <span class="who">
        <strong data-testid="queue-name">${c?.name ?? html`Customer <span class="muted">(no name given)</span>`}</strong>
        <span data-testid="queue-details">
          <span data-testid="queue-kind">${kind}</span>${c?.code ? html` · code <span data-testid="queue-code">${c.code}</span>` : nothing}
          · waiting <time data-testid="queue-wait" datetime=${c ? new Date(c.joinedAt).toISOString() : ''}>${c ? waited(this.now - c.joinedAt) : '—'}</time>
        </span>
        ${c ? html`<span class="muted small">from ${c.address}</span>` : nothing}
      </span>
      <button class="primary" ?disabled=${starting || this.disabled} @click=${() => this.fire('start-session', s.sessionId)} aria-label=${`Start session with ${name}`}>
        ${starting ? 'Starting…' : 'Start'}
      </button>
    </li>`;
  }

  private renderPending(s: SessionSummary) {
    const left = s.codeExpiresAt ? Math.max(0, Math.round((s.codeExpiresAt - this.now) / 1000)) : null;
    const leftText = left === null ? '' : left === 0 ? 'expired' : `expires in ${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`;
    return html`<li data-testid="code-row" data-session=${s.sessionId}>
      <span class="who">
        <span class="code" data-testid="session-code" aria-label=${`Code ${(s.code ?? '').split('').join(' ')}`}>${s.code ?? '——————'}</span>
        <span class="muted">
          ${s.codeExpiresAt ? html`<time datetime=${new Date(s.codeExpiresAt).toISOString()}>${leftText}</time>` : nothing}
          ${s.forceRelay ? ' · relay only' : ''}${this.highlight === s.sessionId ? ' · new' : ''}
        </span>
      </span>
      <button @click=${() => this.fire('cancel-session', s.sessionId)} aria-label=${`Cancel code ${s.code ?? ''}`}>Cancel</button>
    </li>`;
  }

  private onCreate(e: Event): void {
    e.preventDefault();
    this.dispatchEvent(new CustomEvent('create-session', { detail: { forceRelay: this.forceRelay }, bubbles: true, composed: true }));
  }

  private fire(type: string, sessionId: string): void {
    this.dispatchEvent(new CustomEvent(type, { detail: { sessionId }, bubbles: true, composed: true }));
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'rr-session-queue': RrSessionQueue;
  }
}
