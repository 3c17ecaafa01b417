/**
 * @module IPv4 and IPv6 addresses as 128-bit values.
 *
 * An address is four 32-bit words, most significant first. IPv4 addresses are
 * held IPv4-mapped (`::ffff:a.b.c.d`, RFC 4291 §2.5.5.2) so that one column
 * carries both families, and always print as a dotted quad. IPv6 addresses
 * print in RFC 5952 form.
 */

export type AddrWords = readonly [number, number, number, number];

const V4_MAPPED_W2 = 0xffff;

export function isV4Mapped(w0: number, w1: number, w2: number): boolean {
  return w0 === 0 && w1 === 0 && w2 === V4_MAPPED_W2;
}

/** Parses a dotted quad into a 32-bit number, or returns undefined. */
export function parseIPv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    v = v * 256 + n;
  }
  return v >>> 0;
}

export function formatIPv4(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/** Parses an IPv4 or IPv6 address (RFC 4291 text forms, embedded IPv4 allowed). */
export function parseAddress(text: string): AddrWords | undefined {
  const t = text.trim();
  if (t.includes(':')) return parseIPv6(t);
  const v4 = parseIPv4(t);
  return v4 === undefined ? undefined : [0, 0, V4_MAPPED_W2, v4];
}

function parseIPv6(text: string): AddrWords | undefined {
  let t = text;
  const zone = t.indexOf('%');
  if (zone >= 0) t = t.slice(0, zone);
  if (t.startsWith('[') && t.endsWith(']')) t = t.slice(1, -1);
  const groups: number[] = [];
  const dbl = t.indexOf('::');
  if (dbl !== t.lastIndexOf('::')) return undefined;
  const parseSide = (s: string, allowV4Tail: boolean): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    const parts = s.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (allowV4Tail && i === parts.length - 1 && p.includes('.')) {
        const v4 = parseIPv4(p);
        if (v4 === undefined) return undefined;
        out.push(v4 >>> 16, v4 & 0xffff);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined;
        out.push(Number.parseInt(p, 16));
      }
    }
    return out;
  };
  if (dbl >= 0) {
    const head = parseSide(t.slice(0, dbl), false);
    const tail = parseSide(t.slice(dbl + 2), true);
    if (!head || !tail) return undefined;
    const fill = 8 - head.length - tail.length;
    if (fill < 1) return undefined;
    groups.push(...head, ...new Array<number>(fill).fill(0), ...tail);
  } else {
    const all = parseSide(t, true);
    if (all?.length !== 8) return undefined;
    groups.push(...all);
  }
  if (groups.length !== 8) return undefined;
  const g = groups;
  return [
    ((g[0]! << 16) | g[1]!) >>> 0,
    ((g[2]! << 16) | g[3]!) >>> 0,
    ((g[4]! << 16) | g[5]!) >>> 0,
    ((g[6]! << 16) | g[7]!) >>> 0,
  ];
}

/** Formats four words: a dotted quad for IPv4-mapped addresses, RFC 5952 otherwise. */
export function formatWords(w0: number, w1: number, w2: number, w3: number): string {
  if (isV4Mapped(w0, w1, w2)) return formatIPv4(w3);
  const g = [w0 >>> 16, w0 & 0xffff, w1 >>> 16, w1 & 0xffff, w2 >>> 16, w2 & 0xffff, w3 >>> 16, w3 & 0xffff];
  // RFC 5952 §4.2: compress the longest run of two or more zero groups, the first on a tie.
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: number[]) => a.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(g);
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLen))}`;
}

export function formatAddress(w: AddrWords): string {
  return formatWords(w[0], w[1], w[2], w[3]);
}

/** The two unsigned 64-bit halves under which an address is stored. */
export function wordsToHiLo(w: AddrWords): [bigint, bigint] {
  return [(BigInt(w[0]) << 32n) | BigInt(w[1]), (BigInt(w[2]) << 32n) | BigInt(w[3])];
}

export function hiLoToWords(hi: bigint, lo: bigint): AddrWords {
  return [Number(hi >> 32n), Number(hi & 0xffffffffn), Number(lo >> 32n), Number(lo & 0xffffffffn)];
}

export function formatHiLo(hi: bigint | number, lo: bigint | number): string {
  const w = hiLoToWords(BigInt(hi), BigInt(lo));
  return formatWords(w[0], w[1], w[2], w[3]);
}

export function normalizeAddress(text: string): string | undefined {
  const w = parseAddress(text);
  return w ? formatAddress(w) : undefined;
}

/** A network prefix as an inclusive 128-bit range. */
export interface Cidr {
  readonly text: string;
  readonly first: AddrWords;
  readonly last: AddrWords;
  /** Prefix length in the 128-bit space (an IPv4 /24 is /120 here). */
  readonly bits: number;
}

/**
 * Parses `a.b.c.d/n`, `x::/n` or a bare address (a host prefix). Host bits
 * beyond the prefix are ignored, as routers and nfdump do.
 */
export function parseCidr(text: string): Cidr | undefined {
  const t = text.trim();
  const slash = t.indexOf('/');
  const addrText = slash >= 0 ? t.slice(0, slash) : t;
  const w = parseAddress(addrText);
  if (!w) return undefined;
  const v4 = !addrText.includes(':');
  const maxBits = v4 ? 32 : 128;
  let len = maxBits;
  if (slash >= 0) {
    const p = t.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p)) return undefined;
    len = Number(p);
    if (len > maxBits) return undefined;
  }
  const bits = v4 ? len + 96 : len;
  const first: number[] = [];
  const last: number[] = [];
  for (let i = 0; i < 4; i++) {
    const keep = Math.max(0, Math.min(32, bits - i * 32));
    const mask = keep === 0 ? 0 : keep === 32 ? 0xffffffff : (0xffffffff << (32 - keep)) >>> 0;
    first.push((w[i]! & mask) >>> 0);
    last.push((w[i]! | ~mask) >>> 0);
  }
  return {
    text: `${formatAddress(first as unknown as AddrWords)}/${len}`,
    first: first as unknown as AddrWords,
    last: last as unknown as AddrWords,
    bits,
  };
}

export function cidrContains(c: Cidr, w: AddrWords): boolean {
  for (let i = 0; i < 4; i++) {
    const x = w[i]!;
    if (x < c.first[i]! || x > c.last[i]!) return false;
    if (c.first[i] !== c.last[i]) return true;
  }
  return true;
}
