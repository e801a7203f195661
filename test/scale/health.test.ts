import { expect } from 'chai';
import { ConfigError } from '../../signaling/config.ts';
import { startTestServer, type RunningServer } from '../../testkit/server.ts';
import { freePort, startRedis, type RedisServer } from '../../testkit/services.ts';

async function health(server: RunningServer): Promise<{ status: number; body: { ok: boolean; cause?: string } }> {
  const res = await fetch(`${server.url}/healthz`);
  return { status: res.status, body: (await res.json()) as { ok: boolean; cause?: string } };
}

async function until<T>(probe: () => Promise<T>, ok: (value: T) => boolean, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('scale: a node and its Redis connection', function () {
  this.timeout(60_000);
  let redis: RedisServer | null = null;
  let server: RunningServer | null = null;
  afterEach(async () => {
    await server?.close();
    await redis?.stop();
    server = null;
    redis = null;
  });

  it('does not start when REDIS_URL names no reachable Redis, and says so as a configuration error', async () => {
    const port = await freePort();
    const error = await startTestServer({ REDIS_URL: `redis://127.0.0.1:${port}` }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(ConfigError);
    expect((error as ConfigError).message).to.match(/^REDIS_URL: cannot reach Redis \(.*ECONNREFUSED/);
  });

  it('/healthz answers 503 with the cause while Redis is gone, and 200 again once it is back', async () => {
    redis = await startRedis();
    const port = redis.port;
    server = await startTestServer({ REDIS_URL: redis.url });
    expect(await health(server)).to.deep.equal({ status: 200, body: { ok: true } });
    await redis.stop();
    redis = null;
    const down = await until(() => health(server!), (h) => h.status === 503, 'healthz while Redis is down');
    expect(down.body.ok).to.equal(false);
    expect(down.body.cause).to.match(/^Redis \(/);
    redis = await startRedis(port);
    await until(() => health(server!), (h) => h.status === 200, 'healthz once Redis is back');
  });
});
