/**
 * Session set-up and numbered signals over real sockets, shared by the fault
 * scenarios: a console opens, creates a session, a customer enters the code,
 * the console activates it; then signals carry a sequence number and a send
 * time, so the receiver can count what was lost, reordered, and how late.
 */
import { is, LoadSocket, type Message } from './load-client.ts';

export interface Endpoint {
  wsUrl: string;
  origin: string;
}

export interface LiveSession {
  sessionId: string;
  token: string;
  customer: LoadSocket;
  technician: LoadSocket;
}

/** Opens a technician console with its login cookie; resolves after welcome and the first session.list. */
export async function openConsole(server: Endpoint, cookie: string): Promise<LoadSocket> {
  const socket = await LoadSocket.open(`${server.wsUrl}/ws/technician`, { headers: { cookie, origin: server.origin } });
  await socket.next(is('welcome'), 'welcome');
  await socket.next((m) => m.type === 'session.list' && m.ref === undefined, 'the first session.list');
  return socket;
}

/** The n-th distinct loopback source address (127.1.x.y), so customers do not share one address's limits. */
export function customerAddress(n: number): string {
  return `127.1.${Math.floor(n / 250)}.${(n % 250) + 1}`;
}

/** Created, queued (the customer entered the code), activated: both sides have session.activated. */
export async function startSession(server: Endpoint, technician: LoadSocket, ref: string, address: string): Promise<LiveSession> {
  technician.send({ type: 'session.create', id: ref });
  const created = await technician.next(is('session.created', { ref }), `session.created ${ref}`);
  const { sessionId, code } = created.session as { sessionId: string; code: string };
  const customer = await LoadSocket.open(`${server.wsUrl}/ws/customer`, { localAddress: address });
  customer.send({ type: 'code.submit', id: 'submit', code, client: 'agent' });
  const accepted = await customer.next(is('code.accepted'), 'code.accepted');
  await technician.next(is('session.state', { sessionId, state: 'queued' }), 'queued');
  technician.send({ type: 'session.activate', id: `a-${ref}`, sessionId });
  await technician.next(is('session.activated', { sessionId }), 'session.activated (technician)');
  await customer.next(is('session.activated', { sessionId }), 'session.activated (customer)');
  return { sessionId, token: accepted.token as string, customer, technician };
}

/** A signal that carries `seq` and the send time (ms, performance.now) in its candidate line. */
export function numberedSignal(sessionId: string, seq: number): Message {
  const candidate = `candidate:${seq} 1 udp 2122260223 127.0.0.1 ${10_000 + seq} typ host generation 0 rr-seq ${seq} rr-sent ${performance.now().toFixed(3)}`;
  return { type: 'signal', sessionId, data: { kind: 'candidate', candidate: { candidate, sdpMid: '0', sdpMLineIndex: 0 } } };
}

/** Reads a numbered signal back: its session, sequence number and how long it took. */
export function readNumbered(message: Message): { sessionId: string; seq: number; latencyMs: number } | null {
  if (message.type !== 'signal') return null;
  const data = message.data as { kind?: string; candidate?: { candidate?: string } | null };
  const line = data.kind === 'candidate' ? data.candidate?.candidate : undefined;
  const match = line ? / rr-seq (\d+) rr-sent ([\d.]+)$/.exec(line) : null;
  if (!match) return null;
  return { sessionId: message.sessionId as string, seq: Number(match[1]), latencyMs: performance.now() - Number(match[2]) };
}

/**
 * Counts numbered signals per session and direction as they arrive: the
 * expected next number, what came out of order, and every latency.
 */
export class SignalLedger {
  readonly latencies: number[] = [];
  reordered = 0;
  private readonly nextSeq = new Map<string, number>();
  private readonly counts = new Map<string, number>();

  /** Wire to a socket's onMessage: takes numbered signals, leaves the rest to waiters. */
  take(direction: string) {
    return (message: Message): boolean => {
      const numbered = readNumbered(message);
      if (!numbered) return false;
      const key = `${direction}:${numbered.sessionId}`;
      const expected = this.nextSeq.get(key) ?? 0;
      if (numbered.seq !== expected) this.reordered++;
      this.nextSeq.set(key, Math.max(expected, numbered.seq + 1));
      this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
      this.latencies.push(numbered.latencyMs);
      return true;
    };
  }

  /** How many numbered signals arrived in `direction` for a session. */
  received(direction: string, sessionId: string): number {
    return this.counts.get(`${direction}:${sessionId}`) ?? 0;
  }
}
