/**
 * Probe (not a bench stage): the agent's sending path alone, Node to Node on loopback, to split draw → received.
 * Xvfb + marker + mover; native capturer → ScreenVideoTrack → wrtc sender → wrtc receiver sink.
 * Prints per marker change: draw → captured, → pushed, → decoded at the sink; and sender stats.
 * `npx tsx bench/lib/sender-probe.ts [width] [height] [count] [fps]`; `TRIALS=…` replaces the agent's field trials.
 */
import wrtc from '@roamhq/wrtc';
import { openDisplay } from '../../agent/platform/linux-x11/display.ts';
import { loadNativeCapture } from '../../agent/platform/linux-x11/native-capture.ts';
import { DamageCapturer } from '../../agent/platform/linux-x11/capturer-x11-damage.ts';
import { ScreenVideoTrack } from '../../agent/capture/video-track.ts';
import { AGENT_FIELD_TRIALS } from '../../agent/capture/render-at-once-sender.ts';
import { RTCPeerConnectionNode } from '../../agent/create-session.ts';
import { keepResolution } from '../../rtc/keep-resolution.ts';
import { drawRect, startXvfb } from '../../testkit/xvfb.ts';
import { drawMarks, MARK, markerColourI420, match, PALETTE, wallNow } from './marker.ts';
import { startMover } from '../glass-to-glass.ts';
import { median, p99 } from './stats.ts';

const [width, height, count, fps] = [Number(process.argv[2] ?? 1280), Number(process.argv[3] ?? 720), Number(process.argv[4] ?? 25), Number(process.argv[5] ?? 30)];
const native = loadNativeCapture().module!;
console.log('trials:', native.setWebrtcFieldTrials(process.env['TRIALS'] ?? AGENT_FIELD_TRIALS) || 'set', native.webrtcFieldTrials());
const xvfb = await startXvfb(width, height);
const x = await openDisplay(xvfb.display);
const win = drawRect(x, MARK.x, MARK.y, MARK.size, MARK.size, PALETTE[0]!);
const mover = await startMover(xvfb.display, width, height);
const captured: Array<[number, number]> = [];
const pushedSeen: Array<[number, number]> = [];
const decoded: Array<[number, number]> = [];
let lastCap = -2;
let lastDec = -2;
const video = new ScreenVideoTrack(fps);
const origDeliver = (video as unknown as { deliver(f: { data: Uint8ClampedArray; width: number; height: number }): void }).deliver.bind(video);
let lastPush = -2;
(video as unknown as { deliver: typeof origDeliver }).deliver = (f) => {
  const c = markerColourI420(f.data, f.width, f.height);
  if (c >= 0 && c !== lastPush) pushedSeen.push([wallNow(), c]);
  lastPush = c;
  origDeliver(f);
};
const capturer = new DamageCapturer(native, xvfb.display);
const RTCPeerConnection = RTCPeerConnectionNode as unknown as typeof wrtc.RTCPeerConnection;
const a = new RTCPeerConnection();
const b = new wrtc.RTCPeerConnection();
a.onicecandidate = (e) => e.candidate && void b.addIceCandidate(e.candidate);
b.onicecandidate = (e) => e.candidate && void a.addIceCandidate(e.candidate);
b.ontrack = (e) => {
  const sink = new wrtc.nonstandard.RTCVideoSink(e.track);
  sink.onframe = ({ frame }: { frame: { data: Uint8Array; width: number; height: number } }) => {
    const c = markerColourI420(frame.data, frame.width, frame.height);
    if (c >= 0 && c !== lastDec) decoded.push([wallNow(), c]);
    lastDec = c;
  };
};
await capturer.start({ id: 'p', name: 'p', x: 0, y: 0, width, height, primary: true }, { fps }, (frame) => {
  const c = markerColourI420(frame.data, frame.width, frame.height);
  if (c >= 0 && c !== lastCap) captured.push([wallNow(), c]);
  lastCap = c;
  video.push(frame);
});
const sender = a.addTrack(video.track);
await keepResolution(sender);
await a.setLocalDescription(await a.createOffer());
await b.setRemoteDescription(a.localDescription!);
await b.setLocalDescription(await b.createAnswer());
await a.setRemoteDescription(b.localDescription!);
await new Promise((r) => setTimeout(r, 3000));
const out = async () => {
  const r: Record<string, number> = {};
  for (const s of (await a.getStats()).values()) {
    if (s.type === 'outbound-rtp' && s.kind === 'video') Object.assign(r, s);
    if (s.type === 'media-source' && s.kind === 'video') r['sourceFrames'] = s.frames;
  }
  return r;
};
const s0 = await out();
const drawn = await drawMarks(x, win, count);
await new Promise((r) => setTimeout(r, 500));
const s1 = await out();
const fmt = (xs: number[]) => `median ${median(xs).toFixed(1)} p99 ${p99(xs).toFixed(1)} (${xs.length})`;
const frames = (s1['framesEncoded'] ?? 0) - (s0['framesEncoded'] ?? 0);
const packets = (s1['packetsSent'] ?? 0) - (s0['packetsSent'] ?? 0);
console.log(`${width}x${height} fps ${fps}`);
console.log('draw → captured', fmt(match(drawn, captured)));
console.log('draw → pushed  ', fmt(match(drawn, pushedSeen)));
console.log('draw → decoded ', fmt(match(drawn, decoded)));
console.log('captured → decoded', fmt(match(captured, decoded)));
console.log(`encode ${((((s1['totalEncodeTime'] ?? 0) - (s0['totalEncodeTime'] ?? 0)) / frames) * 1000).toFixed(1)} ms/frame, packet send delay ${((((s1['totalPacketSendDelay'] ?? 0) - (s0['totalPacketSendDelay'] ?? 0)) / packets) * 1000).toFixed(1)} ms/packet, ${frames} frames, ${packets} packets, ${(((s1['bytesSent'] ?? 0) - (s0['bytesSent'] ?? 0)) / frames).toFixed(0)} B/frame; encoder ${String(s1['encoderImplementation'])}`);
for (const st of (await a.getStats()).values()) if (st.type === 'candidate-pair' && st.nominated) console.log('available out kbps', (st.availableOutgoingBitrate / 1000).toFixed(0));
console.log(`source frames ${(s1['sourceFrames'] ?? 0) - (s0['sourceFrames'] ?? 0)} → encoded ${frames}; quality limitation ${String(s1['qualityLimitationReason'])} ${JSON.stringify(s1['qualityLimitationDurations'])}`);
console.log('track', JSON.stringify(video.stats()), 'native replaced', capturer.nativeStats()?.replaced);
await capturer.stop();
video.stop();
a.close();
b.close();
await mover.stop();
x.close();
await xvfb.stop();
process.exit(0);
