import { createHmac } from 'node:crypto';

/**
 * Short-lived TURN credentials in the TURN REST API scheme that coturn's
 * `use-auth-secret` checks (draft-uberti-behave-turn-rest-00 §2.2): the username
 * is `<unix-expiry>:<id>`, the password is base64(HMAC-SHA1(secret, username)).
 * The secret stays on the server; only the pair reaches a client.
 */
export interface TurnCredentials {
  username: string;
  credential: string;
  /** Unix time in milliseconds when coturn stops accepting them. */
  expiresAt: number;
}

export function mintTurnCredentials(secret: string, id: string, ttlSeconds: number, nowMs = Date.now()): TurnCredentials {
  if (secret.length === 0) throw new Error('TURN secret is empty');
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(id)) throw new Error('TURN credential id must be 1-64 safe characters');
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) throw new Error('TURN credential TTL must be a positive integer');
  const expiry = Math.floor(nowMs / 1000) + ttlSeconds;
  const username = `${expiry}:${id}`;
  const credential = createHmac('sha1', secret).update(username).digest('base64');
  return { username, credential, expiresAt: expiry * 1000 };
}
