/**
 * @module API tokens: who is asking, compared in constant time.
 *
 * A presented token is hashed (SHA-256) and compared with every configured
 * token's hash by `timingSafeEqual`, all of them every time, so neither the
 * length of a token nor which one matched (nor how far a guess got) shows in
 * the response time. With no token configured the API is open, which is only
 * allowed on a loopback address ({@link refuseOpenBind}).
 */

import { createHash, timingSafeEqual } from 'node:crypto';
import { parseAddress } from '../flow/address.js';
import { type ApiToken, MIN_TOKEN_LENGTH } from './config.js';

export interface Principal {
  name: string;
  admin: boolean;
  /** The organisations a scoped principal sees (empty for an admin). */
  organisations: readonly string[];
}

/** The principal of an API with no token configured (loopback only). */
export const LOCAL_ADMIN: Principal = { name: 'local', admin: true, organisations: [] };

interface Entry {
  digest: Buffer;
  principal: Principal;
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

export class TokenSet {
  private readonly entries: Entry[];

  constructor(tokens: readonly ApiToken[], envToken?: string) {
    this.entries = tokens.map((t) => ({
      digest: digest(t.token),
      principal: { name: t.name, admin: t.admin, organisations: t.admin ? [] : [...t.organisations] },
    }));
    if (envToken !== undefined && envToken !== '') {
      if (envToken.length < MIN_TOKEN_LENGTH)
        throw new Error(`FLOWHUNT_TOKEN must be at least ${MIN_TOKEN_LENGTH} characters`);
      this.entries.push({
        digest: digest(envToken),
        principal: { name: 'FLOWHUNT_TOKEN', admin: true, organisations: [] },
      });
    }
    const seen = new Set<string>();
    for (const e of this.entries) {
      const k = e.digest.toString('hex');
      if (seen.has(k)) throw new Error(`api.tokens: the token of "${e.principal.name}" is used twice`);
      seen.add(k);
    }
  }

  get open(): boolean {
    return this.entries.length === 0;
  }

  get principals(): Principal[] {
    return this.entries.map((e) => e.principal);
  }

  /** The principal a token belongs to, or undefined; the time taken does not depend on which. */
  match(token: string): Principal | undefined {
    const d = digest(token);
    let found: Principal | undefined;
    for (const e of this.entries) {
      // No early exit: every entry is compared.
      if (timingSafeEqual(d, e.digest)) found = e.principal;
    }
    return found;
  }
}

/** The token of an `Authorization: Bearer <token>` header, if well-formed. */
export function bearer(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer[ ]+([\x21-\x7e]+)[ ]*$/i.exec(header);
  return m?.[1];
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  const w = parseAddress(host);
  if (!w) return false;
  const v4 = w[0] === 0 && w[1] === 0 && w[2] === 0xffff;
  if (v4) return w[3]! >>> 24 === 127;
  return w[0] === 0 && w[1] === 0 && w[2] === 0 && w[3] === 1;
}

/**
 * The reason not to start, when the API would be reachable from the network
 * with no token to keep anyone out; undefined when it is safe.
 */
export function refuseOpenBind(host: string, port: number | string, tokens: TokenSet): string | undefined {
  if (!tokens.open || isLoopback(host)) return undefined;
  return (
    `refusing to serve the API on ${host.includes(':') ? `[${host}]` : host}:${port} without an API token: ` +
    'set FLOWHUNT_TOKEN or api.tokens in the config, or listen on a loopback address (--http 127.0.0.1:8080)'
  );
}

/**
 * Failed token checks per client address: after `max` failures within
 * `windowMs`, that address is refused (429) until the window ends, so a
 * token cannot be guessed at the speed of the network. Bounded: at most
 * `maxClients` addresses are tracked (the oldest are forgotten first).
 * Only failures count; a client presenting a valid token is never slowed.
 */
export class FailureLimiter {
  private readonly seen = new Map<string, { since: number; count: number }>();

  constructor(
    private readonly max = 20,
    private readonly windowMs = 60_000,
    private readonly maxClients = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds until `client` may try again, or 0. */
  retryAfter(client: string): number {
    const e = this.seen.get(client);
    if (!e) return 0;
    const left = e.since + this.windowMs - this.now();
    if (left <= 0) {
      this.seen.delete(client);
      return 0;
    }
    return e.count >= this.max ? Math.ceil(left / 1000) : 0;
  }

  fail(client: string): void {
    const t = this.now();
    const e = this.seen.get(client);
    if (e && t - e.since < this.windowMs) {
      e.count++;
      return;
    }
    this.seen.delete(client);
    if (this.seen.size >= this.maxClients) this.seen.delete(this.seen.keys().next().value!);
    this.seen.set(client, { since: t, count: 1 });
  }
}
