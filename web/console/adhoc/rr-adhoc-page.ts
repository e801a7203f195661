import { LitElement, html } from 'lit';
import { customElement } from 'lit/decorators.js';
import { AdhocModel } from './adhoc-model.ts';
import './rr-adhoc-support.ts';
import './rr-adhoc-computers.ts';

/** Both ad hoc pages on one model; the console shell mounts this as its "Ad Hoc Support" / "Computers" area. */
@customElement('rr-adhoc-page')
export class RrAdhocPage extends LitElement {
  private readonly model = new AdhocModel();

  override connectedCallback(): void {
    super.connectedCallback();
    void this.model.init();
  }

  override render() {
    return html`<rr-adhoc-support .model=${this.model}></rr-adhoc-support><rr-adhoc-computers .model=${this.model}></rr-adhoc-computers>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'rr-adhoc-page': RrAdhocPage;
  }
}
