import { WebSocket } from 'ws';
import { LIMITS, type Permission } from '../protocol/index.ts';
import { sanitizeTerminalText } from '../protocol/sanitize-terminal-text.ts';
import { SignalingClient } from '../rtc/signaling-client.ts';
import type { StartSupportSession } from './adhoc/adhoc-agent.ts';
import { ADHOC_GRANTS, ADHOC_USAGE, runAdhocCli } from './adhoc/cli.ts';
import { Cleanup } from './cleanup.ts';
import { loadAgentConfig, USAGE, UsageError } from './config.ts';
import { createAgentSession, type AgentMediaConfig } from './create-session.ts';
import { diskSource } from './files/disk-source.ts';
import { hideSecretArguments } from './hide-secrets.ts';
import { readCarriedSettings } from './sea/carried-settings.ts';
import { runningAsSea } from './sea/sea-assets.ts';
import { removeSelfAtExit } from './sea/self-removal.ts';
import { TerminalUi } from './terminal/terminal-ui.ts';
import { feedWindow, openSupportWindow } from './window/attach-window.ts';
import type { SupportWindow } from './window/support-window.ts';

/**
 * The customer's agent: `npm run agent -- --server URL --code 123456`, or
 * `--adhoc <token>` / `--adhoc-resume` for unattended (ad hoc) support.
 * Joins the session, shares the X screen and takes input only as the customer
 * allows, and exits (removing its temporary files) when the session ends.
 */
async function main(argv: readonly string[]): Promise<number> {
  // Before anything waits: a token given as an argument leaves /proc/PID/cmdline (agent/hide-secrets.ts).
  if (!hideSecretArguments()) process.stderr.write('agent: other users of this computer may see the token on the command line; use RELAY_RESCUE_TOKEN or --token-file instead.\n');
  // A downloaded applet carries the server and its token at its end (docs/agent.md, "The carried token").
  const carried = runningAsSea() ? readCarriedSettings() : null;
  if (carried && !carried.found && carried.problem) {
    process.stderr.write(`agent: this download is damaged (${carried.problem}); download the support app again.\n`);
    return 1;
  }
  const trailer = carried?.found ? carried.payload : null;
  const adhocArgs =
    argv.some((a) => a === '--adhoc-resume' || a === '--adhoc' || a.startsWith('--adhoc=')) || (Boolean(process.env.RELAY_RESCUE_ADHOC_TOKEN) && !argv.some((a) => a.startsWith('--code') || a.startsWith('--token')));
  if (adhocArgs || trailer?.kind === 'adhoc') {
    const args = !adhocArgs && trailer?.token ? ['--server', trailer.server, '--adhoc', trailer.token, ...argv] : [...argv];
    return runAdhocCli(args, adhocSupport, (exit) => {
      // The ad hoc session is over (ended, expired, abandoned): the downloaded file goes too.
      if (trailer && exit.code === 0 && exit.reason !== 'stopped') removeSelfNow();
    });
  }
  let config;
  try {
    config = loadAgentConfig(argv, process.env, trailer);
  } catch (err) {
    if (err instanceof UsageError) {
      if (err.message) process.stderr.write(`agent: ${sanitizeTerminalText(err.message)}\n\n`);
      process.stderr.write(`${USAGE}\n\n${ADHOC_USAGE}\n`);
      return err.message ? 2 : 0;
    }
    throw err;
  }
  const cleanup = new Cleanup();
  cleanup.install();
  // The support window (null with --terminal); assigned below, once the session exists.
  let window: SupportWindow | null = null;
  if (config.fromDownload) removeSelfAtExit(cleanup);
  const ui = new TerminalUi();
  const { capturer, injector } = await config.platform.openScreen();
  cleanup.onExit(() => injector.close());
  const signaling = new SignalingClient({
    url: config.wsUrl,
    role: 'customer',
    client: 'agent',
    WebSocket: WebSocket,
  });
  // The technician as the server's account names them; nothing the peer sends replaces it.
  let technician = 'The technician';
  const session = createAgentSession(config, {
    signaling,
    capturer,
    injector,
    out: ui,
    cleanup,
    // Asked in the support window and in the terminal at once: the first answer counts, the other is withdrawn.
    ask: (permission) => {
      if (!config.prompt) return Promise.resolve(false);
      const asked = [ui.ask(permission, technician)];
      if (window) asked.push(window.ask(permission));
      return Promise.race(asked);
    },
    // The colleague the lead invites is approved the same way, by the names the server gives.
    askColleague: (colleague) => {
      if (!config.prompt) return Promise.resolve(false);
      const asked = [ui.askColleague(colleague)];
      if (window) asked.push(window.askColleague(colleague));
      return Promise.race(asked);
    },
    preGranted: config.autoGrant,
  });

  const { engine } = session;
  const sendFromDisk = async (path: string): Promise<void> => {
    if (!engine.permissions.isGranted('files')) throw new Error('Files are not allowed yet: the technician asks, then you allow it.');
    const source = await diskSource(path);
    try {
      void engine.sendFile(source).done.finally(() => void source.close());
    } catch (err) {
      await source.close();
      throw err;
    }
  };
  const removeColleague = (): void => {
    if (engine.colleague) void engine.removeColleague();
    else ui.print('(No colleague is in this session.)');
  };
  const revoke = (p: Permission | 'all'): void => {
    if (p === 'all') engine.revokeAll();
    else engine.revoke(p);
  };
  window = config.terminalOnly ? null : await openSupportWindow({
    platform: config.platform,
    downloadDir: config.downloadDir,
    open: config.openWindow,
    print: (line) => ui.print(line),
    actions: {
      chat: (text) => engine.sendChat(text),
      sendFile: sendFromDisk,
      revoke,
      stopAll: () => revoke('all'),
      removeColleague,
      end: () => void engine.end('ended by customer'),
    },
  });
  if (window) feedWindow(window, engine);
  // A question decided some other way (the other screen, /grant, /revoke) leaves the screen.
  engine.permissions.on('change', (c) => {
    if (c.to === 'asked') return;
    ui.withdraw(c.permission);
    window?.withdraw(c.permission);
  });
  // The colleague let in or refused on one screen (or gone): the other screen's question goes (the window's in feedWindow).
  engine.on('colleague', (c) => {
    if (c?.state !== 'asked') ui.withdraw('colleague');
  });
  const ended = new Promise<string>((resolve) => engine.on('closed', ({ reason }) => resolve(reason)));
  signaling.on('resume.failed', (e) => engine.close(`could not rejoin: ${e.message}`));
  signaling.on('closed', () => engine.close('signaling closed'));
  signaling.on('disconnected', (d) => {
    if (!d.final) ui.print(`Connection to the server lost; retrying in ${Math.round(d.delayMs / 1000)} s (the session goes on).`);
  });

  await session.init();
  ui.print(`Relay Rescue agent: ${config.platform.describe()}, capture ${capturer.method}, files go to ${config.downloadDir}`);
  for (const line of config.platform.setupProblems()) {
    ui.print(line);
    window?.addLog({ at: Date.now(), actor: 'system', kind: 'setup', text: line });
  }
  try {
    await signaling.connect();
    const reply = await signaling.request(
      config.code
        ? { type: 'code.submit', code: config.code, client: 'agent', name: config.name }
        : { type: 'customer.resume', token: config.token!, client: 'agent', name: config.name },
    );
    if (reply.type !== 'code.accepted') throw new Error(`unexpected reply ${reply.type}`);
    engine.sessionId = reply.sessionId;
    technician = `${reply.technicianName} (${reply.technicianEmail})`;
    engine.technician = technician;
    window?.setTechnician(reply.technicianName, reply.technicianEmail);
    ui.print(`Connected to session ${reply.sessionId}. Your technician is ${technician}, as the server's account names them. Waiting for the technician…`);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    ui.print(`Could not join: ${why}`);
    if (config.fromDownload && config.token) ui.print('This download belonged to a support session that has ended or was replaced: download the support app again from the support page.');
    window?.ended(`could not join: ${why}`);
    await window?.close();
    signaling.close();
    cleanup.runNow();
    return 1;
  }
  ui.start(
    {
      chat: (text) => {
        if (text.length > LIMITS.chatChars) {
          ui.print(`(not sent: a chat message holds at most ${LIMITS.chatChars} characters, this one has ${text.length}; send it in parts)`);
          return;
        }
        if (!engine.sendChat(text)) ui.print('(not connected yet: message not sent)');
      },
      grant: (p) => engine.grant(p),
      revoke,
      sendFile: (path) => void sendFromDisk(path).catch((err: unknown) => ui.print(`Cannot send ${path}: ${err instanceof Error ? err.message : String(err)}`)),
      removeColleague,
      end: () => void engine.end('ended by customer'),
    },
    config.prompt,
  );
  const reason = await ended;
  ui.close();
  ui.print(`Session ended (${reason}). Removing temporary files.`);
  await window?.close();
  await capturer.stop();
  injector.close();
  signaling.close();
  cleanup.runNow();
  return 0;
}

/**
 * The ad hoc agent's support session, one per connection: started by the ad
 * hoc agent only after the technician's password is proven, with view,
 * control and files granted (agreed at pairing; nobody is there to answer a
 * prompt, so other requests are denied). It ends, stopping capture and
 * removing partial downloads, when the technician disconnects; the agent
 * keeps running for the next connection until expiry or End.
 */
function adhocSupport(media: AgentMediaConfig): StartSupportSession {
  const ui = new TerminalUi();
  ui.print(`Relay Rescue ad hoc agent: ${media.platform.describe()}, files go to ${media.downloadDir}`);
  return async (peer, { technicianName }) => {
    const cleanup = new Cleanup();
    const onExit = (): void => cleanup.runNow();
    process.once('exit', onExit);
    let devices;
    try {
      devices = await media.platform.openScreen();
    } catch (err) {
      ui.print(`Cannot share the screen: ${err instanceof Error ? err.message : String(err)}`);
      process.off('exit', onExit);
      peer.close();
      return { close: () => undefined };
    }
    const { capturer, injector } = devices;
    const session = createAgentSession(media, {
      capturer,
      injector,
      out: ui,
      cleanup,
      ask: () => Promise.resolve(false),
      preGranted: ADHOC_GRANTS,
    });
    session.engine.technician = technicianName;
    let closed = false;
    const close = (): void => {
      if (closed) return;
      closed = true;
      session.engine.close(`${technicianName} disconnected`);
      void capturer.stop().finally(() => {
        injector.close();
        cleanup.runNow();
        process.off('exit', onExit);
      });
    };
    session.engine.on('closed', close);
    peer.on('closed', close);
    await session.init();
    if (peer.closed || closed) {
      close();
      return { close };
    }
    session.engine.adopt(peer);
    return { close };
  };
}

/** Deletes the downloaded applet now (the ad hoc runner has no Cleanup of its own). */
function removeSelfNow(): void {
  const cleanup = new Cleanup();
  if (removeSelfAtExit(cleanup)) cleanup.runNow();
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`agent: ${sanitizeTerminalText(err instanceof Error ? err.message : String(err))}\n`);
    process.exit(1);
  },
);
