import { Redis } from 'ioredis';
import { ConfigError } from '../config.ts';
import type { Logger } from '../logger.ts';

/** The longest wait between two reconnection tries. */
const MAX_BACKOFF_MS = 5000;

/**
 * One connection to Redis. ioredis reconnects on its own; this sets the
 * back-off (100 ms doubling up to 5 s), logs a lost and a regained connection
 * once each, and keeps the cause while it is down so that /healthz can report
 * it (503) instead of the node quietly losing sessions.
 */
export class RedisLink {
  readonly redis: Redis;
  private down: string | null = null;

  constructor(url: string, logger: Logger, role: string) {
    this.redis = new Redis(url, {
      lazyConnect: true,
      maxRetriesPerRequest: null,
      connectionName: `relay-rescue-${role}`,
      retryStrategy: (attempt) => Math.min(MAX_BACKOFF_MS, 100 * 2 ** Math.min(6, attempt - 1)),
    });
    this.redis.on('error', (error: Error) => {
      const cause = `Redis (${role}): ${error.message || error.name}`;
      if (this.down === null) logger.error({ err: cause }, 'lost the connection to Redis; retrying with back-off');
      this.down = cause;
    });
    this.redis.on('close', () => {
      this.down ??= `Redis (${role}): connection closed`;
    });
    this.redis.on('ready', () => {
      if (this.down !== null) logger.info({ role }, 'connected to Redis again');
      this.down = null;
    });
  }

  /** Connects once at start; an unreachable server fails the start like bad configuration does (exit 2, signaling/main.ts). */
  async connect(): Promise<void> {
    try {
      await this.redis.connect();
    } catch (error) {
      this.redis.disconnect();
      const why = this.down ?? (error instanceof Error ? error.message : String(error));
      throw new ConfigError('REDIS_URL', `cannot reach Redis (${why})`);
    }
    this.down = null;
  }

  /** Why this link is not usable now, or null. */
  problem(): string | null {
    return this.down;
  }

  async close(): Promise<void> {
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }
}
