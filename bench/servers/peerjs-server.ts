/**
 * PeerJS server (npm `peer`) on loopback, the reference for the signaling load bench.
 * Prints {"ready":{"port":N,"pid":P}} when listening.
 */
import { PeerServer } from 'peer';
import type { Server } from 'node:http';
import { gcOnSignal } from './gc-on-signal.ts';

PeerServer({ port: 0, host: '127.0.0.1', path: '/', concurrent_limit: 100_000, alive_timeout: 600_000 }, (server: Server) => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  console.log(JSON.stringify({ ready: { port, pid: process.pid } }));
});
gcOnSignal();
process.on('SIGTERM', () => process.exit(0));
