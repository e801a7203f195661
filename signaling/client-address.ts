import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/** Strips the IPv4-mapped prefix and lowercases IPv6, so one host has one spelling. */
export function normalizeIp(address: string): string {
  const lower = address.toLowerCase();
  return lower.startsWith('::ffff:') && isIP(lower.slice(7)) === 4 ? lower.slice(7) : lower;
}

/**
 * The client's address as a trusted proxy chain reports it: with `hops`
 * proxies each appending the address it received the request from, the
 * client is the entry `hops` from the right of X-Forwarded-For (the leftmost
 * when the list is shorter; everything in it was then written by a trusted
 * hop). Entries left of that were written by the client and are never used.
 * Returns null for a missing header, and `{ invalid }` for one that is not a
 * list of IP addresses (the caller falls back to the socket's address).
 */
export function forwardedFor(header: string | string[] | undefined, hops: number): string | null | { invalid: string } {
  if (header === undefined || hops <= 0) return null;
  const value = Array.isArray(header) ? header.join(',') : header;
  if (value.length > 4096) return { invalid: value.slice(0, 80) };
  const entries = value.split(',').map((entry) => entry.trim());
  if (entries.length === 0 || entries.some((entry) => isIP(entry) === 0)) return { invalid: value.slice(0, 80) };
  const picked = entries[Math.max(0, entries.length - hops)];
  return picked === undefined ? null : normalizeIp(picked);
}

/** The address of the TCP peer (the proxy itself when there is one). */
export function socketAddress(req: IncomingMessage): string {
  return normalizeIp(req.socket.remoteAddress ?? 'unknown').slice(0, 64);
}

/**
 * The client's address for limits, the session list and the audit log:
 * the socket's, or behind `trustProxy` proxies the entry they appended.
 * `onInvalid` hears about a header that is not a list of IPs (it is ignored).
 */
export function clientAddress(req: IncomingMessage, trustProxy: number | boolean, onInvalid?: (header: string) => void): string {
  const hops = trustProxy === true ? 1 : trustProxy === false ? 0 : trustProxy;
  const forwarded = forwardedFor(req.headers['x-forwarded-for'], hops);
  if (typeof forwarded === 'string') return forwarded;
  if (forwarded !== null) onInvalid?.(forwarded.invalid);
  return socketAddress(req);
}

/**
 * The key limits count an address under: an IPv4 address as it is, an IPv6
 * address by its /64 (one subscriber usually holds a whole /64, so counting
 * single IPv6 addresses would give one host 2^64 fresh counters).
 */
export function addressKey(raw: string): string {
  const address = raw.toLowerCase();
  if (isIP(address) !== 6) return address;
  const [head = '', tail = ''] = address.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  // An embedded IPv4 tail (::ffff:1.2.3.4 style) only touches the low 64 bits.
  const groups = address.includes('::') ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right] : left;
  const prefix = groups.slice(0, 4).map((group) => (group === '' ? '0' : group.replace(/^0+(?=.)/, '')));
  while (prefix.length < 4) prefix.push('0');
  return `${prefix.join(':')}::/64`;
}

/** Resolves client addresses for one server, logging a malformed X-Forwarded-For once. */
export class ClientAddresses {
  private warned = false;

  constructor(
    private readonly trustProxy: number,
    private readonly warn: (header: string) => void,
  ) {}

  of(req: IncomingMessage): string {
    return clientAddress(req, this.trustProxy, (header) => {
      if (this.warned) return;
      this.warned = true;
      this.warn(header);
    });
  }
}
