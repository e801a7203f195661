import { expect } from 'chai';
import { runAt } from '../../protocol/clock.ts';
import { fakeClock } from '../../testkit/server.ts';

const HOUR = 60 * 60 * 1000;

describe('runAt (protocol/clock.ts)', () => {
  it('runs once at the deadline, not before', () => {
    const { clock, fake } = fakeClock(0);
    let runs = 0;
    runAt(clock, 24 * HOUR, () => runs++);
    fake.tick(24 * HOUR - 1);
    expect(runs).to.equal(0);
    fake.tick(1);
    fake.tick(48 * HOUR);
    expect(runs).to.equal(1);
  });

  it('runs within an hour of the deadline when the wall clock jumped past it (a suspended laptop)', () => {
    const { clock, fake } = fakeClock(0);
    let runs = 0;
    runAt(clock, 24 * HOUR, () => runs++);
    fake.setSystemTime(25 * HOUR);
    expect(runs).to.equal(0);
    fake.tick(HOUR);
    expect(runs).to.equal(1);
  });

  it('never runs once cancelled', () => {
    const { clock, fake } = fakeClock(0);
    let runs = 0;
    const cancel = runAt(clock, 2 * HOUR, () => runs++);
    fake.tick(HOUR);
    cancel();
    fake.tick(10 * HOUR);
    expect(runs).to.equal(0);
  });

  it('runs at once for a deadline already past', () => {
    const { clock } = fakeClock(10 * HOUR);
    let runs = 0;
    runAt(clock, HOUR, () => runs++);
    expect(runs).to.equal(1);
  });
});
