import type { LogActor } from '../../rtc/session-log.ts';

/**
 * A session log line as the customer reads it, the same on the support page
 * and in the support window: "You: …", "Ann Tech: …", or the system's text
 * alone. A technician's request already reads as a sentence ("asks: View
 * your screen"), so it gets their name without a colon of its own:
 * "Ann Tech asks: View your screen".
 */
export function customerLogText(actor: LogActor, kind: string, text: string, technicianName: string): string {
  if (actor === 'system') return text;
  if (actor === 'customer') return `You: ${text}`;
  return kind === 'permission' && text.startsWith('asks') ? `${technicianName} ${text}` : `${technicianName}: ${text}`;
}
