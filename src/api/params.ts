/**
 * @module Request parameters: one Zod schema per kind of value, each with a
 * message a person can act on. Every filter value is checked here (an
 * address parses as an address, a type is one of the detector's types, a
 * number is digits), so nothing unvalidated reaches a filter or a query, and
 * an unknown parameter is refused rather than silently ignored (a typo in a
 * filter must not return everything).
 */

import { z } from 'zod';
import { FlowhuntError } from '../errors.js';
import { normalizeAddress, parseCidr } from '../flow/address.js';
import { parseSignature, SIGNATURE_FORMS, type SignatureKey } from '../hunt/signature.js';

/** An error answered as JSON `{ error, message }` with its HTTP status from the registry (src/errors.ts). */
export class ApiError extends FlowhuntError {
  override name = 'ApiError';

  get status(): number {
    return this.spec.http;
  }
}

export const badRequest = (message: string) => new ApiError('bad_request', message);

/** A string parameter turned into a value by `parse`, or refused with `message`. */
function parsed<T>(parse: (s: string) => T | undefined, message: (s: string) => string, doc: string) {
  return z
    .string()
    .transform((s, ctx) => {
      const v = s.length <= 200 ? parse(s) : undefined;
      if (v === undefined) {
        ctx.issues.push({
          code: 'custom',
          message: message(s.length > 60 ? `${s.slice(0, 60)}…` : s),
          input: s,
        });
        return z.NEVER;
      }
      return v;
    })
    .describe(doc);
}

/**
 * ISO 8601 (`2026-11-20`, `2026-11-20T13:05`, `2026-11-20T13:05:00Z`, with an
 * offset) or milliseconds since the epoch. A time without a zone is UTC.
 */
export function parseTimeParam(text: string): number | undefined {
  const t = text.trim();
  if (/^\d{10,15}$/.test(t)) return Number(t);
  const m = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?))?(Z|[+-]\d{2}:?\d{2})?$/.exec(
    t,
  );
  if (!m) return undefined;
  const iso = `${m[1]}T${m[2] ?? '00:00'}${m[2] && m[2].length === 5 ? ':00' : ''}${m[3] ?? 'Z'}`;
  const v = Date.parse(iso);
  return Number.isNaN(v) ? undefined : v;
}

export const time = parsed(
  parseTimeParam,
  (s) => `${JSON.stringify(s)} is not a time (ISO 8601 like 2026-11-20 or 2026-11-20T13:05:00Z, or epoch ms)`,
  'ISO 8601 time or epoch milliseconds',
);

export const day = parsed(
  (s) => (/^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) ? s : undefined),
  (s) => `${JSON.stringify(s)} is not a day (YYYY-MM-DD)`,
  'a day, YYYY-MM-DD (UTC)',
);

export const ip = parsed(
  normalizeAddress,
  (s) => `${JSON.stringify(s)} is not an IP address`,
  'an IPv4 or IPv6 address',
);

export const cidr = parsed(
  parseCidr,
  (s) => `${JSON.stringify(s)} is not an address or a network (a.b.c.d/n, x::/n)`,
  'an address or a network in CIDR form',
);

export const signature = parsed(
  (s): SignatureKey | undefined => parseSignature(s),
  (s) => `${JSON.stringify(s)} is not a signature: ${SIGNATURE_FORMS}`,
  `a signature: ${SIGNATURE_FORMS}`,
);

export const organisation = z
  .string()
  .min(1, 'an organisation name is not empty')
  .max(200, 'an organisation name is at most 200 characters')
  .describe('an organisation name from the directory');

/** A whole number in [min, max]. */
export function intIn(min: number, max: number, what: string) {
  return parsed(
    (s) => (/^\d{1,10}$/.test(s) && Number(s) >= min && Number(s) <= max ? Number(s) : undefined),
    (s) => `${what} must be a whole number from ${min} to ${max}, not ${JSON.stringify(s)}`,
    `a whole number, ${min}..${max}`,
  );
}

export const port = intIn(0, 65535, 'port');
export const MAX_LIMIT = 1000;

/** `offset` and `limit` of a paged list. */
export const page = {
  offset: intIn(0, 1_000_000_000, 'offset').optional(),
  limit: intIn(1, MAX_LIMIT, 'limit').optional(),
};

export const order = z.enum(['asc', 'desc'], { error: 'order must be asc or desc' }).optional();

export function sortOf<const K extends readonly [string, ...string[]]>(keys: K) {
  return z.enum(keys, { error: `sort must be one of ${keys.join(', ')}` }).optional();
}

export function enumOf<const K extends readonly [string, ...string[]]>(keys: K, what: string) {
  return z.enum(keys, { error: `${what} must be one of ${keys.join(', ')}` });
}

/** The first issue of a failed parse as one line: `query.ip: "x" is not an IP address`. */
export function issueMessage(where: string, e: z.ZodError, input: Record<string, unknown> = {}): string {
  const i = e.issues[0]!;
  if (i.code === 'unrecognized_keys')
    return `unknown ${where} parameter${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => JSON.stringify(k)).join(', ')}`;
  const path = i.path.map(String).join('.');
  if (i.code === 'invalid_type' && i.path.length === 1 && input[path] === undefined)
    return `${where}.${path} is required`;
  return `${where}${path ? `.${path}` : ''}: ${i.message}`;
}

export interface Paged<T> {
  total: number;
  offset: number;
  limit: number;
  items: T[];
}

export function paginate<T>(rows: readonly T[], q: { offset?: number; limit?: number }, dflt = 50): Paged<T> {
  const offset = q.offset ?? 0;
  const limit = q.limit ?? dflt;
  return { total: rows.length, offset, limit, items: rows.slice(offset, offset + limit) };
}

/** `[from, to)` from optional times; `to` must be after `from`. */
export function timeRange(q: { from?: number; to?: number }): { from?: number; to?: number } {
  if (q.from !== undefined && q.to !== undefined && q.to <= q.from)
    throw badRequest('query.to must be after query.from');
  return { ...(q.from !== undefined ? { from: q.from } : {}), ...(q.to !== undefined ? { to: q.to } : {}) };
}
