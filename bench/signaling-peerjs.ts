import { BenchSocket, CANDIDATES_PER_SIDE, FAKE_SDP, fakeCandidate } from './lib/ws-client.ts';

/**
 * One pair's exchange against PeerJS server: both peers connect (OPEN), then
 * offer, answer and candidates each way, the same pattern as the product's
 * exchange minus the product's code entry and activation. Resolves with the
 * exchange latency in ms; the sockets stay open (for the RSS figure) and are
 * returned through `hold`.
 */
export async function peerjsPair(port: number, index: number, hold: BenchSocket[]): Promise<number> {
  const base = `ws://127.0.0.1:${port}/peerjs?key=peerjs`;
  const techId = `tech${index}x${process.pid}`;
  const custId = `cust${index}x${process.pid}`;
  const tech = await BenchSocket.open(`${base}&id=${techId}&token=t${index}`);
  hold.push(tech);
  await tech.next('OPEN ');
  const start = performance.now();
  const cust = await BenchSocket.open(`${base}&id=${custId}&token=c${index}`);
  hold.push(cust);
  await cust.next('OPEN ');
  tech.send({ type: 'OFFER', dst: custId, payload: { sdp: { type: 'offer', sdp: FAKE_SDP } } });
  await cust.next('OFFER ');
  cust.send({ type: 'ANSWER', dst: techId, payload: { sdp: { type: 'answer', sdp: FAKE_SDP } } });
  await tech.next('ANSWER ');
  for (let i = 0; i < CANDIDATES_PER_SIDE; i++) {
    tech.send({ type: 'CANDIDATE', dst: custId, payload: { candidate: fakeCandidate(i) } });
    cust.send({ type: 'CANDIDATE', dst: techId, payload: { candidate: fakeCandidate(i + 10) } });
  }
  for (let i = 0; i < CANDIDATES_PER_SIDE; i++) {
    await cust.next('CANDIDATE ');
    await tech.next('CANDIDATE ');
  }
  if (tech.errors + cust.errors > 0) throw new Error('PeerJS reported an error');
  return performance.now() - start;
}
