/**
 * @module API tokens: who is asking, compared in constant time.
 *
 * A presented token is hashed (SHA-256) and compared with every configured
 * token's hash by `timingSafeEqual`, all of them every time, so neither the
 * length of a token nor which one matched (nor how far a guess got) shows in
 * the response time. A configured token may be given as its hash
 * (`sha256:<64 hex digits>`), so the config file need not hold the secret.
 * With no token configured the API is open, which is only allowed on a
 * loopback address ({@link refuseOpenBind}).
 *
 * Every authenticated path (`/api/…` and `/metrics`) goes through
 * {@link authenticate}, with one {@link FailureLimiter} per HTTP server.
 */

import { createHash, timingSafeEqual } from 'node:crypto';
import { formatAddress, parseAddress } from '../flow/address.js';
import { type ApiToken, HASHED_TOKEN, MIN_TOKEN_LENGTH } from './config.js';
import { ApiError } from './params.js';

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

/** The digest a configured token is compared by: its own hash, or the one it is given as. */
function configuredDigest(token: string): Buffer {
  const m = HASHED_TOKEN.exec(token);
  return m ? Buffer.from(m[1]!, 'hex') : digest(token);
}

export class TokenSet {
  private readonly entries: Entry[];

  constructor(tokens: readonly ApiToken[], envToken?: string) {
    this.entries = tokens.map((t) => ({
      digest: configuredDigest(t.token),
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
 * Who a failure counts against: the address for IPv4, its /64 for IPv6 (one
 * host commonly holds a whole /64, so counting single IPv6 addresses would
 * give it 2^64 tries). Text that is not an address counts as itself.
 */
export function clientKey(ip: string): string {
  const w = parseAddress(ip);
  if (!w) return ip;
  if (w[0] === 0 && w[1] === 0 && w[2] === 0xffff) return formatAddress(w);
  return `${formatAddress([w[0], w[1], 0, 0])}/64`;
}

/**
 * Failed token checks per client ({@link clientKey}): after `max` failures
 * within `windowMs` of the first, that client is refused (429) until the
 * window ends, so a token cannot be guessed at the speed of the network.
 * Only failures count; a valid token adds none (but waits out a block).
 *
 * Bounded and not resettable by churn: clients with fewer than `max`
 * failures are kept in one table of at most `maxClients` (the least recently
 * failed go first), blocked clients in another of at most `maxClients`, from
 * which only the block that ends soonest is dropped to make room. So
 * failures from any number of other addresses never free a blocked client;
 * only `maxClients` other clients blocked after it could.
 */
export class FailureLimiter {
  private readonly counting = new Map<string, { since: number; count: number }>();
  /** Blocked clients and when their block ends, in that order (every block lasts one window). */
  private readonly blocked = new Map<string, number>();

  constructor(
    private readonly max = 20,
    private readonly windowMs = 60_000,
    private readonly maxClients = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds until `client` (an address) may try again, or 0. */
  retryAfter(client: string): number {
    const key = clientKey(client);
    const until = this.blocked.get(key);
    if (until === undefined) return 0;
    const left = until - this.now();
    if (left <= 0) {
      this.blocked.delete(key);
      return 0;
    }
    return Math.ceil(left / 1000);
  }

  fail(client: string): void {
    const key = clientKey(client);
    const t = this.now();
    if (this.blocked.has(key)) return;
    let e = this.counting.get(key);
    this.counting.delete(key);
    if (!e || t - e.since >= this.windowMs) e = { since: t, count: 0 };
    e.count++;
    if (e.count >= this.max) {
      if (this.blocked.size >= this.maxClients) this.blocked.delete(this.blocked.keys().next().value!);
      this.blocked.set(key, e.since + this.windowMs);
      return;
    }
    if (this.counting.size >= this.maxClients) this.counting.delete(this.counting.keys().next().value!);
    this.counting.set(key, e);
  }

  /** Clients tracked: counting failures, and blocked. */
  get size(): { counting: number; blocked: number } {
    return { counting: this.counting.size, blocked: this.blocked.size };
  }
}

/** The answer to a token that is wrong or lacks the right: one text, so neither tells which. */
export const INVALID_TOKEN = 'the API token is not valid for this path';

/**
 * The principal of a request to an authenticated path, or an {@link ApiError}
 * (429 while the client is blocked, 401 otherwise). `admin` asks for an admin
 * token: any other token then gets exactly the answer a wrong token gets, and
 * counts as a failure like one.
 */
export function authenticate(
  tokens: TokenSet,
  failures: FailureLimiter,
  ip: string,
  authorization: string | undefined,
  need: 'any' | 'admin' = 'any',
): Principal {
  if (tokens.open) return LOCAL_ADMIN;
  const wait = failures.retryAfter(ip);
  if (wait > 0)
    throw new ApiError('too_many_failures', `too many invalid tokens from ${ip}: try again in ${wait} s`);
  const token = bearer(authorization);
  const found = token === undefined ? undefined : tokens.match(token);
  if (found && (need === 'any' || found.admin)) return found;
  // A request without any token is a page load, not a guess.
  if (token !== undefined) failures.fail(ip);
  throw new ApiError(
    'unauthorized',
    token === undefined ? 'an API token is required: send Authorization: Bearer <token>' : INVALID_TOKEN,
  );
}
