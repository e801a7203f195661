import type { Db } from './db.ts';

/**
 * The database with `prepare` remembered per SQL text, for a store that
 * prepares its statements on every call: LiveSessions.save prepared its
 * upsert twice per session, 3.7% of the server's CPU under the signaling
 * bench (docs/performance-signaling.md). A cached statement is reused, so
 * give this only to code that runs its statements (`run`, `get`, `all`)
 * rather than holding an `iterate()` open while preparing the same SQL again.
 */
export function withStatementCache(db: Db): Db {
  const statements = new Map<string, ReturnType<Db['prepare']>>();
  return new Proxy(db, {
    get(target, key) {
      if (key === 'prepare') {
        return (sql: string) => {
          let statement = statements.get(sql);
          if (!statement) {
            statement = target.prepare(sql);
            statements.set(sql, statement);
          }
          return statement;
        };
      }
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
