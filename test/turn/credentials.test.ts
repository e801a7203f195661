import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { mintTurnCredentials } from '../../turn/credentials.ts';

/** HMAC-SHA1 from RFC 2104 written out by hand, so the test does not trust createHmac's use in the code under test. */
function hmacSha1ByHand(key: string, message: string): Buffer {
  let k = Buffer.from(key, 'utf8');
  if (k.length > 64) k = createHash('sha1').update(k).digest();
  const block = Buffer.alloc(64);
  k.copy(block);
  const ipad = Buffer.from(block.map((b) => b ^ 0x36));
  const opad = Buffer.from(block.map((b) => b ^ 0x5c));
  const inner = createHash('sha1').update(ipad).update(message, 'utf8').digest();
  return createHash('sha1').update(opad).update(inner).digest();
}

describe('turn: mintTurnCredentials (TURN REST API scheme)', () => {
  const now = 1_700_000_000_000 - 600_000; // expiry lands on 1700000000 with a 600 s TTL

  it('username is <unix-expiry>:<id>', () => {
    const c = mintTurnCredentials('relay-rescue-test-secret', 'sess_1.technician', 600, now);
    expect(c.username).to.equal('1700000000:sess_1.technician');
  });

  it('password matches a vector computed with openssl (echo -n user | openssl dgst -sha1 -hmac secret -binary | base64)', () => {
    const c = mintTurnCredentials('relay-rescue-test-secret', 'sess_1.technician', 600, now);
    expect(c.credential).to.equal('8z8sCwFsIGOmsARUferhs00rh4c=');
    const c2 = mintTurnCredentials('s3cr3t', 'abc', 600, 1_700_000_000_000);
    expect(c2.username).to.equal('1700000600:abc');
    expect(c2.credential).to.equal('NZ3Cp29KnIdxOMB3JlQEI0peH6w=');
  });

  it('password equals base64(HMAC-SHA1(secret, username)) computed by hand (RFC 2104), also for a secret longer than a block', () => {
    for (const secret of ['x', 'a'.repeat(64), 'b'.repeat(100), 'ünïcødé-secret']) {
      const c = mintTurnCredentials(secret, 'session-42', 3600, 1_234_567_890_123);
      expect(c.credential).to.equal(hmacSha1ByHand(secret, c.username).toString('base64'));
    }
  });

  it('expiresAt is the username expiry in ms, ttl seconds after now (floored to the second)', () => {
    const c = mintTurnCredentials('s', 'id', 300, 1_000_000_999);
    expect(c.username.split(':')[0]).to.equal('1000300');
    expect(c.expiresAt).to.equal(1_000_300_000);
  });

  it('a different secret, id or expiry gives a different password', () => {
    const base = mintTurnCredentials('s1', 'id', 300, now).credential;
    expect(mintTurnCredentials('s2', 'id', 300, now).credential).to.not.equal(base);
    expect(mintTurnCredentials('s1', 'id2', 300, now).credential).to.not.equal(base);
    expect(mintTurnCredentials('s1', 'id', 301, now).credential).to.not.equal(base);
  });

  it('the secret never appears in what is handed out', () => {
    const secret = 'very-secret-value-0123456789';
    const c = mintTurnCredentials(secret, 'id', 300, now);
    expect(JSON.stringify(c)).to.not.contain(secret);
  });

  it('rejects an empty secret, an unsafe id and a non-positive or fractional TTL', () => {
    expect(() => mintTurnCredentials('', 'id', 300)).to.throw(/secret/);
    expect(() => mintTurnCredentials('s', '', 300)).to.throw(/id/);
    expect(() => mintTurnCredentials('s', 'a:b', 300)).to.throw(/id/);
    expect(() => mintTurnCredentials('s', 'x'.repeat(65), 300)).to.throw(/id/);
    expect(() => mintTurnCredentials('s', 'id', 0)).to.throw(/TTL/);
    expect(() => mintTurnCredentials('s', 'id', -5)).to.throw(/TTL/);
    expect(() => mintTurnCredentials('s', 'id', 1.5)).to.throw(/TTL/);
  });
});
