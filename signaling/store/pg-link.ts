import pg from 'pg';
import { ConfigError } from '../config.ts';
import type { Logger } from '../logger.ts';

/** The longest wait between two tries of a queued write. */
const MAX_BACKOFF_MS = 5000;
/** Writes stored per transaction at most. */
const BATCH = 500;

/** BIGINT (oid 20) columns hold milliseconds and counts: numbers, not strings. */
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === 20 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/** A server error (SQLSTATE) about the statement itself, as opposed to the connection or the server going away. */
function statementError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !/^(08|57P|53)/.test(code);
}

const describe = (error: unknown): string => (error instanceof Error ? error.message || error.name : String(error));

interface Write {
  sql: string;
  params: unknown[];
}

/**
 * The connection pool to PostgreSQL, and the ordered write queue the audit
 * trail and live sessions use: writes are taken in order, stored in batches
 * (one transaction each) on one connection at a time, and while the database
 * is away they stay queued and are retried with back-off (100 ms doubling up
 * to 5 s). A lost connection is logged once and kept as the cause that
 * /healthz reports (503) until a query succeeds again.
 */
export class PgLink {
  readonly pool: pg.Pool;
  private down: string | null = null;
  private readonly queue: Write[] = [];
  /** Writes queued so far, and stored so far (to wait for in `flush`). */
  private queued = 0;
  private stored = 0;
  private waiters: { upTo: number; resolve: () => void }[] = [];
  private running = false;
  private closed = false;
  private probing: NodeJS.Timeout | null = null;
  /** The connection the write queue keeps (null until the first write, and after it broke). */
  private writer: pg.PoolClient | null = null;

  constructor(
    url: string,
    private readonly logger: Logger,
  ) {
    this.pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 5000, application_name: 'relay-rescue', types });
    this.pool.on('error', (error) => this.lost(error));
  }

  /** Connects once at start; problems are configuration errors with the cause (exit 2, signaling/main.ts). */
  async connect(): Promise<pg.PoolClient> {
    try {
      return await this.pool.connect();
    } catch (error) {
      await this.pool.end().catch(() => undefined);
      const code = (error as { code?: string }).code;
      const why = describe(error);
      if (code === '28P01' || code === '28000') throw new ConfigError('DATABASE_URL', `PostgreSQL refused the login (${why})`);
      if (code === '3D000') throw new ConfigError('DATABASE_URL', `the database does not exist (${why})`);
      if (statementError(error)) throw new ConfigError('DATABASE_URL', `PostgreSQL refused the connection (${why})`);
      throw new ConfigError('DATABASE_URL', `cannot reach PostgreSQL (${why || code || 'no answer'})`);
    }
  }

  /** Why the database is not usable now, or null. */
  problem(): string | null {
    if (this.down !== null && this.queue.length > 0) return `${this.down} (${this.queue.length} audit writes waiting)`;
    return this.down;
  }

  /** A read (or a write whose result the caller needs), with the link's health kept. */
  async query<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<pg.QueryResult<R>> {
    try {
      const result = await this.pool.query<R>(sql, params);
      this.regained();
      return result;
    } catch (error) {
      if (!statementError(error)) this.lost(error);
      throw error;
    }
  }

  /** Runs `work` in one transaction on one connection. */
  async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client;
    try {
      client = await this.pool.connect();
    } catch (error) {
      this.lost(error);
      throw error;
    }
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      this.regained();
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      if (!statementError(error)) this.lost(error);
      throw error;
    } finally {
      client.release();
    }
  }

  /** Queues an ordered write; it is stored soon, and retried while the database is away. */
  write(sql: string, params: unknown[]): void {
    this.queue.push({ sql, params });
    this.queued++;
    if (!this.running) void this.drain();
  }

  /** Whether queued writes are not stored yet (replies wait for them: signaling/store/reply-gate.ts). */
  pending(): boolean {
    return this.stored < this.queued;
  }

  /** Resolves once every write queued before the call is stored. */
  flush(): Promise<void> {
    if (this.stored >= this.queued) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ upTo: this.queued, resolve }));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Stores what is queued while the database answers (a few seconds at most), then closes.
    await Promise.race([this.flush(), new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
    this.closed = true;
    if (this.probing) clearTimeout(this.probing);
    if (this.queue.length > 0) this.logger.error({ writes: this.queue.length }, 'stopped with audit writes that PostgreSQL did not take');
    this.writer?.release();
    this.writer = null;
    await this.pool.end();
  }

  private async drain(): Promise<void> {
    this.running = true;
    let attempt = 0;
    while (this.queue.length > 0 && !this.closed) {
      const batch = this.queue.slice(0, BATCH);
      try {
        await this.storeBatch(batch);
        attempt = 0;
      } catch (error) {
        this.lost(error);
        await new Promise((resolve) => setTimeout(resolve, Math.min(MAX_BACKOFF_MS, 100 * 2 ** Math.min(6, attempt++))));
        continue;
      }
      this.queue.splice(0, batch.length);
      this.stored += batch.length;
      this.waiters = this.waiters.filter((w) => (w.upTo <= this.stored ? (w.resolve(), false) : true));
    }
    this.running = false;
  }

  /**
   * Stores a batch: one write alone is one round trip (autocommit: the
   * window a crash can lose is as short as it gets); several go in one
   * transaction; if the database refuses one statement (not the
   * connection), the batch is stored again one write at a time and the
   * refused write is logged and dropped.
   */
  private async storeBatch(batch: Write[]): Promise<void> {
    const client = (this.writer ??= await this.pool.connect());
    // A kept connection that breaks while idle says so here, not as an uncaught 'error'.
    if (client.listenerCount('error') === 0) client.on('error', (error) => this.lost(error));
    try {
      if (batch.length === 1) {
        await this.storeOne(client, batch[0]!);
      } else {
        try {
          await client.query('BEGIN');
          for (const w of batch) await client.query(w.sql, w.params);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK').catch(() => undefined);
          if (!statementError(error)) throw error;
          for (const w of batch) await this.storeOne(client, w);
        }
      }
      this.regained();
    } catch (error) {
      this.writer = null;
      client.release(true);
      throw error;
    }
  }

  private async storeOne(client: pg.PoolClient, w: Write): Promise<void> {
    try {
      await client.query(w.sql, w.params);
    } catch (error) {
      if (!statementError(error)) throw error;
      this.logger.error({ err: describe(error), sql: w.sql.slice(0, 80) }, 'PostgreSQL refused an audit write; dropped it');
    }
  }

  private lost(error: unknown): void {
    const cause = `PostgreSQL: ${describe(error) || 'connection lost'}`;
    if (this.down === null) this.logger.error({ err: cause }, 'lost the connection to PostgreSQL; retrying with back-off');
    this.down = cause;
    this.probe();
  }

  /** While down with nothing queued, a `SELECT 1` now and then notices the database is back. */
  private probe(attempt = 0): void {
    if (this.probing || this.closed) return;
    this.probing = setTimeout(() => {
      this.probing = null;
      if (this.down === null || this.closed) return;
      this.pool.query('SELECT 1').then(
        () => this.regained(),
        () => this.probe(attempt + 1),
      );
    }, Math.min(MAX_BACKOFF_MS, 100 * 2 ** Math.min(6, attempt)));
    this.probing.unref();
  }

  private regained(): void {
    if (this.down === null) return;
    this.logger.info('connected to PostgreSQL again');
    this.down = null;
  }
}
