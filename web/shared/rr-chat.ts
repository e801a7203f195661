import { LitElement, html, css } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { baseStyles, formatTime } from './styles.ts';
import type { ChatEntry } from './view-models.ts';

/**
 * Chat panel: the conversation (a polite live region, so new messages are read
 * out) and a labelled field to send. Fires `chat-send` with `{ text }`.
 */
@customElement('rr-chat')
export class RrChat extends LitElement {
  static override styles = [
    baseStyles,
    css`
      :host { display: flex; flex-direction: column; min-height: 0; }
      ol { list-style: none; margin: 0 0 0.5rem; padding: 0.5rem; overflow-y: auto; flex: 1; min-height: 6rem;
        max-height: var(--rr-chat-max-height, 18rem); border: 1px solid #d5dbe1; border-radius: 0.4rem; background: #f7f9fb; }
      li { margin: 0.25rem 0; overflow-wrap: anywhere; }
      li.me { text-align: right; }
      .bubble { display: inline-block; padding: 0.3rem 0.6rem; border-radius: 0.6rem; background: #e4ebf3; max-width: 90%; text-align: left; }
      li.me .bubble { background: #d3e6fb; }
      .meta { font-size: 0.75rem; color: #56606b; display: block; }
      form { display: flex; gap: 0.5rem; }
      input { flex: 1; min-width: 0; }
    `,
  ];

  @property({ attribute: false }) messages: readonly ChatEntry[] = [];
  @property({ type: Boolean }) disabled = false;
  @state() private draft = '';
  @query('ol') private list?: HTMLOListElement;

  override render() {
    return html`
      <h3 id="chat-title">Chat</h3>
      <ol aria-labelledby="chat-title" aria-live="polite" aria-relevant="additions" data-testid="chat-messages">
        ${this.messages.map(
          (m) => html`<li class=${m.from} data-from=${m.from}>
            <span class="bubble"><span class="meta">${m.name} · ${formatTime(m.at)}</span>${m.text}</span>
          </li>`,
        )}
      </ol>
      <form @submit=${(e: Event) => this.onSubmit(e)}>
        <label class="visually-hidden" for="chat-input">Chat message</label>
        <input
          id="chat-input"
          type="text"
          autocomplete="off"
          maxlength="4000"
          placeholder="Type a message"
          .value=${this.draft}
          ?disabled=${this.disabled}
          @input=${(e: Event) => (this.draft = (e.target as HTMLInputElement).value)}
        />
        <button type="submit" ?disabled=${this.disabled || this.draft.trim() === ''}>Send</button>
      </form>
    `;
  }

  protected override updated(changed: Map<PropertyKey, unknown>): void {
    if (changed.has('messages') && this.list) this.list.scrollTop = this.list.scrollHeight;
  }

  private onSubmit(e: Event): void {
    e.preventDefault();
    const text = this.draft.trim();
    if (!text) return;
    this.dispatchEvent(new CustomEvent('chat-send', { detail: { text }, bubbles: true, composed: true }));
    this.draft = '';
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'rr-chat': RrChat;
  }
}
