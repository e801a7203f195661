import WebSocket from 'ws';

type Message = Record<string, unknown>;

/**
 * What a wait names a message by: its type (a signal's kind added) and the
 * session it is about (`sessionId`) or else the request it answers (`ref`),
 * e.g. `session.created c12`, `signal.candidate <sessionId>`, `OFFER `. The
 * same for both servers' messages, so both get the same client cost.
 */
export function messageKey(m: Message): string {
  const type = m.type === 'signal' ? `signal.${String((m.data as { kind?: unknown } | undefined)?.kind)}` : String(m.type);
  const id = typeof m.sessionId === 'string' ? m.sessionId : typeof m.ref === 'string' ? m.ref : '';
  return `${type} ${id}`;
}

/** Unclaimed messages kept per socket (oldest dropped first): a console gets pushes nobody waits for. */
const BACKLOG_LIMIT = 1000;

/**
 * A WebSocket with a promise-based wait for the next message of a key
 * (`messageKey`). Both the messages and the waiters are kept per key, so a
 * message costs O(1) however many are waiting or unclaimed: the load client
 * shares the cores with the server under test, and a scan per message (it
 * was up to 1000 unclaimed pushes per console) made it the bench's bottleneck.
 */
export class BenchSocket {
  private readonly waiters = new Map<string, Array<(m: Message) => void>>();
  private readonly backlog = new Map<string, Message[]>();
  private unclaimed = 0;
  errors = 0;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      let message: Message;
      try {
        message = JSON.parse(data.toString()) as Message;
      } catch {
        this.errors++;
        return;
      }
      if (message.type === 'error' || message.type === 'ERROR') this.errors++;
      const key = messageKey(message);
      const waiting = this.waiters.get(key);
      const waiter = waiting?.shift();
      if (waiter) {
        if (waiting!.length === 0) this.waiters.delete(key);
        waiter(message);
        return;
      }
      const queue = this.backlog.get(key);
      if (queue) queue.push(message);
      else this.backlog.set(key, [message]);
      if (++this.unclaimed > BACKLOG_LIMIT) this.dropOldest();
    });
  }

  static open(url: string, headers?: Record<string, string>): Promise<BenchSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers });
      const socket = new BenchSocket(ws);
      ws.once('open', () => resolve(socket));
      ws.once('error', reject);
    });
  }

  send(message: unknown): void {
    this.ws.send(JSON.stringify(message));
  }

  /** The next message of `key` (see messageKey): one already here, or the next to arrive. */
  next(key: string, timeoutMs = 30_000): Promise<Message> {
    const queue = this.backlog.get(key);
    const ready = queue?.shift();
    if (ready) {
      if (queue!.length === 0) this.backlog.delete(key);
      this.unclaimed--;
      return Promise.resolve(ready);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const waiting = this.waiters.get(key);
        const index = waiting?.indexOf(deliver) ?? -1;
        if (index >= 0) waiting!.splice(index, 1);
        if (waiting?.length === 0) this.waiters.delete(key);
        reject(new Error(`timed out waiting for ${key}`));
      }, timeoutMs);
      const deliver = (m: Message): void => {
        clearTimeout(timer);
        resolve(m);
      };
      const waiting = this.waiters.get(key);
      if (waiting) waiting.push(deliver);
      else this.waiters.set(key, [deliver]);
    });
  }

  close(): void {
    this.ws.terminate();
  }

  /** Drops the oldest unclaimed message (keys are kept in the order they first came). */
  private dropOldest(): void {
    for (const [key, queue] of this.backlog) {
      queue.shift();
      if (queue.length === 0) this.backlog.delete(key);
      this.unclaimed--;
      return;
    }
  }
}

/** A realistic offer-sized SDP (about 4 KB) and host candidates, the same for both servers. */
export const FAKE_SDP = `v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n${'a=fake-attribute:0123456789abcdef0123456789abcdef\r\n'.repeat(80)}`;
export const fakeCandidate = (i: number): { candidate: string; sdpMid: string; sdpMLineIndex: number } => ({
  candidate: `candidate:${1000 + i} 1 udp 2122260223 127.0.0.1 ${50000 + i} typ host generation 0 ufrag abcd network-id 1`,
  sdpMid: '0',
  sdpMLineIndex: 0,
});
export const CANDIDATES_PER_SIDE = 4;
