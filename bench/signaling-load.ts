import { spawnReady } from './lib/child.ts';
import { runBounded, summarize } from './lib/load-runner.ts';
import { cpuSeconds, rssBytes } from './lib/proc.ts';
import { onServerCore, pinLoadClient, pinningNote } from './lib/pin.ts';
import type { BenchRow } from './lib/table.ts';
import type { BenchSocket } from './lib/ws-client.ts';
import { peerjsPair } from './signaling-peerjs.ts';
import { login, openTechnician, productPair } from './signaling-product.ts';

/**
 * Signaling under load: the same pairs against the product's server and
 * PeerJS server, each in its own child process on loopback, one after the
 * other in the same run. Bounded in pairs and in time.
 */
export async function runSignalingLoad(opts: { quick: boolean }): Promise<BenchRow[]> {
  const pairs = opts.quick ? 300 : 1500;
  const concurrency = opts.quick ? 50 : 150;
  // Memory per idle connection is read over this many more pairs, held open after the timed ones (bench/idle-memory.ts's method).
  const memoryPairs = opts.quick ? 1000 : 2000;
  // A technician runs a handful of sessions at once: at most 10 live sessions per console.
  const technicians = String(Math.ceil((pairs + memoryPairs) / 10));
  const deadlineMs = opts.quick ? 20_000 : 60_000;
  const tsx = ['--expose-gc', '--import', 'tsx'];
  const consoles: BenchSocket[] = [];
  // The same cores for both servers: the client on one, the server under test on the other (bench/lib/pin.ts).
  const unpin = pinLoadClient();

  const measure = async <I extends { pid: number }, T>(
    name: string,
    script: string,
    prepare: (info: I) => Promise<T>,
    pair: (target: T, index: number, hold: BenchSocket[]) => Promise<number>,
  ): Promise<{ rate: number; median: number; p99: number; errors: number; rssPerConn: number; completed: number; serverCpuMs: number; clientCpuMs: number; heapPerConn: number }> => {
    const [command, argv] = onServerCore(process.execPath, [...tsx, script]);
    const server = await spawnReady<I>(command, argv, 60_000, { BENCH_TECHNICIANS: technicians });
    try {
      const target = await prepare(server.info);
      const hold: BenchSocket[] = [];
      const serverCpu = cpuSeconds(server.info.pid);
      const clientCpu = process.cpuUsage();
      const result = await runBounded(pairs, concurrency, deadlineMs, (i) => pair(target, i, hold));
      const serverCpuMs = ((cpuSeconds(server.info.pid) - serverCpu) * 1000) / Math.max(1, result.latencies.length);
      const client = process.cpuUsage(clientCpu);
      const clientCpuMs = (client.user + client.system) / 1000 / Math.max(1, result.latencies.length);
      // Memory per idle connection: the timed pairs have compiled the code and grown the pools, so a full GC, then
      // `memoryPairs` more pairs whose sockets stay open (each with its live session), a full GC again. Read over the
      // timed pairs' sockets instead (330 in the quick stage, from a cold server) it was heap growth: 22-57 KiB.
      // The RSS can fall short when the new objects fit in heap pages the timed pairs left free, so the live V8 heap
      // (plus buffers) is read too, and the larger figure is the row.
      const heapBefore = await server.collectGarbage();
      const idleRss = rssBytes(server.info.pid);
      const idle: BenchSocket[] = [];
      await runBounded(memoryPairs, concurrency, deadlineMs, (i) => pair(target, pairs + i, idle));
      const heapAfter = await server.collectGarbage();
      const idleConnections = idle.length;
      const rssPerConn = idleConnections > 0 ? (rssBytes(server.info.pid) - idleRss) / idleConnections : Number.NaN;
      const heapPerConn = idleConnections > 0 ? (heapAfter - heapBefore) / idleConnections : Number.NaN;
      for (const socket of [...hold, ...idle, ...consoles]) socket.close();
      consoles.length = 0;
      const s = summarize(result.latencies);
      const missing = result.started - result.latencies.length - result.errors;
      console.error(
        `  ${name}: ${result.latencies.length}/${result.started} pairs in ${(result.elapsedMs / 1000).toFixed(1)} s, ${idleConnections} idle sockets for the memory figure, CPU per pair: server ${serverCpuMs.toFixed(2)} ms, load client ${clientCpuMs.toFixed(2)} ms; per idle socket: RSS ${(rssPerConn / 1024).toFixed(1)} KiB, heap ${(heapPerConn / 1024).toFixed(1)} KiB`,
      );
      return {
        rate: result.latencies.length / (result.elapsedMs / 1000),
        median: s.median,
        p99: s.p99,
        errors: result.errors + missing,
        rssPerConn,
        heapPerConn,
        completed: result.latencies.length,
        serverCpuMs,
        clientCpuMs,
      };
    } finally {
      await server.stop();
    }
  };

  type ProductInfo = { pid: number; port: number; origin: string; technicians: Array<{ email: string; password: string }> };
  const openConsoles = async (info: ProductInfo) => {
    const technicians = await Promise.all(
      info.technicians.map(async (t) => openTechnician(info.port, info.origin, await login(info.port, t.email, t.password))),
    );
    consoles.push(...technicians);
    return { port: info.port, technicians };
  };
  let product: Awaited<ReturnType<typeof measure>>;
  let peerjs: Awaited<ReturnType<typeof measure>>;
  let floor: Awaited<ReturnType<typeof measure>>;
  try {
    product = await measure('relay-rescue', 'bench/servers/signaling-server.ts', openConsoles, productPair);
    peerjs = await measure(
      'peerjs',
      'bench/servers/peerjs-server.ts',
      async (info: { pid: number; port: number }) => info.port,
      peerjsPair,
    );
    // The product's exchange on bare Node http + ws, no logic and no storage (bench/servers/floor-server.ts).
    floor = await measure('floor', 'bench/servers/floor-server.ts', openConsoles, productPair);
  } finally {
    unpin();
  }

  const group = 'signaling load';
  const note = `${pairs} pairs, ${concurrency} concurrent, ${technicians} consoles, loopback, ${pinningNote()}`;
  return [
    { group, name: 'pairs per second', value: product.rate, unit: 'pairs/s', reference: { name: 'PeerJS', value: peerjs.rate }, note },
    { group, name: 'exchange latency median', value: product.median, unit: 'ms', reference: { name: 'PeerJS', value: peerjs.median } },
    { group, name: 'exchange latency p99', value: product.p99, unit: 'ms', reference: { name: 'PeerJS', value: peerjs.p99 } },
    { group, name: 'server CPU per pair', value: product.serverCpuMs, unit: 'ms', reference: { name: 'PeerJS', value: peerjs.serverCpuMs } },
    { group, name: 'load client CPU per pair', value: product.clientCpuMs, unit: 'ms', reference: { name: 'PeerJS', value: peerjs.clientCpuMs } },
    {
      group,
      name: `server memory per idle connection (after a full GC, over ${memoryPairs} more pairs held open after the timed ones: the larger of the RSS and the live V8 heap + buffers)`,
      value: Math.max(product.rssPerConn, product.heapPerConn) / 1024,
      unit: 'KiB',
      reference: { name: 'PeerJS', value: Math.max(peerjs.rssPerConn, peerjs.heapPerConn) / 1024 },
    },
    { group, name: 'errors', value: product.errors, unit: '', reference: { name: 'PeerJS', value: peerjs.errors } },
    {
      group,
      name: "pairs per second, the stack's floor (the product's exchange on Node http + ws with no logic and no storage)",
      value: floor.rate,
      unit: 'pairs/s',
      reference: { name: 'PeerJS', value: peerjs.rate },
    },
    { group, name: "server CPU per pair, the stack's floor", value: floor.serverCpuMs, unit: 'ms', reference: { name: 'PeerJS', value: peerjs.serverCpuMs } },
  ];
}
