import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedis } from '../testkit/services.ts';
import { spawnReady, type ReadyChild } from './lib/child.ts';
import { runBounded, summarize } from './lib/load-runner.ts';
import type { BenchRow } from './lib/table.ts';
import { startBalancer } from './lib/tcp-balancer.ts';
import type { BenchSocket } from './lib/ws-client.ts';
import { login, openTechnician, productPair, type ProductTarget } from './signaling-product.ts';

type NodeInfo = { pid: number; port: number; origin: string; technicians: Array<{ email: string; password: string }> };

/**
 * Several nodes on one Redis (docs/scale.md), on this one machine: pairs per
 * second through a round-robin balancer with 1 and with 3 nodes behind it
 * (consoles and customers land on any node), and the exchange latency of a
 * pair whose technician and customer are on the same node and on two nodes.
 */
export async function runSignalingCluster(opts: { quick: boolean }): Promise<BenchRow[]> {
  const pairs = opts.quick ? 150 : 1200;
  const concurrency = opts.quick ? 20 : 100;
  const deadlineMs = opts.quick ? 20_000 : 60_000;
  const technicians = Math.ceil(pairs / 10);
  const redis = await startRedis();
  const dataDir = mkdtempSync(join(tmpdir(), 'rr-bench-cluster-'));
  const nodes: ReadyChild<NodeInfo>[] = [];
  const sockets: BenchSocket[] = [];
  const env = { BENCH_REDIS_URL: redis.url, BENCH_DATA_DIR: dataDir, BENCH_TECHNICIANS: String(technicians) };
  try {
    for (let i = 0; i < 3; i++) nodes.push(await spawnReady<NodeInfo>(process.execPath, ['--import', 'tsx', 'bench/servers/signaling-server.ts'], 60_000, env));
    const first = nodes[0]!.info;
    // One login per technician: the cookie works on every node (and repeated logins would meet the login limits).
    const cookies = await Promise.all(first.technicians.map((t) => login(first.port, t.email, t.password)));

    const throughBalancer = async (count: number): Promise<{ rate: number; median: number; p99: number; errors: number }> => {
      const balancer = await startBalancer(nodes.slice(0, count).map((node) => node.info.port));
      try {
        const consoles = await Promise.all(cookies.map((cookie) => openTechnician(balancer.port, 'http://balancer.bench.test', cookie)));
        sockets.push(...consoles);
        const hold: BenchSocket[] = [];
        const result = await runBounded(pairs, concurrency, deadlineMs, (i) => productPair({ port: balancer.port, technicians: consoles }, i, hold));
        for (const socket of [...hold, ...consoles]) socket.close();
        console.error(`  ${count} node(s): ${result.latencies.length}/${result.started} pairs in ${(result.elapsedMs / 1000).toFixed(1)} s`);
        return { rate: result.latencies.length / (result.elapsedMs / 1000), ...summarize(result.latencies), errors: result.errors };
      } finally {
        await balancer.close();
      }
    };

    const latencyBetween = async (techNode: NodeInfo, customerNode: NodeInfo): Promise<number> => {
      const consoles = await Promise.all(cookies.slice(0, 10).map((cookie) => openTechnician(techNode.port, techNode.origin, cookie)));
      sockets.push(...consoles);
      const target: ProductTarget = { port: techNode.port, customerPort: customerNode.port, technicians: consoles };
      const hold: BenchSocket[] = [];
      const result = await runBounded(opts.quick ? 40 : 200, 1, deadlineMs, (i) => productPair(target, i, hold));
      for (const socket of [...hold, ...consoles]) socket.close();
      return summarize(result.latencies).median;
    };

    const one = await throughBalancer(1);
    const three = await throughBalancer(3);
    const sameNode = await latencyBetween(first, first);
    const crossNode = await latencyBetween(first, nodes[1]!.info);
    const group = 'signaling, several nodes';
    const note = `${pairs} pairs, ${concurrency} concurrent, round-robin TCP balancer, one Redis, all on this machine`;
    return [
      { group, name: 'pairs per second, 3 nodes', value: three.rate, unit: 'pairs/s', reference: { name: '1 node', value: one.rate }, note },
      { group, name: 'exchange latency p99, 3 nodes', value: three.p99, unit: 'ms', reference: { name: '1 node', value: one.p99 } },
      { group, name: 'errors, 3 nodes', value: three.errors, unit: '', reference: { name: '1 node', value: one.errors } },
      {
        group,
        name: 'pair latency median, across nodes',
        value: crossNode,
        unit: 'ms',
        reference: { name: 'same node', value: sameNode },
        note: `one pair at a time; added by crossing nodes: ${(crossNode - sameNode).toFixed(1)} ms`,
      },
    ];
  } finally {
    for (const socket of sockets) socket.close();
    for (const node of nodes) await node.stop();
    await redis.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
