/**
 * @module The simulated network: the monitored ("campus") address space,
 * the border routers that export flows, their interfaces, and how outside
 * prefixes are routed through them.
 *
 * Only traffic that crosses the border is seen, as on a real backbone edge:
 * every flow has exactly one campus end and one outside end. Each flow is
 * metered once, at its ingress interface: inbound flows on an uplink,
 * outbound flows on a campus-facing downlink.
 *
 * Addresses are chosen so they can never be confused with real hosts:
 * the campus is 198.18.0.0/15 (RFC 2544 benchmarking space, two /16s) and
 * 2001:db8:100::/40 (RFC 3849 documentation space); the routers are in
 * 192.0.2.0/24 (RFC 5737); the campus AS is 64500 (RFC 5398).
 */

import type { AddrWords } from '../flow/address.js';
import { fmix32, hash3 } from './rng.js';

/** An IPv4 address as a u32, or an IPv6 address as four words. */
export type Addr = number | AddrWords;

export const CAMPUS_V4 = [0xc6120000, 0xc6130000] as const; // 198.18.0.0/16, 198.19.0.0/16
export const CAMPUS_V4_SIZE = 1 << 17;
/** 2001:db8:100::/40: the first word is 2001:0db8, the top byte of the second 0x01. */
export const CAMPUS_V6_W0 = 0x20010db8;
export const CAMPUS_V6_W1_TOP = 0x01;
export const CAMPUS_AS = 64500;

export interface Uplink {
  name: string;
  exporter: number;
  ifIndex: number;
  /** Share of outside prefixes routed in through it. */
  weight: number;
}

export interface Exporter {
  name: string;
  /** IPv4 address (u32). */
  address: number;
  /** NetFlow v9 source id / IPFIX observation domain id. */
  domain: number;
  /** Campus-facing interfaces, one per campus /16 (the first also carries IPv6). */
  downlinks: readonly number[];
}

/**
 * Interface indexes are unique across the two routers so that a collector
 * that keys interfaces by (exporter, ifIndex) and one that sees only the
 * ifIndex (all exports arriving from one UDP source) agree.
 */
export const EXPORTERS: readonly Exporter[] = [
  { name: 'border-1', address: 0xc0000201, domain: 1, downlinks: [21, 22] },
  { name: 'border-2', address: 0xc0000202, domain: 2, downlinks: [41, 42] },
];

export const UPLINKS: readonly Uplink[] = [
  { name: 'transit-a', exporter: 0, ifIndex: 11, weight: 0.38 },
  { name: 'ix-peering', exporter: 0, ifIndex: 12, weight: 0.24 },
  { name: 'transit-b', exporter: 0, ifIndex: 13, weight: 0.13 },
  { name: 'transit-c', exporter: 1, ifIndex: 31, weight: 0.15 },
  { name: 'research-net', exporter: 1, ifIndex: 32, weight: 0.1 },
];

const UPLINK_CUM: number[] = (() => {
  let s = 0;
  return UPLINKS.map((u) => {
    s += u.weight;
    return s;
  });
})();

export function isCampus(a: Addr): boolean {
  if (typeof a === 'number') return a >>> 17 === CAMPUS_V4[0] >>> 17;
  return a[0] === CAMPUS_V6_W0 && a[1] >>> 24 === CAMPUS_V6_W1_TOP;
}

/** The outside prefix an address is routed by: a /16 for IPv4, a /32 for IPv6. */
function prefixKey(a: Addr): number {
  return typeof a === 'number' ? a >>> 16 : fmix32(a[0] ^ 0x5bd1e995);
}

/** The uplink an outside address's prefix is routed through (stable per prefix, like BGP). */
export function uplinkFor(a: Addr): number {
  const u = (hash3(prefixKey(a), 7, 11) >>> 8) / 16777216;
  for (let i = 0; i < UPLINK_CUM.length; i++) if (u < UPLINK_CUM[i]!) return i;
  return UPLINKS.length - 1;
}

/** An origin AS for an outside address (stable per prefix). */
export function asFor(a: Addr): number {
  return 1000 + (hash3(prefixKey(a), 3, 5) % 60000);
}

/** Which campus /16 (0 or 1) an inside address is in; IPv6 rides with the first. */
export function campusHalf(a: Addr): number {
  return typeof a === 'number' ? (a >>> 16) & 1 : 0;
}

/** Special-purpose IPv4 blocks (RFC 6890) and the campus, never drawn as outside hosts. */
const V4_EXCLUDED: readonly (readonly [number, number])[] = [
  [0x00000000, 8], // 0/8
  [0x0a000000, 8], // 10/8
  [0x64400000, 10], // 100.64/10
  [0x7f000000, 8], // 127/8
  [0xa9fe0000, 16], // 169.254/16
  [0xac100000, 12], // 172.16/12
  [0xc0000000, 24], // 192.0.0/24
  [0xc0000200, 24], // 192.0.2/24
  [0xc0a80000, 16], // 192.168/16
  [0xc6120000, 15], // 198.18/15: the campus
  [0xc6336400, 24], // 198.51.100/24
  [0xcb007100, 24], // 203.0.113/24
  [0xe0000000, 3], // 224/3 multicast and reserved
];

/** First octets that some excluded block starts in (a fast path for the rest). */
const V4_SUSPECT = (() => {
  const t = new Uint8Array(256);
  for (const [net, bits] of V4_EXCLUDED) {
    const first = net >>> 24;
    const count = bits >= 8 ? 1 : 1 << (8 - bits);
    for (let k = 0; k < count; k++) t[first + k] = 1;
  }
  return t;
})();

/** True for a routable public IPv4 address outside the campus. */
export function isOutsideV4(a: number): boolean {
  if (V4_SUSPECT[a >>> 24] === 0) return true;
  for (const [net, bits] of V4_EXCLUDED) {
    if (a >>> (32 - bits) === net >>> (32 - bits)) return false;
  }
  return true;
}

/** Turns any 32-bit value into a public outside IPv4 address (by re-hashing until it is one). */
export function outsideV4(h: number): number {
  let a = h >>> 0;
  while (!isOutsideV4(a)) a = fmix32(a + 0x68e31da4);
  return a;
}

/** An outside IPv6 address in 2000::/3, outside 2001:db8::/32, from two hash values. */
export function outsideV6(h1: number, h2: number): AddrWords {
  let w0 = 0x20000000 | (h1 & 0x1fffffff);
  if (w0 >>> 16 === 0x2001) w0 = 0x2a000000 | (h1 & 0xffffff);
  return [w0 >>> 0, fmix32(h1 ^ 0x3c6ef372), 0x0000_0000 | (h2 & 0xffff), fmix32(h2)];
}

/** The n-th campus IPv4 address (n < {@link CAMPUS_V4_SIZE}). */
export function campusV4(n: number): number {
  return (CAMPUS_V4[0] + (n & (CAMPUS_V4_SIZE - 1))) >>> 0;
}

/** A campus IPv6 address: subnet (16 bits) and interface id (two words). */
export function campusV6(subnet: number, iidHi: number, iidLo: number): AddrWords {
  return [CAMPUS_V6_W0, ((CAMPUS_V6_W1_TOP << 24) | (subnet & 0xffff)) >>> 0, iidHi >>> 0, iidLo >>> 0];
}

/** A description of the network for the truth file and the README. */
export function describeNetwork() {
  const v4 = (a: number) => `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
  return {
    campus: ['198.18.0.0/16', '198.19.0.0/16', '2001:db8:100::/40'],
    campusAs: CAMPUS_AS,
    exporters: EXPORTERS.map((e, i) => ({
      name: e.name,
      address: v4(e.address),
      domain: e.domain,
      uplinks: UPLINKS.filter((u) => u.exporter === i).map((u) => ({
        name: u.name,
        ifIndex: u.ifIndex,
        share: u.weight,
      })),
      downlinks: e.downlinks.map((ifIndex, half) => ({
        ifIndex,
        serves: half === 0 ? ['198.18.0.0/16', '2001:db8:100::/40'] : ['198.19.0.0/16'],
      })),
    })),
    metering:
      'each flow is metered once at its ingress interface: inbound on an uplink, outbound on a campus downlink; sampling 1',
  };
}
