import { LitElement, html, css } from 'lit';
import { customElement, property, query } from 'lit/decorators.js';
import { baseStyles, formatTime } from './styles.ts';
import { StickToBottom } from './stick-to-bottom.ts';
import type { LogEntry } from './view-models.ts';

/** The detailed session log: every permission, file and connection event, newest last. */
@customElement('rr-session-log')
export class RrSessionLog extends LitElement {
  static override styles = [
    baseStyles,
    css`
      :host { display: block; }
      ol { list-style: none; margin: 0; padding: 0.5rem; max-height: var(--rr-log-max-height, 12rem); overflow-y: auto;
        border: 1px solid #d5dbe1; border-radius: 0.4rem; background: #fbfcfd; font-size: 0.9rem; }
      /* Scroll anchoring on a last, empty line: while at the bottom, a re-wrap keeps the newest line in view (Chromium, Firefox; StickToBottom covers Safari). */
      ol > li { overflow-anchor: none; }
      ol::after { content: ''; display: block; height: 1px; overflow-anchor: auto; }
      li { padding: 0.1rem 0; overflow-wrap: anywhere; }
      time { color: #56606b; font-variant-numeric: tabular-nums; margin-right: 0.4rem; }
    `,
  ];

  @property({ attribute: false }) entries: readonly LogEntry[] = [];
  @query('ol') private list?: HTMLOListElement;

  override render() {
    return html`
      <h3 id="log-title">Session log</h3>
      <ol aria-labelledby="log-title" aria-live="polite" aria-relevant="additions" tabindex="0" data-testid="session-log">
        ${this.entries.map((e) => html`<li><time datetime=${new Date(e.at).toISOString()}>${formatTime(e.at)}</time>${e.text}</li>`)}
      </ol>
    `;
  }

  private stick: StickToBottom | null = null;

  protected override updated(changed: Map<PropertyKey, unknown>): void {
    if (this.list && !this.stick) this.stick = new StickToBottom(this.list);
    if (changed.has('entries')) this.stick?.toBottom();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.stick?.disconnect();
    this.stick = null;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'rr-session-log': RrSessionLog;
  }
}
