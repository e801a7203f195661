import { expect } from 'chai';
import { RescueError } from '../../protocol/index.ts';
import { keepCodeFailures } from '../../signaling/code-failures.ts';
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

describe('signaling/code-failures: the code guard across a restart', () => {
  const policy = { slowdownAfter: 2, lockoutAfter: 3, lockoutMs: 60_000, globalFailuresPerMinute: 1000 };
  /** An in-memory CodeFailureRows, as SQLite keeps them. */
  const memoryRows = () => {
    const rows = new Map<string, { state: string; expiresAt: number }>();
    return {
      rows,
      save: (key: string, state: string, expiresAt: number) => void rows.set(key, { state, expiresAt }),
      prune: (now: number) => {
        for (const [key, row] of rows) if (row.expiresAt <= now) rows.delete(key);
      },
      live: async (now: number) => [...rows].filter(([, row]) => row.expiresAt > now).map(([key, row]) => ({ key, state: row.state })),
    };
  };

  it('a lockout and the failures of another address come back in a new guard; a right code writes nothing; the row goes a day after the last wrong code', async () => {
    let now = 1_000_000;
    const store = memoryRows();
    const before = new CodeGuard(policy, () => now);
    await keepCodeFailures(before, store, () => now);
    expect(attempt(before, '203.0.113.9', true)).to.equal(0);
    expect(store.rows.size, 'a right code').to.equal(0);
    for (let i = 0; i < 3; i++) {
      expect(attempt(before, '203.0.113.9')).to.equal(0);
      now += 8_000; // past the slowdown after the second
    }
    expect(attempt(before, '203.0.113.9')).to.equal('CODE_LOCKED_OUT');
    expect(attempt(before, '198.51.100.1')).to.equal(0);

    const after = new CodeGuard(policy, () => now);
    expect(await keepCodeFailures(after, store, () => now)).to.equal(2);
    expect(attempt(after, '203.0.113.9', true)).to.equal('CODE_LOCKED_OUT');
    expect(after.failures('198.51.100.1')).to.equal(1);
    now += 60_001;
    expect(attempt(after, '203.0.113.9', true), 'after the lockout').to.equal(0);
    // The day's first tries are kept too: the row lasts a day after the last wrong code, then goes.
    now += 86_400_000;
    store.prune(now);
    expect(store.rows.size).to.equal(0);
  });

  it('skips rows that are not a state (another version, a hand edit) and starts clean for them', async () => {
    const store = memoryRows();
    store.save('a', 'not json', 10);
    store.save('b', JSON.stringify({ limiter: { failures: ['x'] }, firstTries: [] }), 10);
    store.save('c', JSON.stringify({ limiter: null, firstTries: [1, 2] }), 10);
    const guard = new CodeGuard(policy, () => 5);
    expect(await keepCodeFailures(guard, store, () => 5)).to.equal(1);
  });
});
