import { css } from 'lit';

/**
 * Tables of the administration page: a table on wide screens, one card per
 * row on phones (each cell labelled from its `data-label`).
 */
export const tableStyles = css`
  table { width: 100%; border-collapse: collapse; font-size: 0.95rem; }
  th, td { text-align: left; padding: 0.45rem 0.5rem; border-bottom: 1px solid #e2e6ea; vertical-align: top; }
  th { font-size: 0.85rem; color: var(--rr-muted, #56606b); font-weight: 600; }
  td.actions { display: flex; flex-wrap: wrap; gap: 0.3rem; }
  td.actions button { min-height: 2.2rem; padding: 0.25rem 0.6rem; font-size: 0.85rem; }
  .badge { display: inline-block; padding: 0.05rem 0.45rem; border-radius: 0.8rem; font-size: 0.8rem; background: #e8edf2; }
  .badge.on { background: #dff3e4; color: #14532d; }
  .badge.off { background: #fde2e1; color: #7f1d1d; }
  .pager { display: flex; gap: 0.5rem; align-items: center; justify-content: flex-end; flex-wrap: wrap; margin-top: 0.6rem; }
  .mono { font-family: ui-monospace, monospace; font-size: 0.85rem; overflow-wrap: anywhere; }
  @media (max-width: 760px) {
    table, tbody, tr, td { display: block; width: 100%; }
    thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
    tr { border: 1px solid #d5dbe1; border-radius: 0.5rem; margin-bottom: 0.6rem; padding: 0.3rem 0.2rem; background: #fff; }
    td { border: none; padding: 0.2rem 0.5rem; }
    td[data-label]::before { content: attr(data-label) ': '; font-weight: 600; color: var(--rr-muted, #56606b); font-family: system-ui, sans-serif; font-size: 0.95rem; }
  }
`;

/** Forms of the administration page. */
export const formStyles = css`
  form.inline { display: flex; flex-wrap: wrap; gap: 0.6rem; align-items: flex-end; }
  .field { display: flex; flex-direction: column; gap: 0.2rem; min-width: 0; }
  .field label { font-weight: 600; font-size: 0.9rem; }
  .field input[type='text'], .field input[type='email'], .field input[type='password'], .field input[type='search'],
  .field input[type='date'], .field input[type='number'], .field select {
    padding: 0.4rem 0.55rem; border: 1px solid var(--rr-border, #8a94a0); border-radius: 0.35rem; min-height: 2.5rem; background: #fff; max-width: 100%;
  }
  .check, .field label.check { display: flex; gap: 0.4rem; align-items: center; min-height: 2.5rem; font-weight: 400; }
  @media (max-width: 760px) { form.inline { flex-direction: column; align-items: stretch; } form.inline > * { flex: none; } }
`;
