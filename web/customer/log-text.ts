import type { LogActor } from '../../rtc/session-log.ts';
import { logLineText } from '../shared/log-line.ts';

/**
 * A session log line as the customer reads it, the same on the support page
 * and in the support window: "You: …", "Ann Tech asks: View your screen",
 * "View your screen: granted by you", or the system's text alone.
 */
export function customerLogText(actor: LogActor, kind: string, text: string, technicianName: string): string {
  if (actor === 'system') return text;
  return logLineText(actor === 'customer' ? { name: 'You', you: true } : { name: technicianName, you: false }, kind, text);
}
