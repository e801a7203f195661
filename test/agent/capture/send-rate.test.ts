import { expect } from 'chai';
import { SendRateGovernor, sendSampleFrom, type SendSample } from '../../../agent/capture/send-rate.ts';

/** Feeds one-second readings: each step is [frames offered, frames encoded, bytes per encoded frame, estimate bit/s | null]. */
const lastSample = new WeakMap<SendRateGovernor, SendSample>();
function run(governor: SendRateGovernor, steps: Array<[number, number, number, number | null]>): number[] {
  let s = lastSample.get(governor);
  if (!s) {
    s = { at: 0, framesIn: 0, framesEncoded: 0, bytesSent: 0, availableBps: null };
    governor.update(s);
  }
  const out = steps.map(([offered, encoded, bytes, available]) => {
    s = { at: s!.at + 1000, framesIn: s!.framesIn + offered, framesEncoded: s!.framesEncoded + encoded, bytesSent: s!.bytesSent + encoded * bytes, availableBps: available };
    return governor.update(s);
  });
  lastSample.set(governor, s);
  return out;
}

describe('agent/capture/send-rate', () => {
  it('keeps the full rate while the encoder keeps up (no cap on the link)', () => {
    const g = new SendRateGovernor(60);
    expect(run(g, [[57, 57, 2500, 4_000_000], [58, 57, 2600, 4_000_000], [55, 55, 2500, null]])).to.deep.equal([60, 60, 60]);
  });

  it('under a cap: down to what the encoder manages, at most halving per reading, then holds', () => {
    // 500 kbit/s: 57 offered, 12 encoded, ~3 KB frames, the estimate 380 kbit/s.
    const g = new SendRateGovernor(60);
    const fps = run(g, [[57, 12, 3200, 380_000], [30, 12, 3200, 380_000], [15, 14, 3000, 380_000], [15, 15, 3000, 380_000]]);
    expect(fps.slice(0, 2)).to.deep.equal([30, 15]);
    expect(fps[2]).to.equal(15);
  });

  it('a CPU-bound encoder (dropping frames with room on the link) keeps the rate it is offered', () => {
    const g = new SendRateGovernor(30);
    expect(run(g, [[30, 18, 6000, 4_000_000], [30, 17, 6000, 4_000_000]])).to.deep.equal([30, 30]);
  });

  it('a reading without the estimate uses the last one reported', () => {
    const g = new SendRateGovernor(30);
    expect(run(g, [[30, 18, 6000, 4_000_000], [30, 17, 6000, null]])).to.deep.equal([30, 30]);
  });

  it('without any estimate, an encoder that drops most frames is taken as bandwidth-limited', () => {
    const g = new SendRateGovernor(60);
    expect(run(g, [[57, 10, 3000, null]])).to.deep.equal([30]);
  });

  it('never goes under minFps, even when nothing is encoded', () => {
    const g = new SendRateGovernor(60, { minFps: 8 });
    const fps = run(g, [[57, 0, 0, 300_000], [30, 0, 0, 300_000], [15, 0, 0, 300_000], [8, 0, 0, 300_000], [8, 1, 9000, 300_000]]);
    expect(fps).to.deep.equal([30, 15, 8, 8, 8]);
  });

  it('goes straight back to the full rate once the estimate carries twice that', () => {
    const g = new SendRateGovernor(60);
    run(g, [[57, 12, 3200, 380_000], [30, 12, 3200, 380_000]]);
    expect(g.fps).to.equal(15);
    expect(run(g, [[15, 15, 2500, 4_000_000]])).to.deep.equal([60]);
  });

  it('tries a higher rate after calm readings, and waits twice as long after a try that failed', () => {
    const g = new SendRateGovernor(60, { probeAfter: 2 });
    run(g, [[57, 12, 3200, 380_000], [30, 12, 3200, 380_000]]);
    expect(g.fps).to.equal(15);
    // Calm at 15 (the estimate carries ~21 such frames: no jump to the maximum): a try once two calm readings passed
    // and the last three estimates all carry it.
    expect(run(g, [[15, 15, 3200, 700_000], [15, 15, 3200, 700_000], [15, 15, 3200, 700_000]])).to.deep.equal([15, 15, 21]);
    // The try fails (the encoder drops again, the estimate down to 500 kbit/s): back down, and the next try waits 4 readings.
    expect(run(g, [[21, 13, 3200, 500_000]])).to.deep.equal([14]);
    expect(run(g, [[14, 14, 3200, 700_000], [14, 14, 3200, 700_000], [14, 14, 3200, 700_000], [14, 14, 3200, 700_000]])).to.deep.equal([14, 14, 14, 21]);
  });

  it('restart (another codec): from the rate given, the backed-off tries forgotten, a first reading taken as the base', () => {
    const g = new SendRateGovernor(60, { probeAfter: 2 });
    run(g, [[57, 12, 3200, 380_000], [30, 12, 3200, 380_000]]);
    // A failed try: the next would wait 4 calm readings.
    run(g, [[15, 15, 3200, 700_000], [15, 15, 3200, 700_000], [15, 15, 3200, 700_000], [21, 13, 3200, 500_000]]);
    expect(g.fps).to.equal(14);
    expect(g.restart(21)).to.equal(21);
    expect(g.restart(500), 'never past the maximum').to.equal(60);
    expect(g.restart(1), 'nor under the minimum').to.equal(8);
    g.restart(21);
    // AV1's 1.4 KB frames: the estimate carries ~35 of them; the first reading is the base, then two calm ones, then a
    // try of half as much again (the most one try adds).
    expect(run(g, [[21, 21, 1400, 500_000], [21, 21, 1400, 500_000], [21, 21, 1400, 500_000]])).to.deep.equal([21, 21, 32]);
  });

  it('does not try a rate the estimate cannot carry at this frame size, and tries once it can', () => {
    // AV1 at 500 kbit/s (traced): 1.1 KB frames, the estimate 435 kbit/s, which carries 39.5 of them a second.
    const g = new SendRateGovernor(60, { probeAfter: 1 });
    expect(run(g, [[57, 20, 1100, 435_000]])).to.deep.equal([30]);
    // A try to 39 (carried); from there a quarter more, 49, is past what is carried: held, reading after reading.
    expect(run(g, [[30, 30, 1100, 435_000], [39, 39, 1100, 435_000], [39, 39, 1100, 435_000]])).to.deep.equal([39, 39, 39]);
    // One reading of a higher estimate is not enough (the lowest of the last three still carries 39.5); three are.
    expect(run(g, [[39, 39, 1100, 760_000], [39, 39, 1100, 760_000]])).to.deep.equal([39, 39]);
    expect(run(g, [[39, 39, 1100, 760_000]])).to.deep.equal([59]);
  });

  it('a try goes up by what the estimate carries, at most half as much again', () => {
    const g = new SendRateGovernor(60, { probeAfter: 1 });
    run(g, [[57, 12, 3200, 380_000], [30, 12, 3200, 380_000]]);
    // 1.2 Mbit/s * 0.8 / 20.8 kbit = 46 frames: carried < 2 * 60, so a try, capped at 1.5 * 15, once the lowest of
    // the last three estimates carries it (the frames use 0.31 Mbit/s: no room under 0.7 of the 0.38 before).
    expect(run(g, [[15, 15, 2600, 1_200_000], [15, 15, 2600, 1_200_000], [15, 15, 2600, 1_200_000]])).to.deep.equal([15, 15, 23]);
  });

  it('frames that use well under the lowest estimate leave room for a try, however big they are', () => {
    // AV1 at 500 kbit/s after the change from VP8 (traced): 15 fps of 1.8 KB frames (0.22 Mbit/s), the estimate
    // 0.33–0.42, which carries only ~19 frames of that size; the encoder grew them into its budget.
    const g = new SendRateGovernor(60, { probeAfter: 1 });
    run(g, [[57, 12, 3200, 380_000], [30, 12, 3200, 380_000]]);
    expect(g.fps).to.equal(15);
    expect(run(g, [[15, 15, 1850, 334_000]])).to.deep.equal([19]);
    // At 19 the same frames would use 0.28 Mbit/s: no room, and the estimate does not carry 24 of them: held.
    expect(run(g, [[19, 19, 1850, 361_000]])).to.deep.equal([19]);
    // The encoder shrank them to 1.4 KB (0.21 Mbit/s): room again.
    expect(run(g, [[19, 19, 1400, 361_000]])).to.deep.equal([25]);
  });

  it("halves the rate while packets wait in the sender's queue, even when the encoder encodes every frame", () => {
    // 500 kbit/s, a try at 29 fps: all encoded, but each packet waited 287 ms, then 804 ms (traced in the bench).
    const g = new SendRateGovernor(60);
    let s: SendSample = { at: 0, framesIn: 0, framesEncoded: 0, bytesSent: 0, availableBps: 486_000, packetsSent: 0, sendDelaySeconds: 0 };
    g.update(s);
    const step = (frames: number, packets: number, waitMs: number): number => {
      s = { at: s.at + 1000, framesIn: s.framesIn + frames, framesEncoded: s.framesEncoded + frames, bytesSent: s.bytesSent + frames * 1700, availableBps: 486_000, packetsSent: s.packetsSent! + packets, sendDelaySeconds: s.sendDelaySeconds! + (packets * waitMs) / 1000 };
      return g.update(s);
    };
    expect([step(32, 40, 287), step(16, 20, 804), step(16, 20, 900)]).to.deep.equal([30, 15, 8]);
    // The queue drained (packets wait 5–25 ms as at 2 Mbit/s): the rate stays, and the next try comes later.
    expect(step(8, 10, 20)).to.equal(8);
  });

  it('after a halving, a wait that is falling (the old queue draining) holds the rate; one that grows again halves it', () => {
    // AV1 at 500 kbit/s (traced): a try at 38 fps, packets waiting 118 ms; at 19 the next reading still waited 61 ms.
    const g = new SendRateGovernor(60);
    let s: SendSample = { at: 0, framesIn: 0, framesEncoded: 0, bytesSent: 0, availableBps: null, packetsSent: 0, sendDelaySeconds: 0 };
    g.update(s);
    const step = (frames: number, waitMs: number): number => {
      const packets = frames * 2;
      s = { at: s.at + 1000, framesIn: s.framesIn + frames, framesEncoded: s.framesEncoded + frames, bytesSent: s.bytesSent + frames * 1300, availableBps: null, packetsSent: s.packetsSent! + packets, sendDelaySeconds: s.sendDelaySeconds! + (packets * waitMs) / 1000 };
      return g.update(s);
    };
    expect([step(40, 118), step(30, 61), step(30, 65), step(15, 40)]).to.deep.equal([30, 30, 15, 15]);
    // A fresh halving (the reading before it was calm), then waits over 60 ms that keep falling: held all along.
    expect([step(15, 300), step(8, 200), step(8, 100), step(8, 70), step(8, 10)]).to.deep.equal([8, 8, 8, 8, 8]);
    const h = new SendRateGovernor(60);
    s = { at: 0, framesIn: 0, framesEncoded: 0, bytesSent: 0, availableBps: null, packetsSent: 0, sendDelaySeconds: 0 };
    h.update(s);
    const next = (frames: number, waitMs: number): number => {
      s = { at: s.at + 1000, framesIn: s.framesIn + frames, framesEncoded: s.framesEncoded + frames, bytesSent: s.bytesSent + frames * 1300, availableBps: null, packetsSent: s.packetsSent! + frames * 2, sendDelaySeconds: s.sendDelaySeconds! + (frames * 2 * waitMs) / 1000 };
      return h.update(s);
    };
    expect([next(57, 300), next(30, 200), next(30, 100), next(30, 70), next(30, 10)]).to.deep.equal([30, 30, 30, 30, 30]);
  });

  it("after a restart, the readings that carry the new encoder's key frame hold the rate, whatever their wait or drops", () => {
    // AV1 after VP8 at 500 kbit/s (traced): the key frame (~40 KB) waits ~1 s in the queue, then the queue drains.
    const g = new SendRateGovernor(60);
    let s: SendSample = { at: 0, framesIn: 0, framesEncoded: 0, bytesSent: 0, availableBps: 400_000, packetsSent: 0, sendDelaySeconds: 0 };
    const step = (frames: number, waitMs: number): number => {
      const packets = frames * 2;
      s = { at: s.at + 1000, framesIn: s.framesIn + frames, framesEncoded: s.framesEncoded + frames, bytesSent: s.bytesSent + frames * 1300, availableBps: 400_000, packetsSent: s.packetsSent! + packets, sendDelaySeconds: s.sendDelaySeconds! + (packets * waitMs) / 1000 };
      return g.update(s);
    };
    g.restart(30, { keyFrameReadings: 2 });
    expect([step(30, 0), step(30, 1100), step(12, 900)], 'the base, then two key-frame readings (frames dropped behind it)').to.deep.equal([30, 30, 30]);
    expect(step(30, 400), 'a queue still there after them halves').to.equal(15);
  });

  it('a reading without packets sent, or without the send delay, is judged by the frames alone', () => {
    const g = new SendRateGovernor(30);
    g.update({ at: 0, framesIn: 0, framesEncoded: 0, bytesSent: 0, availableBps: 4_000_000, packetsSent: 10, sendDelaySeconds: 1 });
    // No packet went out since: no wait to judge.
    expect(g.update({ at: 1000, framesIn: 30, framesEncoded: 30, bytesSent: 60_000, availableBps: 4_000_000, packetsSent: 10, sendDelaySeconds: 9 })).to.equal(30);
    expect(g.update({ at: 2000, framesIn: 60, framesEncoded: 60, bytesSent: 120_000, availableBps: 4_000_000 })).to.equal(30);
  });

  it('a still screen changes nothing; readings too close together or going backwards are ignored', () => {
    const g = new SendRateGovernor(60);
    expect(run(g, [[1, 0, 0, 100_000], [0, 0, 0, 100_000]])).to.deep.equal([60, 60]);
    g.update({ at: 20_000, framesIn: 100, framesEncoded: 10, bytesSent: 30_000, availableBps: 300_000 });
    expect(g.update({ at: 20_200, framesIn: 150, framesEncoded: 11, bytesSent: 33_000, availableBps: 300_000 })).to.equal(60);
    // A new connection: its counters start again from zero.
    expect(g.update({ at: 21_000, framesIn: 5, framesEncoded: 1, bytesSent: 3000, availableBps: 300_000 })).to.equal(60);
  });

  it('reads the counters from a getStats report', () => {
    const report = new Map<string, Record<string, unknown>>([
      ['a', { type: 'outbound-rtp', kind: 'audio', framesEncoded: 1, bytesSent: 1 }],
      ['b', { type: 'outbound-rtp', kind: 'video', framesEncoded: 40, bytesSent: 100_000, packetsSent: 90, totalPacketSendDelay: 0.9 }],
      ['c', { type: 'media-source', kind: 'video', frames: 44 }],
      ['d', { type: 'candidate-pair', nominated: true, state: 'succeeded', availableOutgoingBitrate: 380_000 }],
      ['e', { type: 'candidate-pair', nominated: false, state: 'failed', availableOutgoingBitrate: 1 }],
    ]);
    expect(sendSampleFrom(report, 5, undefined)).to.deep.equal({ at: 5, framesIn: 44, framesEncoded: 40, bytesSent: 100_000, availableBps: 380_000, packetsSent: 90, sendDelaySeconds: 0.9 });
    // A stack that does not report the send delay: the sample has neither field.
    expect(sendSampleFrom(new Map([['b', { type: 'outbound-rtp', kind: 'video', framesEncoded: 4, bytesSent: 10, packetsSent: 9 }]]), 5, 4)).to.deep.equal({ at: 5, framesIn: 4, framesEncoded: 4, bytesSent: 10, availableBps: null });
    expect(sendSampleFrom(report, 5, 50)?.framesIn).to.equal(50);
    expect(sendSampleFrom(new Map([['b', { type: 'outbound-rtp', kind: 'video', framesEncoded: 'x' }]]), 5, 1)).to.equal(null);
    expect(sendSampleFrom(new Map(), 5, 1)).to.equal(null);
  });
});
