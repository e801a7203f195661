import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import wrtc from '@roamhq/wrtc';
import type { ControlMessage, ServerMessage } from '../protocol/index.ts';
import { PeerSession, type RTCPeerConnectionCtor } from '../rtc/peer-session.ts';
import { createTechnician, loginCookie, openTechnicianSocket, type RunningServer, type TestSocket } from './server.ts';
import { until } from './wait.ts';

const RTCPeerConnectionNode = (wrtc as unknown as { RTCPeerConnection: RTCPeerConnectionCtor }).RTCPeerConnection;

/** A technician in Node: a real signaling socket and a real PeerSession (the impolite side). */
export interface NodeTechnician {
  socket: TestSocket;
  /** The account's name and email, as the server knows them. */
  name: string;
  email: string;
  sessionId: string;
  code: string;
  /** Activates the queued session and connects the peer; resolves when all channels are open. */
  activate(): Promise<PeerSession>;
  /** Control messages received from the agent, in order. */
  control: ControlMessage[];
  close(): void;
}

let counter = 0;

export async function createNodeTechnician(server: RunningServer): Promise<NodeTechnician> {
  counter++;
  const email = `agent-tech${counter}-${Date.now()}@example.test`;
  const name = `Agent Tech ${counter}`;
  await createTechnician(server, { email, password: 'correct-horse-battery', name });
  const cookie = await loginCookie(server, email, 'correct-horse-battery');
  const socket = await openTechnicianSocket(server, cookie);
  await socket.next('welcome');
  socket.send({ type: 'session.create', id: 'create' });
  const { session } = await socket.next('session.created');
  const control: ControlMessage[] = [];
  let peer: PeerSession | null = null;
  socket.ws.on('message', (data) => {
    const msg = JSON.parse((data as Buffer).toString()) as ServerMessage;
    if (msg.type === 'signal' && peer) void peer.handleSignal(msg.data);
  });
  return {
    socket,
    name,
    email,
    sessionId: session.sessionId,
    code: session.code!,
    control,
    activate: async () => {
      await socket.next('session.state', 15_000);
      socket.send({ type: 'session.activate', id: 'activate', sessionId: session.sessionId });
      const activated = await socket.next('session.activated', 10_000);
      peer = new PeerSession({
        RTCPeerConnection: RTCPeerConnectionNode,
        ice: activated.ice,
        polite: false,
        sendSignal: (signal) => socket.send({ type: 'signal', sessionId: session.sessionId, data: signal }),
      });
      peer.on('control', (m) => control.push(m));
      await peer.waitOpen();
      return peer;
    },
    close: () => {
      peer?.close();
      socket.close();
    },
  };
}

/** One decoded I420 frame, in its own buffer. */
export type DecodedFrame = { width: number; height: number; data: Uint8Array };

/**
 * Waits for the peer's remote video track and decodes `count` frames from it
 * through an RTCVideoSink; rejects when they do not come within `timeoutMs`.
 */
export async function decodedFrames(peer: PeerSession, count: number, timeoutMs = 20_000): Promise<DecodedFrame[]> {
  const track = await new Promise<MediaStreamTrack>((resolve) => {
    const existing = peer.pc.getReceivers().find((r) => r.track.kind === 'video');
    if (existing) resolve(existing.track);
    peer.on('track', (t) => resolve(t.track));
  });
  const sink = new wrtc.nonstandard.RTCVideoSink(track);
  const frames: DecodedFrame[] = [];
  sink.onframe = (ev: { frame: DecodedFrame }) => {
    if (frames.length < count) frames.push({ ...ev.frame, data: new Uint8Array(ev.frame.data) });
  };
  try {
    await until(() => frames.length >= count, 'decoded frames', timeoutMs);
  } finally {
    sink.stop();
  }
  return frames;
}

/** The agent as the customer runs it, in a child process; stdout lines are collected. */
export interface AgentProcess {
  child: ChildProcess;
  lines: string[];
  /** Every byte the agent wrote to stdout, as written (lines split nothing away). */
  stdout(): Buffer;
  /** Resolves with the first stdout line matching `pattern`. */
  waitLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  type(line: string): void;
  exited: Promise<number | null>;
  kill(): Promise<void>;
}

/**
 * `options.command`: run that executable (the single-file applet) instead of
 * `tsx agent/main.ts`, in `options.cwd`. A PIN agent gets `--no-open`: on a
 * test display `xdg-open` would start a real browser for the support window.
 */
export function spawnAgent(args: string[], env: NodeJS.ProcessEnv = {}, options: { command?: string; cwd?: string } = {}): AgentProcess {
  const [command, prefix] = options.command ? [options.command, []] : [process.execPath, ['--import', 'tsx', 'agent/main.ts']];
  const adhoc = args.some((a) => a.startsWith('--adhoc'));
  const noOpen = adhoc || args.includes('--no-open') ? [] : ['--no-open'];
  const child = spawn(command, [...prefix, ...args, ...noOpen], {
    cwd: options.cwd ?? new URL('../', import.meta.url).pathname,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  const onLine = (line: string): void => {
    lines.push(line);
    if (process.env.AGENT_TEST_VERBOSE) process.stderr.write(`[agent] ${line}\n`);
    for (const w of [...waiters]) {
      if (w.pattern.test(line)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  };
  const raw: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => raw.push(chunk));
  createInterface({ input: child.stdout }).on('line', onLine);
  createInterface({ input: child.stderr }).on('line', (l) => onLine(`stderr: ${l}`));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    lines,
    stdout: () => Buffer.concat(raw),
    exited,
    waitLine: (pattern, timeoutMs = 15_000) => {
      const seen = lines.find((l) => pattern.test(l));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`agent printed no line like ${pattern}; got:\n${lines.join('\n')}`)), timeoutMs);
        waiters.push({
          pattern,
          resolve: (line) => {
            clearTimeout(timer);
            resolve(line);
          },
        });
      });
    },
    type: (line) => child.stdin.write(`${line}\n`),
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      child.kill('SIGTERM');
      await exited;
      clearTimeout(timer);
    },
  };
}
