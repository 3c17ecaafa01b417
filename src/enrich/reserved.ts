/**
 * @module Addresses that have no place on a map: private, shared (CGNAT),
 * loopback, link-local, documentation, benchmarking, multicast and other
 * reserved ranges, IPv4 and IPv6, from IANA's special-purpose address
 * registries (RFC 6890 and successors).
 *
 * Geo databases built from registry delegations give such ranges the
 * country of whoever registered the surrounding block (the packaged country
 * database says 192.168.1.1 is in AU and 2001:db8::1 in JP); a report that
 * names a country for an address in them is wrong. {@link reservedRange}
 * says whether an address is in one, and geo lookups (`geo.ts`) give such
 * an address no location at all. IPv4-mapped IPv6 addresses
 * (`::ffff:a.b.c.d`) are judged by their IPv4 address.
 */

import { type Cidr, cidrContains, parseAddress, parseCidr } from '../flow/address.js';

export type ReservedKind =
  | 'this-network'
  | 'private'
  | 'cgnat'
  | 'loopback'
  | 'link-local'
  | 'documentation'
  | 'benchmarking'
  | 'multicast'
  | 'reserved';

export interface ReservedRange {
  readonly cidr: Cidr;
  readonly kind: ReservedKind;
  /** What the registry calls it, with the RFC. */
  readonly name: string;
}

/** The one table: prefix, kind, registry name. */
const TABLE: readonly [string, ReservedKind, string][] = [
  ['0.0.0.0/8', 'this-network', '"this network" (RFC 791)'],
  ['10.0.0.0/8', 'private', 'private use (RFC 1918)'],
  ['100.64.0.0/10', 'cgnat', 'shared address space, carrier-grade NAT (RFC 6598)'],
  ['127.0.0.0/8', 'loopback', 'loopback (RFC 1122)'],
  ['169.254.0.0/16', 'link-local', 'link local (RFC 3927)'],
  ['172.16.0.0/12', 'private', 'private use (RFC 1918)'],
  ['192.0.0.0/24', 'reserved', 'IETF protocol assignments (RFC 6890)'],
  ['192.0.2.0/24', 'documentation', 'TEST-NET-1 (RFC 5737)'],
  ['192.88.99.0/24', 'reserved', 'deprecated 6to4 relay anycast (RFC 7526)'],
  ['192.168.0.0/16', 'private', 'private use (RFC 1918)'],
  ['198.18.0.0/15', 'benchmarking', 'benchmarking (RFC 2544)'],
  ['198.51.100.0/24', 'documentation', 'TEST-NET-2 (RFC 5737)'],
  ['203.0.113.0/24', 'documentation', 'TEST-NET-3 (RFC 5737)'],
  ['224.0.0.0/4', 'multicast', 'multicast (RFC 5771)'],
  ['240.0.0.0/4', 'reserved', 'reserved, and the limited broadcast 255.255.255.255 (RFC 1112, RFC 919)'],
  ['::/128', 'this-network', 'unspecified address (RFC 4291)'],
  ['::1/128', 'loopback', 'loopback (RFC 4291)'],
  ['64:ff9b:1::/48', 'private', 'local-use IPv4/IPv6 translation (RFC 8215)'],
  ['100::/64', 'reserved', 'discard-only (RFC 6666)'],
  ['2001::/23', 'reserved', 'IETF protocol assignments (RFC 2928)'],
  ['2001:db8::/32', 'documentation', 'documentation (RFC 3849)'],
  ['3fff::/20', 'documentation', 'documentation (RFC 9637)'],
  ['fc00::/7', 'private', 'unique local (RFC 4193)'],
  ['fe80::/10', 'link-local', 'link-local unicast (RFC 4291)'],
  ['fec0::/10', 'reserved', 'deprecated site-local (RFC 3879)'],
  ['ff00::/8', 'multicast', 'multicast (RFC 4291)'],
];

export const RESERVED_RANGES: readonly ReservedRange[] = TABLE.map(([text, kind, name]) => ({
  cidr: parseCidr(text)!,
  kind,
  name,
}));

/** The special-purpose range holding `ip` (the most specific one), or undefined for a routable address. */
export function reservedRange(ip: string): ReservedRange | undefined {
  const w = parseAddress(ip);
  if (!w) return undefined;
  let best: ReservedRange | undefined;
  for (const r of RESERVED_RANGES)
    if (cidrContains(r.cidr, w) && (!best || r.cidr.bits > best.cidr.bits)) best = r;
  return best;
}
