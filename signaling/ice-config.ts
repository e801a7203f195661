import type { IceConfig, IceServer } from '../protocol/index.ts';
import type { Config } from './config.ts';
import { mintTurnCredentials } from '../turn/credentials.ts';
import type { Role } from '../protocol/common.ts';

/**
 * Builds the RTCConfiguration one party of one session gets: the STUN URLs,
 * and the TURN URLs with credentials minted for `${sessionId}-${role}` only
 * (the TURN secret never leaves the server). `relay` forces TURN-only paths.
 */
export function buildIceConfig(
  config: Pick<Config, 'stunUrls' | 'turnUrls' | 'turnSecret' | 'turnTtlSeconds'>,
  party: { sessionId: string; role: Role; forceRelay: boolean },
  nowMs: number,
): IceConfig {
  const iceServers: IceServer[] = [];
  if (config.stunUrls.length > 0) iceServers.push({ urls: config.stunUrls.slice(0, 8) });
  const turnConfigured = config.turnUrls.length > 0 && config.turnSecret !== null;
  let expiresAt: number | undefined;
  if (turnConfigured && config.turnSecret !== null) {
    // current() re-reads TURN_SECRET_FILE if it changed: an ICE restart's `ice.refresh` gets the rotated secret.
    const creds = mintTurnCredentials(config.turnSecret.current(), `${party.sessionId}-${party.role}`.slice(0, 64), config.turnTtlSeconds, nowMs);
    iceServers.push({ urls: config.turnUrls.slice(0, 8), username: creds.username, credential: creds.credential });
    expiresAt = creds.expiresAt;
  }
  const ice: IceConfig = { iceServers, iceTransportPolicy: party.forceRelay ? 'relay' : 'all', turnConfigured };
  if (expiresAt !== undefined) ice.expiresAt = expiresAt;
  return ice;
}
