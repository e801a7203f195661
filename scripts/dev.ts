/**
 * `npm run dev`: the signaling server (tsx, restarted by `tsx watch` on server
 * changes) on 127.0.0.1:8080 plus Vite's dev server with hot reload, which
 * proxies /api, /ws, /download and /healthz to it. Open the URL Vite prints
 * (http://127.0.0.1:5173/ and /console). Ctrl+C stops both.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name: string): string => path.join(root, 'node_modules', '.bin', name);
const port = process.env['PORT'] ?? '8080';
const vitePort = process.env['VITE_PORT'] ?? '5173';

const children: ChildProcess[] = [];
let stopping = false;

function run(name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv): void {
  const child = spawn(cmd, args, { cwd: root, env: { ...process.env, ...env }, stdio: 'inherit' });
  children.push(child);
  child.on('exit', (code, signal) => {
    if (stopping) return;
    console.error(`[dev] ${name} exited (${signal ?? code}); stopping.`);
    stop(code ?? 1);
  });
}

function stop(code: number): void {
  if (stopping) return;
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  setTimeout(() => process.exit(code), 500).unref();
}

process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

// The browser talks to Vite's origin; the server must accept it for the technician socket and the API.
const viteOrigins = [`http://127.0.0.1:${vitePort}`, `http://localhost:${vitePort}`];
const allowed = [process.env['ALLOWED_ORIGINS'], ...viteOrigins].filter(Boolean).join(',');

run('signaling', bin('tsx'), ['watch', '--clear-screen=false', 'signaling/main.ts'], {
  PORT: port,
  ALLOWED_ORIGINS: allowed,
  PUBLIC_URL: process.env['PUBLIC_URL'] ?? viteOrigins[0],
});
run('vite', bin('vite'), ['--port', vitePort, '--strictPort'], { RR_DEV_BACKEND: `http://127.0.0.1:${port}` });
