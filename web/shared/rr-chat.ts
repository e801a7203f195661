import { LitElement, html, css } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { LIMITS } from '../../protocol/limits.ts';
import { baseStyles, formatTime } from './styles.ts';
import { StickToBottom } from './stick-to-bottom.ts';
import type { ChatEntry } from './view-models.ts';

/** Characters left at which the field starts counting. */
const COUNT_FROM = LIMITS.chatChars - 500;
const fmt = (n: number): string => n.toLocaleString('en-US');

/**
 * Chat panel: the conversation (a polite live region, so new messages are read
 * out) and a labelled field to send. The field holds at most the protocol's
 * `LIMITS.chatChars`; near it a counter shows, and typing or pasting past it
 * says that the rest was not added. Fires `chat-send` with `{ text }`.
 */
@customElement('rr-chat')
export class RrChat extends LitElement {
  static override styles = [
    baseStyles,
    css`
      :host { display: flex; flex-direction: column; min-height: 0; }
      ol { list-style: none; margin: 0 0 0.5rem; padding: 0.5rem; overflow-y: auto; flex: 1; min-height: var(--rr-chat-min-height, 6rem);
        max-height: var(--rr-chat-max-height, 18rem); border: 1px solid #d5dbe1; border-radius: 0.4rem; background: #f7f9fb; }
      /* Scroll anchoring on a last, empty line: while at the bottom, a re-wrap keeps the newest line in view (Chromium, Firefox; StickToBottom covers Safari). */
      ol > li { overflow-anchor: none; }
      ol::after { content: ''; display: block; height: 1px; overflow-anchor: auto; }
      li { margin: 0.25rem 0; overflow-wrap: anywhere; }
      li.me { text-align: right; }
      .bubble { display: inline-block; padding: 0.3rem 0.6rem; border-radius: 0.6rem; background: #e4ebf3; max-width: 90%; text-align: left; }
      li.me .bubble { background: #d3e6fb; }
      .meta { font-size: 0.75rem; color: #56606b; display: block; }
      form { display: flex; gap: 0.5rem; }
      /* width 0: the field's own default width (20 characters) must not widen a narrow column. */
      input { flex: 1 1 0; width: 0; min-width: 0; }
      .limit { font-size: 0.85rem; margin: 0.3rem 0 0; }
      .limit.full { color: var(--rr-warn, #8a5300); font-weight: 600; }
    `,
  ];

  @property({ attribute: false }) messages: readonly ChatEntry[] = [];
  @property({ type: Boolean }) disabled = false;
  @state() private draft = '';
  /** Something typed or pasted did not fit. */
  @state() private cut = false;
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
          maxlength=${LIMITS.chatChars}
          placeholder="Type a message"
          aria-describedby="chat-limit"
          .value=${this.draft}
          ?disabled=${this.disabled}
          @beforeinput=${(e: InputEvent) => this.onBeforeInput(e)}
          @paste=${(e: ClipboardEvent) => this.onPaste(e)}
          @input=${(e: Event) => this.onInput(e)}
        />
        <button type="submit" ?disabled=${this.disabled || this.draft.trim() === ''}>Send</button>
      </form>
      <p id="chat-limit" class=${`limit ${this.cut ? 'full' : 'muted'}`} role="status" data-testid="chat-limit">${this.limitText()}</p>
    `;
  }

  private limitText(): string {
    const n = this.draft.length;
    if (this.cut) return `At most ${fmt(LIMITS.chatChars)} characters a message; the rest was not added.`;
    if (n >= COUNT_FROM) return `${fmt(n)} of ${fmt(LIMITS.chatChars)} characters`;
    return '';
  }

  private room(input: HTMLInputElement): number {
    const selected = (input.selectionEnd ?? 0) - (input.selectionStart ?? 0);
    return LIMITS.chatChars - input.value.length + selected;
  }

  private onPaste(e: ClipboardEvent): void {
    const text = e.clipboardData?.getData('text/plain') ?? '';
    if (text.length > this.room(e.target as HTMLInputElement)) this.cut = true;
  }

  private onBeforeInput(e: InputEvent): void {
    if (e.inputType.startsWith('insert') && e.inputType !== 'insertFromPaste' && (e.data?.length ?? 0) > this.room(e.target as HTMLInputElement)) this.cut = true;
  }

  private onInput(e: Event): void {
    this.draft = (e.target as HTMLInputElement).value;
    if (this.draft.length < LIMITS.chatChars) this.cut = false;
  }

  private stick: StickToBottom | null = null;

  protected override updated(changed: Map<PropertyKey, unknown>): void {
    if (this.list && !this.stick) this.stick = new StickToBottom(this.list);
    if (changed.has('messages')) this.stick?.toBottom();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.stick?.disconnect();
    this.stick = null;
  }

  private onSubmit(e: Event): void {
    e.preventDefault();
    const text = this.draft.trim();
    if (!text) return;
    this.dispatchEvent(new CustomEvent('chat-send', { detail: { text }, bubbles: true, composed: true }));
    this.draft = '';
    this.cut = false;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'rr-chat': RrChat;
  }
}
