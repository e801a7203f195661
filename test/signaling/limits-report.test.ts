import { expect } from 'chai';
import { loadConfig } from '../../signaling/config.ts';
import { hitChance, measureLimits } from '../../signaling/limits-report.ts';

describe('signaling/limits-report (the figures in docs/security.md)', () => {
  it('measures the default limits as derived by hand', () => {
    const figures = measureLimits(loadConfig({}), []);
    expect(figures.login).to.deep.equal({
      // 5 wrong passwords lock (account, address) for 900 s, then 5 more: 4 rounds in an hour.
      perAddressOneAccount: 20,
      // 20 over any accounts lock the address for 900 s: 4 rounds.
      perAddressManyAccounts: 80,
      // 5, then one after 1, 2, 4, 8, 16, 32 s, then one a minute (LOGIN_SLOWDOWN_MAX_SECONDS): 5 + 6 + 58.
      perAccountAnyAddresses: 69,
    });
    // 3 at once, then after 1, 2, 4, 8, 16, 30, 30 s (91 s in all) the 10th locks for 900 s: 10 per 991 s.
    expect(figures.code.perAddressPerHour).to.equal(40);
    expect(figures.code.perAddressPerLifetime).to.equal(10);
  });

  it('computes the chance to hit one of the live codes without repeating a guess', () => {
    expect(hitChance(0, 1)).to.equal(0);
    expect(hitChance(10, 1)).to.be.closeTo(1e-5, 1e-12);
    // Ten guesses at 100 live codes: about 10 * 100 / 10^6, a little less as hits would overlap.
    expect(hitChance(10, 100)).to.be.within(0.000995, 0.001);
    expect(hitChance(1_000_000, 1)).to.equal(1);
    expect(hitChance(5, 1, 5)).to.equal(1);
  });
});
