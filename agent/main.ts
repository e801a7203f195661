import wrtc from '@roamhq/wrtc';
import { WebSocket } from 'ws';
import type { Permission } from '../protocol/index.ts';
import type { RTCPeerConnectionCtor } from '../rtc/peer-session.ts';
import { SignalingClient } from '../rtc/signaling-client.ts';
import { createScreenCapturer } from './capture/create-capturer.ts';
import { Cleanup } from './cleanup.ts';
import { systemClipboard } from './clipboard.ts';
import { loadAgentConfig, USAGE, UsageError } from './config.ts';
import { diskSinkFactory } from './files/disk-sink.ts';
import { diskSource } from './files/disk-source.ts';
import { nodeHasher } from './files/node-hasher.ts';
import { XTestInjector } from './input/injector-xtest.ts';
import { AgentSession } from './session.ts';
import { TerminalUi } from './terminal/terminal-ui.ts';

/**
 * The customer's agent: `npm run agent -- --server URL --code 123456`.
 * Joins the session, shares the X screen and takes input only as the customer
 * allows, and exits (removing its temporary files) when the session ends.
 */
async function main(argv: readonly string[]): Promise<number> {
  let config;
  try {
    config = loadAgentConfig(argv, process.env);
  } catch (err) {
    if (err instanceof UsageError) {
      if (err.message) process.stderr.write(`agent: ${err.message}\n\n`);
      process.stderr.write(`${USAGE}\n`);
      return err.message ? 2 : 0;
    }
    throw err;
  }
  const cleanup = new Cleanup();
  cleanup.install();
  const ui = new TerminalUi();
  const capturer = createScreenCapturer(config.display, config.capture);
  const injector = await XTestInjector.open(config.display);
  cleanup.onExit(() => injector.close());
  const signaling = new SignalingClient({
    url: config.wsUrl,
    role: 'customer',
    client: 'agent',
    WebSocket: WebSocket,
  });
  let technician = 'The technician';
  const session = new AgentSession({
    signaling,
    RTCPeerConnection: (wrtc as unknown as { RTCPeerConnection: RTCPeerConnectionCtor }).RTCPeerConnection,
    name: config.name,
    capturer,
    injector,
    clipboard: systemClipboard(config.display),
    files: { sinkFactory: diskSinkFactory(config.downloadDir, cleanup), hasher: nodeHasher },
    ask: (permission, label) => (config.prompt ? ui.ask(permission, label, technician) : Promise.resolve(false)),
    preGranted: config.autoGrant,
    fps: config.fps,
  });
  session.log.on('entry', (entry) => ui.printLog(entry));
  session.files.on('progress', (p) => ui.progress(p));
  session.files.on('finished', (r) => {
    if (r.ok && r.direction === 'receive') ui.print(`Saved ${r.savedAs ?? r.name} in ${config.downloadDir}`);
  });

  const ended = new Promise<string>((resolve) => session.on('closed', ({ reason }) => resolve(reason)));
  signaling.on('resume.failed', (e) => session.close(`could not rejoin: ${e.message}`));
  signaling.on('closed', () => session.close('signaling closed'));
  signaling.on('disconnected', (d) => {
    if (!d.final) ui.print(`Connection to the server lost; retrying in ${Math.round(d.delayMs / 1000)} s (the session goes on).`);
  });

  await capturer.listScreens().catch((err: unknown) => {
    throw new Error(`Cannot use X display ${config.display}: ${err instanceof Error ? err.message : String(err)}`);
  });
  await session.init();
  ui.print(`Relay Rescue agent: display ${config.display}, capture ${capturer.method}, files go to ${config.downloadDir}`);
  try {
    await signaling.connect();
    const reply = await signaling.request(
      config.code
        ? { type: 'code.submit', code: config.code, client: 'agent' }
        : { type: 'customer.resume', token: config.token!, client: 'agent' },
    );
    if (reply.type !== 'code.accepted') throw new Error(`unexpected reply ${reply.type}`);
    session.sessionId = reply.sessionId;
    technician = reply.technicianName;
    ui.print(`Connected to session ${reply.sessionId} with ${reply.technicianName}. Waiting for the technician…`);
  } catch (err) {
    ui.print(`Could not join: ${err instanceof Error ? err.message : String(err)}`);
    signaling.close();
    cleanup.runNow();
    return 1;
  }
  const revoke = (p: Permission | 'all'): void => {
    if (p === 'all') session.permissions.revokeAll();
    else session.revoke(p);
  };
  ui.start(
    {
      chat: (text) => {
        if (!session.sendChat(text)) ui.print('(not connected yet: message not sent)');
      },
      grant: (p) => session.grant(p),
      revoke,
      sendFile: (path) => {
        if (!session.permissions.isGranted('files')) return ui.print('Grant files first (/grant files).');
        void diskSource(path).then(
          (source) => void session.files.send(source).done.finally(() => void source.close()),
          (err: unknown) => ui.print(`Cannot send ${path}: ${err instanceof Error ? err.message : String(err)}`),
        );
      },
      end: () => void session.end('ended by customer'),
    },
    config.prompt,
  );
  const reason = await ended;
  ui.print(`Session ended (${reason}). Removing temporary files.`);
  ui.close();
  await capturer.stop();
  injector.close();
  signaling.close();
  cleanup.runNow();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`agent: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
