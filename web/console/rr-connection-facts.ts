import { LitElement, html, css } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { baseStyles } from '../shared/styles.ts';

/** What the console shows about the peer connection. */
export type FactsView = {
  path: 'direct' | 'relayed' | 'unknown';
  localCandidate?: string | undefined;
  remoteCandidate?: string | undefined;
  rttMs?: number | undefined;
  fps?: number | undefined;
  bitrateKbps?: number | undefined;
  state?: string | undefined;
};

const dash = '—';

/** Connection facts: direct or relayed, round-trip time, frame rate, bitrate. */
@customElement('rr-connection-facts')
export class RrConnectionFacts extends LitElement {
  static override styles = [
    baseStyles,
    css`
      :host { display: block; }
      dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 0.8rem; margin: 0; font-size: 0.9rem; }
      dt { color: #56606b; }
      dd { margin: 0; font-variant-numeric: tabular-nums; }
      .warn { color: #8a5300; font-weight: 600; margin: 0.4rem 0 0; font-size: 0.9rem; }
    `,
  ];

  @property({ attribute: false }) facts: FactsView | null = null;
  /** From `ice.turnConfigured`: without TURN only direct paths can work. */
  @property({ attribute: false }) turnConfigured: boolean | null = null;

  override render() {
    const f = this.facts;
    const path = f?.path === 'direct' ? 'Direct' : f?.path === 'relayed' ? 'Relayed (TURN)' : dash;
    return html`
      <h3 id="facts-title">Connection</h3>
      <dl aria-labelledby="facts-title" data-testid="connection-facts">
        <dt>State</dt><dd data-testid="fact-state">${f?.state ?? dash}</dd>
        <dt>Path</dt><dd data-testid="fact-path">${path}${f?.localCandidate ? ` (${f.localCandidate} → ${f.remoteCandidate ?? '?'})` : ''}</dd>
        <dt>Round trip</dt><dd data-testid="fact-rtt">${f?.rttMs !== undefined ? `${Math.round(f.rttMs)} ms` : dash}</dd>
        <dt>Frame rate</dt><dd data-testid="fact-fps">${f?.fps !== undefined ? `${f.fps.toFixed(1)} fps` : dash}</dd>
        <dt>Bitrate</dt><dd data-testid="fact-bitrate">${f?.bitrateKbps !== undefined ? `${Math.round(f.bitrateKbps)} kbit/s` : dash}</dd>
      </dl>
      ${this.turnConfigured === false
        ? html`<p class="warn" data-testid="turn-warning">TURN not configured: only direct connections</p>`
        : ''}
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'rr-connection-facts': RrConnectionFacts;
  }
}
