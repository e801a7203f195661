import { expect } from 'chai';
import { KeyframeRequests } from '../../../agent/capture/keyframe-requests.ts';

/** A stats report with one outbound video stream (or none). */
function report(video: { framesEncoded: number; pliCount: number; firCount?: number } | null): RTCStatsReport {
  const entries: Array<[string, Record<string, unknown>]> = [['T1', { type: 'transport', id: 'T1' }]];
  if (video) entries.push(['OV1', { type: 'outbound-rtp', id: 'OV1', kind: 'video', firCount: 0, ...video }]);
  return new Map(entries);
}

describe('agent/capture/keyframe-requests (key frame requests on a still screen)', () => {
  let now: number;
  let current: RTCStatsReport;
  let still: number;
  let refreshes: number;
  let watcher: KeyframeRequests;

  beforeEach(() => {
    now = 0;
    still = 5000;
    refreshes = 0;
    current = report({ framesEncoded: 10, pliCount: 0 });
    // A long interval: the checks below are called by hand (no timing in the test).
    watcher = new KeyframeRequests({ stats: async () => current, msSinceFrame: () => still, refresh: () => refreshes++, everyMs: 1000, holdOffMs: 10_000, now: () => now });
    watcher.start();
  });
  afterEach(() => watcher.stop());

  it('sends the picture again when the receiver asks for a key frame on a still screen', async () => {
    await watcher.check();
    expect(refreshes, 'no request yet').to.equal(0);
    current = report({ framesEncoded: 10, pliCount: 1 });
    now = 1000;
    await watcher.check();
    expect(refreshes).to.equal(1);
    current = report({ framesEncoded: 11, pliCount: 1, firCount: 1 });
    now = 12_000;
    await watcher.check();
    expect(refreshes, 'a FIR counts too').to.equal(2);
  });

  it('answers at most one request per hold-off, so the browser\'s own "no frame for 3 s" request does not loop', async () => {
    await watcher.check();
    current = report({ framesEncoded: 10, pliCount: 1 });
    now = 1000;
    await watcher.check();
    current = report({ framesEncoded: 11, pliCount: 2 });
    now = 4500;
    await watcher.check();
    expect(refreshes, 'the second request within the hold-off').to.equal(1);
    current = report({ framesEncoded: 11, pliCount: 3 });
    now = 11_500;
    await watcher.check();
    expect(refreshes, 'a request after the hold-off').to.equal(2);
  });

  it('gives a peer connection that has no picture yet (a late-joining viewer) the still screen', async () => {
    current = report(null);
    await watcher.check();
    expect(refreshes, 'not negotiated yet').to.equal(0);
    current = report({ framesEncoded: 0, pliCount: 0 });
    await watcher.check();
    await watcher.check();
    expect(refreshes, 'each check until a frame is encoded').to.equal(2);
    current = report({ framesEncoded: 1, pliCount: 0 });
    await watcher.check();
    expect(refreshes).to.equal(2);
    expect(watcher.stats()).to.include({ firstPicture: 2, answered: 0 });
  });

  it('reads no stats while frames go out, nor once stopped, and survives a failing getStats', async () => {
    let reads = 0;
    const busy = new KeyframeRequests({ stats: async () => (reads++, current), msSinceFrame: () => still, refresh: () => refreshes++, everyMs: 1000, now: () => now });
    busy.start();
    still = 20;
    await busy.check();
    expect(reads, 'the screen is changing').to.equal(0);
    still = 5000;
    await busy.check();
    expect(reads).to.equal(1);
    busy.stop();
    await busy.check();
    expect(reads, 'stopped').to.equal(1);
    const failing = new KeyframeRequests({ stats: async () => Promise.reject(new Error('closed')), msSinceFrame: () => still, refresh: () => refreshes++ });
    failing.start();
    await failing.check();
    failing.stop();
    expect(refreshes).to.equal(0);
  });
});
