import { css } from 'lit';

/** Shared look for every element: sizes in rem so the customer's font-size control scales all of it. */
export const baseStyles = css`
  :host {
    box-sizing: border-box;
    font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif;
    color: var(--rr-fg, #1b1f24);
  }
  *, *::before, *::after { box-sizing: inherit; }
  button, input, select, textarea { font: inherit; }
  button {
    min-height: 2.5rem;
    padding: 0.4rem 1rem;
    border-radius: 0.4rem;
    border: 1px solid var(--rr-border, #8a94a0);
    background: var(--rr-button-bg, #fff);
    color: inherit;
    cursor: pointer;
  }
  button.primary { background: var(--rr-accent, #0b5cad); border-color: var(--rr-accent, #0b5cad); color: #fff; }
  button.danger { background: var(--rr-danger, #b3261e); border-color: var(--rr-danger, #b3261e); color: #fff; }
  button:disabled { opacity: 0.55; cursor: not-allowed; }
  button:focus-visible, input:focus-visible, textarea:focus-visible, select:focus-visible, a:focus-visible,
  [tabindex]:focus-visible, video:focus-visible {
    outline: 3px solid var(--rr-focus, #f2a900);
    outline-offset: 2px;
  }
  input[type='text'], input[type='email'], input[type='password'], textarea {
    padding: 0.45rem 0.6rem;
    border: 1px solid var(--rr-border, #8a94a0);
    border-radius: 0.35rem;
    min-height: 2.5rem;
    background: #fff;
  }
  a { color: var(--rr-accent, #0b5cad); }
  .card {
    background: var(--rr-card-bg, #fff);
    border: 1px solid var(--rr-card-border, #d5dbe1);
    border-radius: 0.6rem;
    padding: 1rem;
  }
  .muted { color: var(--rr-muted, #56606b); }
  .error { color: var(--rr-danger, #b3261e); font-weight: 600; }
  .row { display: flex; gap: 0.5rem; align-items: center; flex-wrap: wrap; }
  .visually-hidden {
    position: absolute !important; width: 1px; height: 1px; overflow: hidden;
    clip: rect(0 0 0 0); white-space: nowrap; margin: -1px; padding: 0; border: 0;
  }
  h2, h3 { margin: 0 0 0.5rem; line-height: 1.25; }
  h2 { font-size: 1.2rem; }
  h3 { font-size: 1.05rem; }
`;

/** Formats a byte count for people (KiB-based, one decimal). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit] ?? 'TB'}`;
}

/** Formats a timestamp as a local clock time. */
export function formatTime(at: number): string {
  return new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}
