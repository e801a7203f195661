import { expect } from 'chai';
import { CHANNEL_NAMES } from '../../protocol/channels.ts';
import type { ChatMessage } from '../../protocol/channels.ts';
import { makePair, nextEvent } from '../../testkit/rtc-pair.ts';
import type { Pair } from '../../testkit/rtc-pair.ts';

const chat = (text: string): ChatMessage => ({ type: 'chat', msgId: crypto.randomUUID(), text, at: Date.now() });

describe('rtc/peer-session', function () {
  this.timeout(20_000);
  let pair: Pair | null = null;
  afterEach(() => {
    pair?.close();
    pair = null;
  });

  it('connects and opens all five pre-negotiated channels', async () => {
    pair = makePair();
    await Promise.all([pair.tech.waitOpen(), pair.cust.waitOpen()]);
    for (const name of CHANNEL_NAMES) {
      expect(pair.tech.isOpen(name), name).to.equal(true);
      expect(pair.cust.isOpen(name), name).to.equal(true);
    }
    const got = nextEvent<ChatMessage>((h) => pair!.cust.on('chat', h));
    expect(pair.tech.send('chat', chat('hello there'))).to.equal(true);
    expect((await got).text).to.equal('hello there');
  });

  it('reports a direct path with host candidates on loopback', async () => {
    pair = makePair();
    await Promise.all([pair.tech.waitOpen(), pair.cust.waitOpen()]);
    const facts = await pair.tech.getConnectionFacts();
    expect(facts.path).to.equal('direct');
    expect(facts.localCandidateType).to.equal('host');
    // The remote may show as peer-reflexive when its check beats its signaled candidate.
    expect(facts.remoteCandidateType).to.be.oneOf(['host', 'prflx']);
    expect(facts.protocol).to.be.oneOf(['udp', 'tcp']);
  });
});
