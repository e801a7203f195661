import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WebSocket } from 'ws';
import type { Permission, Screen } from '../protocol/index.ts';
import { Cleanup } from '../agent/cleanup.ts';
import { diskSinkFactory } from '../agent/files/disk-sink.ts';
import { nodeHasher } from '../agent/files/node-hasher.ts';
import type { InputInjector } from '../agent/platform/input-injector.ts';
import type { I420Frame, ScreenCapturer } from '../agent/platform/screen-capturer.ts';
import { AgentSession } from '../agent/session.ts';
import { SignalingClient } from '../rtc/signaling-client.ts';
import { RTCPeerConnectionNode } from './rtc-pair.ts';

/**
 * The support app's session (agent/session.ts, over the customer engine) on a
 * fake platform: a grey screen and an input injector that records what it is
 * told, so a test sees exactly which input reached the customer's machine.
 */

/** A screen of grey frames, ten a second. */
export class FakeCapturer implements ScreenCapturer {
  readonly method = 'fake';
  private timer: NodeJS.Timeout | null = null;
  readonly screen: Screen = { id: 'm0', name: 'Fake', x: 0, y: 0, width: 320, height: 240, primary: true };
  async listScreens(): Promise<Screen[]> {
    return [this.screen];
  }
  async start(screen: Screen, _options: { fps: number }, onFrame: (frame: I420Frame) => void): Promise<void> {
    await this.stop();
    this.timer = setInterval(() => {
      onFrame({ width: screen.width, height: screen.height, data: new Uint8ClampedArray((screen.width * screen.height * 3) / 2).fill(128), at: performance.now() });
    }, 100);
  }
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
  stats(): { captured: number; unchanged: number; delivered: number } {
    return { captured: 0, unchanged: 0, delivered: 0 };
  }
}

/** An injector that injects nothing and keeps one line per call (`key KeyA down`, `button left up`, `move`, `release`). */
export function recordingInjector(): InputInjector & { readonly events: string[] } {
  const events: string[] = [];
  return {
    method: 'fake',
    events,
    setScreen: () => undefined,
    move: () => void events.push('move'),
    button: (button, down) => void events.push(`button ${button} ${down ? 'down' : 'up'}`),
    wheel: (dx, dy) => void events.push(`wheel ${dx} ${dy}`),
    key: (code, down) => {
      events.push(`key ${code} ${down ? 'down' : 'up'}`);
      return true;
    },
    text: async (text) => void events.push(`text ${text}`),
    releaseAll: () => void events.push('release'),
    close: () => undefined,
  };
}

export interface FakeAgentCustomer {
  session: AgentSession;
  /** What reached this machine's input injector, in order. */
  injected: string[];
  /** How many times each permission was asked (prompts this customer got). */
  asked: Permission[];
  close(): void;
}

/**
 * The support app joining a PIN session by its code over the real signaling
 * server: it answers Yes to `grant`, lets an invited colleague in when
 * `letColleagueIn`, and No to everything else.
 */
export async function joinAsFakeAgent(
  server: { wsUrl: string },
  code: string,
  options: { name: string; grant: readonly Permission[]; letColleagueIn: boolean },
): Promise<FakeAgentCustomer> {
  const cleanup = new Cleanup();
  const downloads = fs.mkdtempSync(path.join(os.tmpdir(), 'rr-fake-agent-'));
  const capturer = new FakeCapturer();
  const injector = recordingInjector();
  const signaling = new SignalingClient({ url: `${server.wsUrl}/ws/customer`, role: 'customer', WebSocket, client: 'agent' });
  const asked: Permission[] = [];
  const session = new AgentSession({
    signaling,
    RTCPeerConnection: RTCPeerConnectionNode,
    name: options.name,
    capturer,
    injector,
    clipboard: null,
    files: { sinkFactory: diskSinkFactory(downloads, cleanup), hasher: nodeHasher },
    ask: async (permission) => {
      asked.push(permission);
      return options.grant.includes(permission);
    },
    askColleague: async () => options.letColleagueIn,
    preGranted: [],
    fps: 10,
  });
  await session.init();
  await signaling.connect();
  const reply = await signaling.request({ type: 'code.submit', code, client: 'agent', name: options.name });
  if (reply.type !== 'code.accepted') throw new Error(`code.submit answered ${reply.type}`);
  session.engine.sessionId = reply.sessionId;
  session.engine.technician = reply.technicianName;
  return {
    session,
    injected: injector.events,
    asked,
    close: () => {
      session.engine.close('test over');
      void capturer.stop();
      signaling.close();
      cleanup.runNow();
      fs.rmSync(downloads, { recursive: true, force: true });
    },
  };
}
