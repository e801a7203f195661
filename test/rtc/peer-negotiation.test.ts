import { expect } from 'chai';
import wrtc from '@roamhq/wrtc';
import { CHANNEL_NAMES } from '../../protocol/channels.ts';
import type { ChatMessage, ControlMessage } from '../../protocol/channels.ts';
import type { SignalData } from '../../protocol/ice.ts';
import { isIceRestartOffer, type PeerWarning } from '../../rtc/peer-session.ts';
import { makePair, nextEvent, waitFor } from '../../testkit/rtc-pair.ts';
import type { Pair } from '../../testkit/rtc-pair.ts';

const chat = (text: string): ChatMessage => ({ type: 'chat', msgId: crypto.randomUUID(), text, at: Date.now() });
const offers = (list: SignalData[]): string[] =>
  list.flatMap((s) => (s.kind === 'description' && s.description.type === 'offer' ? [s.description.sdp ?? ''] : []));
const ufrag = (sdp: string): string | undefined => /a=ice-ufrag:(\S+)/.exec(sdp)?.[1];

async function roundTrip(p: Pair, text: string): Promise<void> {
  const got = nextEvent<ChatMessage>((h) => p.cust.on('chat', h), 10_000, `chat ${text}`);
  expect(p.tech.send('chat', chat(text))).to.equal(true);
  expect((await got).text).to.equal(text);
  const back = nextEvent<ChatMessage>((h) => p.tech.on('chat', h), 10_000, `chat back ${text}`);
  expect(p.cust.send('chat', chat(`${text} back`))).to.equal(true);
  expect((await back).text).to.equal(`${text} back`);
}

describe('rtc/peer-session negotiation', function () {
  this.timeout(20_000);
  let pair: Pair | null = null;
  afterEach(() => {
    pair?.close();
    pair = null;
  });

  it('glare at start: both sides offer, the polite side rolls back, all channels open', async () => {
    pair = makePair({}, 5);
    await Promise.all([pair.tech.waitOpen(), pair.cust.waitOpen()]);
    // Both created channels, so both offered at once.
    expect(offers(pair.signals.toCust).length, 'technician offers').to.be.greaterThan(0);
    expect(offers(pair.signals.toTech).length, 'customer offers').to.be.greaterThan(0);
    await roundTrip(pair, 'after glare');
  });

  it('glare later: both restart ICE at the same moment and the session keeps working', async () => {
    pair = makePair({}, 5);
    await Promise.all([pair.tech.waitOpen(), pair.cust.waitOpen()]);
    const before = { tech: offers(pair.signals.toCust).length, cust: offers(pair.signals.toTech).length };
    await Promise.all([pair.tech.restartIce('test'), pair.cust.restartIce('test')]);
    await waitFor(() => offers(pair!.signals.toCust).length > before.tech && offers(pair!.signals.toTech).length > before.cust, 5000, 'both offered');
    await waitFor(() => pair!.tech.pc.signalingState === 'stable' && pair!.cust.pc.signalingState === 'stable', 5000, 'stable');
    await roundTrip(pair, 'after second glare');
  });

  it('isIceRestartOffer: a changed ice-ufrag on an established connection, not the first offer or a renegotiation', () => {
    const sdp = (u: string): string => `v=0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=ice-ufrag:${u}\r\na=ice-pwd:p\r\n`;
    expect(isIceRestartOffer(undefined, sdp('a'))).to.equal(false);
    expect(isIceRestartOffer(sdp('a'), sdp('a'))).to.equal(false);
    expect(isIceRestartOffer(sdp('a'), sdp('b'))).to.equal(true);
  });

  it('ICE restart: a new ufrag is negotiated, channels keep working, path stays direct over host candidates', async () => {
    let refreshed = 0;
    pair = makePair({
      refreshIce: async () => {
        refreshed++;
        return { iceServers: [], iceTransportPolicy: 'all', turnConfigured: false };
      },
    });
    await Promise.all([pair.tech.waitOpen(), pair.cust.waitOpen()]);
    const n = offers(pair.signals.toCust).length;
    await pair.tech.restartIce('test');
    await waitFor(() => offers(pair!.signals.toCust).length > n, 5000, 'restart offer');
    const restartOffer = offers(pair.signals.toCust).at(-1)!;
    expect(ufrag(restartOffer)).to.not.equal(ufrag(offers(pair.signals.toCust)[0]!));
    expect(ufrag(restartOffer)).to.be.a('string');
    await waitFor(() => pair!.tech.pc.signalingState === 'stable', 5000, 'stable');
    // Both sides fetched fresh ICE servers: the technician before its offer, the customer before its answer
    // (a relay that came back with a rotated secret refuses the credentials either side held before).
    expect(refreshed).to.equal(2);
    await roundTrip(pair, 'after restart');
    const facts = await pair.tech.getConnectionFacts();
    expect(facts.path).to.equal('direct');
    expect(facts.localCandidateType).to.equal('host');
    // The remote may show as peer-reflexive when its check beats its signaled candidate.
    expect(facts.remoteCandidateType).to.be.oneOf(['host', 'prflx']);
  });

  it('addTrack renegotiates and the other side gets the track', async () => {
    pair = makePair();
    await Promise.all([pair.tech.waitOpen(), pair.cust.waitOpen()]);
    const source = new wrtc.nonstandard.RTCVideoSource({ isScreencast: true });
    const track = source.createTrack();
    const got = nextEvent<{ track: MediaStreamTrack }>((h) => pair!.tech.on('track', h), 10_000, 'track');
    const n = offers(pair.signals.toTech).length;
    pair.cust.addTrack(track);
    const remote = await got;
    expect(remote.track.kind).to.equal('video');
    expect(offers(pair.signals.toTech).length, 'customer offered').to.be.greaterThan(n);
    await roundTrip(pair, 'after track');
    track.stop();
  });

  for (const name of CHANNEL_NAMES) {
    it(`malformed input on the ${name} channel gets an error back and a warning, no crash`, async () => {
      pair = makePair();
      await Promise.all([pair.tech.waitOpen(), pair.cust.waitOpen()]);
      const warnings: PeerWarning[] = [];
      pair.cust.on('warning', (w) => warnings.push(w));
      const errors: ControlMessage[] = [];
      pair.tech.on('control', (m) => m.type === 'error' && errors.push(m));
      const raw = pair.tech.channel(name);
      raw.send('{not json');
      raw.send(JSON.stringify({ type: 'no.such.type' }));
      raw.send(JSON.stringify({ type: 'chat', msgId: 'x', text: '', at: -1, extra: 1 }));
      if (name !== 'files') raw.send(new Uint8Array([1, 2, 3]));
      const expected = name === 'files' ? 3 : 4;
      await waitFor(() => errors.length >= expected, 5000, 'errors back');
      expect(errors.map((e) => e.type === 'error' && e.code).slice(0, 2)).to.deep.equal(['BAD_JSON', 'UNKNOWN_MESSAGE_TYPE']);
      expect(errors[2]!.type === 'error' && errors[2].code).to.be.oneOf(['INVALID_MESSAGE', 'UNKNOWN_MESSAGE_TYPE']);
      expect(warnings.filter((w) => w.channel === name)).to.have.length(expected);
      await roundTrip(pair, `after bad ${name}`);
    });
  }

  it('an error sent by the peer is a warning, not answered (no error loop)', async () => {
    pair = makePair();
    await Promise.all([pair.tech.waitOpen(), pair.cust.waitOpen()]);
    const warnings: PeerWarning[] = [];
    pair.cust.on('warning', (w) => warnings.push(w));
    const techErrors: ControlMessage[] = [];
    pair.tech.on('control', (m) => techErrors.push(m));
    pair.tech.send('control', { type: 'error', code: 'FORBIDDEN', message: 'nope' });
    await waitFor(() => warnings.length === 1, 5000, 'warning');
    await roundTrip(pair, 'after error');
    expect(techErrors).to.have.length(0);
  });

  it('refuses to send an invalid message and close() is idempotent', async () => {
    pair = makePair();
    await pair.tech.waitOpen(['control']);
    expect(() => pair!.tech.send('pointer', { type: 'pointer.move', x: 2, y: 0 })).to.throw(/invalid pointer message/);
    pair.tech.close();
    pair.tech.close();
    expect(pair.tech.closed).to.equal(true);
    expect(pair.tech.send('chat', chat('late'))).to.equal(false);
  });
});
