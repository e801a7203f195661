import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freeUdpTcpPort, freeUdpWindow } from './ports.ts';

/**
 * A real coturn (`turnserver`) on 127.0.0.1 for tests and the benchmark, with
 * the flags FACTS.md found to work on loopback. `--allow-loopback-peers` is a
 * test-only permission: production must deny 127.0.0.0/8 (turn/turnserver.conf).
 */
export interface Coturn {
  /** The TURN listening port (UDP and TCP). */
  port: number;
  secret: string;
  realm: string;
  relayPorts: { min: number; max: number };
  /** `turn:127.0.0.1:<port>?transport=udp` and `...tcp`. */
  urls: { udp: string; tcp: string };
  /** Everything coturn has logged so far. */
  log(): string;
  /** Waits (bounded) until the log matches, returns whether it did. */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<boolean>;
  stop(): Promise<void>;
}

export interface CoturnOptions {
  secret?: string;
  realm?: string;
  /** Extra turnserver arguments. */
  args?: string[];
  /** Allow relaying to loopback peers (tests only). Default true. */
  allowLoopbackPeers?: boolean;
  /** The listening port and relay range (default: free ones), e.g. to start a relay again where it was. */
  port?: number;
  relayPorts?: { min: number; max: number };
}

export async function startCoturn(opts: CoturnOptions = {}): Promise<Coturn> {
  const secret = opts.secret ?? randomBytes(24).toString('hex');
  const realm = opts.realm ?? 'relay-rescue.test';
  const port = opts.port ?? (await freeUdpTcpPort());
  const relayPorts = opts.relayPorts ?? (await freeUdpWindow(40));
  const dir = mkdtempSync(join(tmpdir(), 'rr-coturn-'));
  const args = [
    '-n',
    '--listening-ip=127.0.0.1',
    '--relay-ip=127.0.0.1',
    `--listening-port=${port}`,
    `--min-port=${relayPorts.min}`,
    `--max-port=${relayPorts.max}`,
    '--use-auth-secret',
    `--static-auth-secret=${secret}`,
    `--realm=${realm}`,
    '--no-cli',
    '--no-tls',
    '--no-dtls',
    '--no-rfc5780',
    '--fingerprint',
    '--log-file=stdout',
    '--simple-log',
    `--pidfile=${join(dir, 'turnserver.pid')}`,
    ...(opts.allowLoopbackPeers === false ? [] : ['--allow-loopback-peers']),
    ...(opts.args ?? []),
  ];
  try {
    return await runTurnProcess({ command: 'turnserver', args, env: process.env, port, secret, realm, relayPorts });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface TurnProcessSpec {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  port: number;
  secret: string;
  realm: string;
  relayPorts: { min: number; max: number };
}

/** Spawns a turnserver (directly or through turn/start.sh) and waits until it answers STUN. */
export async function runTurnProcess(spec: TurnProcessSpec): Promise<Coturn> {
  const { port } = spec;
  const child = spawn(spec.command, spec.args, { stdio: ['ignore', 'pipe', 'pipe'], env: spec.env });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
  let exited = false;
  child.once('exit', () => (exited = true));
  child.once('error', (err) => {
    exited = true;
    output += `\nspawn error: ${err.message}`;
  });
  const stop = (): Promise<void> => stopChild(child, () => exited);

  const ready = await waitForStun(port, () => exited, 10_000);
  if (!ready) {
    await stop();
    throw new Error(`coturn did not answer STUN on 127.0.0.1:${port}:\n${output.slice(-3000)}`);
  }
  return {
    port,
    secret: spec.secret,
    realm: spec.realm,
    relayPorts: spec.relayPorts,
    urls: { udp: `turn:127.0.0.1:${port}?transport=udp`, tcp: `turn:127.0.0.1:${port}?transport=tcp` },
    log: () => output,
    waitForLog: async (pattern, timeoutMs = 5000) => {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (pattern.test(output)) return true;
        await sleep(50);
      }
      return pattern.test(output);
    },
    stop,
  };
}

async function stopChild(child: ChildProcess, exited: () => boolean): Promise<void> {
  if (exited()) return;
  child.kill('SIGTERM');
  for (let i = 0; i < 40 && !exited(); i++) await sleep(50);
  if (!exited()) child.kill('SIGKILL');
  for (let i = 0; i < 40 && !exited(); i++) await sleep(50);
}

/** Sends STUN Binding requests (RFC 8489 §5) until one is answered, the process exits, or time is up. */
export async function waitForStun(port: number, exited: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  const sock = createSocket('udp4');
  let answered = false;
  sock.on('message', (msg) => {
    if (msg.length >= 20 && msg.readUInt16BE(0) === 0x0101) answered = true;
  });
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
  try {
    while (!answered && !exited() && Date.now() < deadline) {
      const req = Buffer.alloc(20);
      req.writeUInt16BE(0x0001, 0);
      req.writeUInt16BE(0, 2);
      req.writeUInt32BE(0x2112a442, 4);
      randomBytes(12).copy(req, 8);
      sock.send(req, port, '127.0.0.1');
      for (let i = 0; i < 5 && !answered; i++) await sleep(20);
    }
  } finally {
    sock.close();
  }
  return answered;
}
