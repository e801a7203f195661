import { expect } from 'chai';
import { RescueError } from '../../protocol/index.ts';
import { CodeGuard, GLOBAL_MAX_DELAY_MS } from '../../signaling/code-guard.ts';

/** One try: a wrong code (or `right`), answered with its hold-back in ms or the refusal's error code. */
function attempt(guard: CodeGuard, address: string, right = false): number | string {
  try {
    const t = guard.begin(address);
    if (right) t.released();
    else t.failed();
    return t.delayMs;
  } catch (error) {
    if (error instanceof RescueError) return error.code;
    throw error;
  }
}

describe('signaling/code-guard', () => {
  it('slows, then locks one address; other addresses are unaffected', () => {
    let now = 1_000_000;
    const guard = new CodeGuard({ slowdownAfter: 2, lockoutAfter: 4, lockoutMs: 60_000, globalFailuresPerMinute: 1000 }, () => now);
    expect(attempt(guard, 'a')).to.equal(0);
    expect(attempt(guard, 'a')).to.equal(0);
    expect(attempt(guard, 'a')).to.equal('CODE_SLOW_DOWN');
    expect(attempt(guard, 'b')).to.equal(0);
    now += 1000;
    expect(attempt(guard, 'a')).to.equal(0);
    now += 2000;
    expect(attempt(guard, 'a')).to.equal(0); // the 4th failure locks
    expect(attempt(guard, 'a', true)).to.equal('CODE_LOCKED_OUT');
    now += 59_999;
    expect(attempt(guard, 'a', true)).to.equal('CODE_LOCKED_OUT');
    now += 1;
    expect(attempt(guard, 'a', true)).to.equal(0);
  });

  it('a right code does not wipe the failures before it (they expire with time only)', () => {
    let now = 0;
    const guard = new CodeGuard({ slowdownAfter: 3, lockoutAfter: 10, lockoutMs: 900_000, globalFailuresPerMinute: 1000 }, () => now);
    expect([attempt(guard, 'x'), attempt(guard, 'x', true), attempt(guard, 'x'), attempt(guard, 'x', true), attempt(guard, 'x')]).to.deep.equal([0, 0, 0, 0, 0]);
    expect(guard.failures('x')).to.equal(3);
    expect(attempt(guard, 'x', true)).to.equal('CODE_SLOW_DOWN');
    now += 900_001;
    expect(guard.failures('x')).to.equal(0);
  });

  it('counts an IPv6 address by its /64', () => {
    const guard = new CodeGuard({ slowdownAfter: 2, lockoutAfter: 100, lockoutMs: 60_000, globalFailuresPerMinute: 1000 }, () => 0);
    attempt(guard, '2001:db8:aa:bb::1');
    attempt(guard, '2001:db8:aa:bb:ffff:ffff:ffff:fffe');
    expect(attempt(guard, '2001:DB8:AA:BB:0:0:0:77')).to.equal('CODE_SLOW_DOWN');
    expect(attempt(guard, '2001:db8:aa:bc::1')).to.equal(0);
  });

  it('over the global cap, holds back slowed addresses at the cap rate, and lets first tries through at once', () => {
    let now = 0;
    const guard = new CodeGuard({ slowdownAfter: 2, lockoutAfter: 100, lockoutMs: 600_000, globalFailuresPerMinute: 60 }, () => now);
    for (let i = 0; i < 30; i++) {
      attempt(guard, `10.0.0.${i}`);
      attempt(guard, `10.0.0.${i}`);
    }
    // 60 failures in the last minute: at the cap.
    now += 30_000; // every address's own slowdown (1 s after two failures) has passed
    expect(attempt(guard, '10.0.0.1')).to.equal(0); // the first slot
    expect(attempt(guard, '10.0.0.2')).to.equal(1000); // one try a second over all addresses
    expect(attempt(guard, '10.0.0.3')).to.equal(2000);
    // A new address is not held back, whatever the global state.
    expect(attempt(guard, '192.0.2.7', true)).to.equal(0);
    expect(attempt(guard, '192.0.2.8')).to.equal(0);
    // Held back no longer than GLOBAL_MAX_DELAY_MS: beyond that, CODE_BUSY.
    const delays: (number | string)[] = [];
    for (let i = 4; i < 30; i++) delays.push(attempt(guard, `10.0.0.${i}`));
    expect(delays.filter((d): d is number => typeof d === 'number').every((d) => d <= GLOBAL_MAX_DELAY_MS)).to.equal(true);
    expect(delays).to.include('CODE_BUSY');
    // Once the minute without wrong codes has passed, nobody is held back.
    now += 61_000;
    expect(attempt(guard, '10.0.0.29')).to.equal(0);
  });

  it("an address's free tries over the global cap come once a day, not once per lockout", () => {
    let now = 0;
    const guard = new CodeGuard({ slowdownAfter: 2, lockoutAfter: 4, lockoutMs: 60_000, globalFailuresPerMinute: 2 }, () => now);
    const atTheCap = (): void => {
      attempt(guard, `other-${now}-1`);
      attempt(guard, `other-${now}-2`);
    };
    expect([attempt(guard, 'bot'), attempt(guard, 'bot')]).to.deep.equal([0, 0]);
    now += 120_000; // its own failures have expired (CODE_LOCKOUT_SECONDS: 60 s here)
    expect(guard.failures('bot')).to.equal(0);
    atTheCap();
    // Its free tries are spent for the day: held back to the cap's pace (one per 30 s), CODE_BUSY beyond 10 s.
    expect(attempt(guard, 'bot')).to.equal(0);
    expect(attempt(guard, 'bot')).to.equal('CODE_BUSY');
    expect(attempt(guard, 'first-timer')).to.equal(0);
    now += 86_400_000;
    atTheCap();
    expect(attempt(guard, 'bot')).to.equal(0); // a day later its first tries are free again
    expect(attempt(guard, 'bot')).to.equal(0);
    expect(attempt(guard, 'bot')).to.equal('CODE_SLOW_DOWN');
  });
});
