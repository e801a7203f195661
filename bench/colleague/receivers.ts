/**
 * Child process of the colleague-cost stage: the technicians' ends. Answers
 * each offer the parent (the customer) sends over IPC and counts the frames
 * each connection decodes, so the customer's process measures only itself.
 */
import wrtc from '@roamhq/wrtc';
import { gathered } from './ice-gathered.ts';

type Offer = { type: 'offer'; index: number; sdp: string };
type Msg = Offer | { type: 'report' };

const pcs: RTCPeerConnection[] = [];
const frames: number[] = [];

async function answer(m: Offer): Promise<void> {
  const pc = new wrtc.RTCPeerConnection({ iceServers: [] });
  pcs[m.index] = pc;
  frames[m.index] = 0;
  pc.ontrack = (e) => {
    const sink = new wrtc.nonstandard.RTCVideoSink(e.track);
    sink.onframe = () => {
      frames[m.index] = (frames[m.index] ?? 0) + 1;
    };
  };
  await pc.setRemoteDescription({ type: 'offer', sdp: m.sdp });
  await pc.setLocalDescription(await pc.createAnswer());
  await gathered(pc);
  process.send?.({ type: 'answer', index: m.index, sdp: pc.localDescription?.sdp ?? '' });
}


process.on('message', (m: Msg) => {
  if (m.type === 'offer') void answer(m);
  else {
    process.send?.({ type: 'report', frames });
    for (const pc of pcs) pc.close();
    setTimeout(() => process.exit(0), 100);
  }
});
