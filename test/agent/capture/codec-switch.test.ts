import { expect } from 'chai';
import { CodecSwitch } from '../../../agent/capture/codec-switch.ts';

/** Feeds one estimate (bit/s, or null) a second from `start` (s); returns what each reading asked for. */
function feed(sw: CodecSwitch, start: number, estimates: readonly (number | null)[]): (string | null)[] {
  return estimates.map((availableBps, i) => sw.update({ at: (start + i) * 1000, availableBps }));
}

const fast = 3_000_000;

describe('agent/capture/codec-switch', () => {
  it('starts with VP8 and moves to AV1 at once when the estimate falls under half a megabit', () => {
    const sw = new CodecSwitch();
    expect(sw.current).to.equal('vp8');
    expect(feed(sw, 0, [fast, fast, 325_000])).to.deep.equal([null, null, 'av1']);
    expect(sw.current).to.equal('av1');
  });

  it('between 0.5 and 1 Mbit/s, after two readings in a row; at 2 Mbit/s (where VP8 keeps up) never', () => {
    const sw = new CodecSwitch();
    expect(feed(sw, 0, Array(20).fill(1_700_000)).every((x) => x === null)).to.equal(true);
    expect(feed(sw, 20, [800_000, 1_700_000, 800_000, 900_000])).to.deep.equal([null, null, null, 'av1']);
  });

  it('a reading without an estimate changes nothing and does not break a run', () => {
    const sw = new CodecSwitch();
    expect(feed(sw, 0, [800_000, null, 800_000])).to.deep.equal([null, null, 'av1']);
  });

  it('goes back to VP8 only after ten fast readings in a row, and not within 30 s of the last change', () => {
    const sw = new CodecSwitch();
    feed(sw, 0, [400_000]);
    // Fast at once: the dwell holds AV1 until 30 s.
    expect(feed(sw, 1, Array(29).fill(fast)).every((x) => x === null)).to.equal(true);
    expect(sw.update({ at: 30_000, availableBps: fast })).to.equal('vp8');
    expect(sw.current).to.equal('vp8');
  });

  it('an estimate that spikes over a slow link for a few readings keeps AV1', () => {
    const sw = new CodecSwitch();
    feed(sw, 0, [400_000]);
    const spiky = [...Array(60)].map((_, i) => (i % 5 === 4 ? 1_900_000 : 480_000));
    expect(feed(sw, 1, spiky).every((x) => x === null)).to.equal(true);
    expect(sw.current).to.equal('av1');
  });

  it('a refused change stays on the codec in use and waits the dwell before trying again', () => {
    const sw = new CodecSwitch();
    expect(feed(sw, 0, [400_000])).to.deep.equal(['av1']);
    sw.refused('av1', 0);
    expect(sw.current).to.equal('vp8');
    expect(feed(sw, 1, Array(29).fill(400_000)).every((x) => x === null)).to.equal(true);
    expect(sw.update({ at: 30_000, availableBps: 400_000 })).to.equal('av1');
  });
});
