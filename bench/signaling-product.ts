import { BenchSocket, CANDIDATES_PER_SIDE, FAKE_SDP, fakeCandidate } from './lib/ws-client.ts';

export interface ProductTarget {
  port: number;
  /** Where customers connect, when not `port` (a customer on another node than its technician). */
  customerPort?: number;
  /** One console socket per technician; each runs many sessions at once, as the console does. */
  technicians: BenchSocket[];
}

/** Logs a technician in over HTTP and returns the cookie pair `rr_session=...`. */
export async function login(port: number, email: string, password: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  const cookie = res.headers.getSetCookie().find((line) => line.startsWith('rr_session='));
  if (!res.ok || !cookie) throw new Error(`bench login failed: ${res.status}`);
  return cookie.split(';')[0] ?? '';
}

/** Opens a technician's console socket and waits for `welcome`. */
export async function openTechnician(port: number, origin: string, cookie: string): Promise<BenchSocket> {
  const tech = await BenchSocket.open(`ws://127.0.0.1:${port}/ws/technician`, { cookie, origin });
  await tech.next('welcome ');
  return tech;
}

/**
 * One pair's full exchange against the product's server: the technician
 * creates a session, the customer connects and enters the code, the
 * technician activates it, then offer, answer and candidates each way.
 * Resolves with the exchange latency in ms (from the technician's
 * session.create to the last candidate delivered).
 */
export async function productPair(target: ProductTarget, index: number, hold: BenchSocket[]): Promise<number> {
  const tech = target.technicians[index % target.technicians.length];
  if (!tech) throw new Error('no technician socket');
  const start = performance.now();
  const ref = `c${index}`;
  const errorsBefore = tech.errors;
  tech.send({ type: 'session.create', id: ref });
  const created = await tech.next(`session.created ${ref}`);
  const session = created.session as { sessionId: string; code: string };
  const sessionId = session.sessionId;
  const cust = await BenchSocket.open(`ws://127.0.0.1:${target.customerPort ?? target.port}/ws/customer`);
  hold.push(cust);
  cust.send({ type: 'code.submit', id: 's', code: session.code, client: 'agent' });
  await cust.next(`code.accepted ${sessionId}`);
  tech.send({ type: 'session.activate', id: `a${index}`, sessionId });
  await tech.next(`session.activated ${sessionId}`);
  await cust.next(`session.activated ${sessionId}`);
  tech.send({ type: 'signal', sessionId, data: { kind: 'description', description: { type: 'offer', sdp: FAKE_SDP } } });
  await cust.next(`signal.description ${sessionId}`);
  cust.send({ type: 'signal', sessionId, data: { kind: 'description', description: { type: 'answer', sdp: FAKE_SDP } } });
  await tech.next(`signal.description ${sessionId}`);
  for (let i = 0; i < CANDIDATES_PER_SIDE; i++) {
    tech.send({ type: 'signal', sessionId, data: { kind: 'candidate', candidate: fakeCandidate(i) } });
    cust.send({ type: 'signal', sessionId, data: { kind: 'candidate', candidate: fakeCandidate(i + 10) } });
  }
  for (let i = 0; i < CANDIDATES_PER_SIDE; i++) {
    await cust.next(`signal.candidate ${sessionId}`);
    await tech.next(`signal.candidate ${sessionId}`);
  }
  if (tech.errors > errorsBefore || cust.errors > 0) throw new Error('the server answered with an error');
  return performance.now() - start;
}
