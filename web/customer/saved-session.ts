import type { ChatEntry, LogEntry } from '../shared/view-models.ts';

/**
 * What the support page keeps in this tab's sessionStorage while a session is
 * on, so a reload resumes it (`customer.resume` with the token) with its chat
 * and log instead of dropping back to the code form. The token never leaves
 * the tab (sessionStorage is per tab and per origin) and is removed when the
 * session ends.
 */
export interface SavedSession {
  sessionId: string;
  token: string;
  technicianName: string;
  customerName: string;
  mode: 'browser' | 'agent' | null;
  /** The screen was shared when the page went away: the customer is offered to share it again. */
  shared: boolean;
  chat: ChatEntry[];
  log: LogEntry[];
}

const KEY = 'rr.customerSession';
/** What is kept of chat and log (the page shows more while it stays open). */
const KEEP = { chat: 100, log: 200 };

export function saveSession(s: SavedSession): void {
  try {
    sessionStorage.setItem(KEY, JSON.stringify({ ...s, chat: s.chat.slice(-KEEP.chat), log: s.log.slice(-KEEP.log) }));
  } catch {
    // No storage (private mode, full): a reload then starts over.
  }
}

export function forgetSession(): void {
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    // Nothing stored.
  }
}

const isString = (v: unknown): v is string => typeof v === 'string';

/** The saved session, or null when there is none or it is not one this page wrote. */
export function loadSession(): SavedSession | null {
  let raw: unknown;
  try {
    raw = JSON.parse(sessionStorage.getItem(KEY) ?? 'null');
  } catch {
    return null;
  }
  if (!raw || typeof raw !== 'object') return null;
  const s = raw as Record<string, unknown>;
  if (!isString(s['sessionId']) || !isString(s['token']) || !isString(s['technicianName']) || !isString(s['customerName'])) return null;
  const mode = s['mode'] === 'browser' || s['mode'] === 'agent' ? s['mode'] : null;
  const chat = Array.isArray(s['chat'])
    ? (s['chat'] as ChatEntry[]).filter((c) => c && isString(c.id) && isString(c.text) && isString(c.name) && (c.from === 'me' || c.from === 'peer') && typeof c.at === 'number')
    : [];
  const log = Array.isArray(s['log']) ? (s['log'] as LogEntry[]).filter((e) => e && isString(e.text) && typeof e.at === 'number') : [];
  return { sessionId: s['sessionId'], token: s['token'], technicianName: s['technicianName'], customerName: s['customerName'], mode, shared: s['shared'] === true, chat, log };
}
