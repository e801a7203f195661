/**
 * The product's signaling server on loopback for the load bench, in its own
 * process so its RSS can be read. Creates BENCH_TECHNICIANS accounts and
 * prints {"ready":{port, pid, technicians:[{email,password}]}}.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../signaling/config.ts';
import { startServer } from '../../signaling/server.ts';
import { gcOnSignal } from './gc-on-signal.ts';

const count = Number(process.env.BENCH_TECHNICIANS ?? '10');
// A real SQLite file (WAL), as `npm start` uses, in a temporary folder; several nodes (BENCH_REDIS_URL) share one.
const shared = process.env.BENCH_DATA_DIR;
const dataDir = shared ?? mkdtempSync(join(tmpdir(), 'rr-bench-'));
// Behind the bench's balancer every node must accept the balancer's origin, as PUBLIC_URL does behind nginx.
const cluster = process.env.BENCH_REDIS_URL ? { REDIS_URL: process.env.BENCH_REDIS_URL, ALLOWED_ORIGINS: 'http://balancer.bench.test' } : {};
// Every simulated customer and console connects from 127.0.0.1: lift the per-address cap on sockets waiting
// for a code, and on login tries (each is reserved before its password check, so 30+ parallel logins from one
// address would be refused with 429).
// BENCH_HOST: listen there instead (a network namespace's own address, bench/loss.ts); plain HTTP inside the namespace only.
const inNamespace = process.env.BENCH_HOST ? { HOST: process.env.BENCH_HOST, ALLOW_INSECURE_HTTP: '1' } : {};
const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'silent', UNAUTH_SOCKETS_PER_ADDRESS: '10000', UNAUTH_SOCKETS_TOTAL: '10000', LOGIN_IP_LOCKOUT_AFTER: '10000', ...cluster, ...inNamespace });
const server = await startServer(config, { plugins: [] });
const technicians: Array<{ email: string; password: string }> = [];
for (let i = 0; i < count; i++) {
  const email = `bench${i}@example.test`;
  const password = `bench-password-${i}-long-enough`;
  // The first node of a cluster creates the accounts; the others find them in the shared file.
  if (!(await server.accounts.findByEmail(email))) await server.accounts.create({ email, name: `Bench ${i}`, password, isAdmin: false });
  technicians.push({ email, password });
}
console.log(JSON.stringify({ ready: { port: server.port, pid: process.pid, origin: server.publicUrl, technicians } }));
gcOnSignal();
process.on('SIGTERM', () => {
  void server.close().then(() => {
    if (!shared) rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  });
});
