import { expect } from 'chai';
import { NodeBus } from '../../signaling/cluster/node-bus.ts';
import { createLogger } from '../../signaling/logger.ts';
import { startRedis, type RedisServer } from '../../testkit/services.ts';

const quiet = createLogger('silent');
const handlers = { call: () => null, cast: () => undefined, dead: () => undefined };

/** Stops a bus's periodic liveness check: what it learns after this, it learns from messages. */
function stopLooking(bus: NodeBus): void {
  clearInterval((bus as unknown as { beat: NodeJS.Timeout }).beat);
}

async function until(ok: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('scale: the node bus', function () {
  this.timeout(60_000);
  let redis: RedisServer;
  const buses: NodeBus[] = [];
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    for (const bus of buses) await bus.stop();
    await redis?.stop();
  });

  async function started(): Promise<NodeBus> {
    const bus = new NodeBus(redis.url, quiet);
    buses.push(bus);
    await bus.start(handlers);
    return bus;
  }

  it('a node that started a moment before another has it in its broadcasts without waiting for its next liveness check', async () => {
    const older = await started();
    // Its next look would find the newer node; it never comes.
    stopLooking(older);
    const newer = await started();
    expect(newer.liveNodes()).to.deep.equal([older.nodeId]);
    await until(() => older.liveNodes().includes(newer.nodeId), "the newer node in the older one's live nodes");
  });

  it('a node that stops cleanly is gone for the others at once', async () => {
    const a = await started();
    const b = await started();
    stopLooking(a);
    await until(() => a.liveNodes().includes(b.nodeId), 'b known to a');
    await b.stop();
    buses.splice(buses.indexOf(b), 1);
    await until(() => !a.isAlive(b.nodeId), 'b gone for a');
    expect(a.liveNodes()).to.not.include(b.nodeId);
  });
});
