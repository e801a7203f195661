/**
 * One session log line as a person reads it, the same in the console, on the
 * customer's page and in the support window. Engine texts come in three
 * shapes (rtc/customer-engine.ts, rtc/technician-engine.ts):
 * - a verb that continues the actor's name ("asks: View your screen",
 *   "asked: View your screen."): the name goes in front with no colon of its
 *   own, "Ann Tech asks: View your screen";
 * - a permission's decision ("View your screen: granted"): the decider goes
 *   after it, "View your screen: granted by Bob";
 * - anything else: "Ann Tech: text".
 * The system's lines (actor null) stay as they are.
 */
export function logLineText(actor: { name: string; you: boolean } | null, kind: string, text: string): string {
  if (actor === null) return text;
  if (/^[a-z]/.test(text)) return `${actor.name} ${text}`;
  const decision = kind === 'permission' ? /^(.+): (granted|denied|revoked)(\.?)$/.exec(text) : null;
  if (decision) return `${decision[1]}: ${decision[2]} by ${actor.you ? 'you' : actor.name}${decision[3]}`;
  return `${actor.name}: ${text}`;
}
