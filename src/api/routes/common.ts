/** @module Filters several routes share: organisation, address or network, and the light report row. */

import { type AddrWords, type Cidr, cidrContains, parseAddress } from '../../flow/address.js';
import type { ReportRow } from '../data.js';
import { ApiError, badRequest } from '../params.js';
import type { OrgDirectory, Scope } from '../scope.js';

/**
 * Checks an `org` filter: it must name an organisation of the directory, and
 * one of the principal's when scoped.
 */
export function checkOrg(org: string | undefined, scope: Scope, dir: OrgDirectory): string | undefined {
  if (org === undefined) return undefined;
  if (dir.cidrsOf(org) === undefined)
    throw badRequest(`query.org: no organisation ${JSON.stringify(org)} in the directory`);
  if (!scope.seesOrg(org))
    throw new ApiError('forbidden', `organisation ${JSON.stringify(org)} is outside this token's scope`);
  return org;
}

/** A predicate on addresses for an `ip` filter that may be one address or a network. */
export function addressFilter(c: Cidr | undefined): ((ip: string) => boolean) | undefined {
  if (!c) return undefined;
  if (c.bits === 128) {
    const one = c.first;
    const same = (w: AddrWords | undefined) => !!w && w.every((x, i) => x === one[i]);
    const cache = new Map<string, boolean>();
    return (ip) => {
      let v = cache.get(ip);
      if (v === undefined) {
        v = same(parseAddress(ip));
        cache.set(ip, v);
      }
      return v;
    };
  }
  const cache = new Map<string, boolean>();
  return (ip) => {
    let v = cache.get(ip);
    if (v === undefined) {
      const w = parseAddress(ip);
      v = !!w && cidrContains(c, w);
      cache.set(ip, v);
    }
    return v;
  };
}

/** The value of `key`, made and kept on first use. */
export function getOrSet<K, V>(m: Map<K, V>, key: K, make: () => V): V {
  let v = m.get(key);
  if (v === undefined) {
    v = make();
    m.set(key, v);
  }
  return v;
}

/** A report row as the API shows it (without the fields kept for the catalog). */
export function publicRow(r: ReportRow): Omit<ReportRow, 'proto' | 'ppo'> {
  const { proto: _p, ppo: _o, ...rest } = r;
  return rest;
}

/** Sorts addresses numerically (IPv4 before IPv6) by a precomputed key. */
export function addressKey(ip: string): string {
  const w = parseAddress(ip);
  if (!w) return ip;
  return w.map((x) => x.toString(16).padStart(8, '0')).join('');
}

export function compareBy<T>(
  key: (x: T) => number | string,
  desc: boolean,
  tie?: (a: T, b: T) => number,
): (a: T, b: T) => number {
  const s = desc ? -1 : 1;
  return (a, b) => {
    const ka = key(a);
    const kb = key(b);
    if (ka < kb) return -s;
    if (ka > kb) return s;
    return tie ? tie(a, b) : 0;
  };
}
