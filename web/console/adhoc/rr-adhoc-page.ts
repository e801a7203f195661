import { LitElement, html, css } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { AdhocModel } from './adhoc-model.ts';
import './rr-adhoc-support.ts';
import './rr-adhoc-computers.ts';

/**
 * Both ad hoc pages on one model: the console's "Ad hoc support" and
 * "Computers" entries show one of them (`view`); the other stays mounted but
 * hidden, so a live preparation or an open connection survives navigation.
 */
@customElement('rr-adhoc-page')
export class RrAdhocPage extends LitElement {
  static override styles = css`
    :host { display: block; }
    [hidden] { display: none !important; }
  `;

  @property() view: 'support' | 'computers' = 'support';
  private readonly model = new AdhocModel();

  override connectedCallback(): void {
    super.connectedCallback();
    void this.model.init();
  }

  override render() {
    return html`<rr-adhoc-support .model=${this.model} ?hidden=${this.view !== 'support'}></rr-adhoc-support>
      <rr-adhoc-computers .model=${this.model} ?hidden=${this.view !== 'computers'}></rr-adhoc-computers>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'rr-adhoc-page': RrAdhocPage;
  }
}
