/**
 * The product's signaling server in its own process, for the fault suite:
 * its RSS can be read, and it can be stopped with SIGTERM or killed with
 * SIGKILL and started again on the same DATA_DIR and PORT. Configuration comes
 * from the environment exactly as `npm start` reads it. FAULT_TECHNICIANS
 * accounts (fault0@example.test ... with FAULT_PASSWORD) are created when the
 * database has none. Prints one line {"ready":{port,pid,origin}} when it listens.
 */
import { createAdhocPlugin } from '../../../signaling/adhoc/index.ts';
import { loadConfig } from '../../../signaling/config.ts';
import { startServer } from '../../../signaling/server.ts';
import { gcOnSignal } from '../../../bench/servers/gc-on-signal.ts';
import { FAULT_PASSWORD, technicianEmail } from './fault-server.ts';

const wanted = Number(process.env.FAULT_TECHNICIANS ?? '0');
const server = await startServer(loadConfig(process.env), { plugins: [createAdhocPlugin()] });
if ((await server.accounts.count()) === 0) {
  // Hashing runs on libuv's threads: a few at a time keeps both cores busy.
  for (let first = 0; first < wanted; first += 4) {
    const batch = [];
    for (let i = first; i < Math.min(wanted, first + 4); i++) {
      batch.push(server.accounts.create({ email: technicianEmail(i), name: `Fault Tech ${i}`, password: FAULT_PASSWORD, isAdmin: false }));
    }
    await Promise.all(batch);
  }
}
console.log(JSON.stringify({ ready: { port: server.port, pid: process.pid, origin: server.publicUrl } }));
gcOnSignal();
let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  void server.close().then(() => process.exit(0));
});
