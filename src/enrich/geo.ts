/**
 * @module Country, city and AS number from MaxMind DB (`.mmdb`) files, read
 * with the `maxmind` package.
 *
 * Any MaxMind-format database works: GeoIP2/GeoLite2 City, Country, ASN and
 * ISP, and the flat `country_code`/`city` records of the ip-location-db
 * files. A database is checked whole when it is opened — every node of its
 * search tree and every data record it points to — so a truncated or
 * corrupt file is refused at start-up with its name, rather than failing on
 * the one address that happens to hit the bad record during an attack. A
 * lookup never throws: an address it cannot answer has no geo data.
 *
 * {@link Geo}, the lookup the rest of flowhunt uses, gives no location to
 * private, CGNAT, loopback, link-local, documentation, multicast and other
 * reserved addresses (`reserved.ts`), whatever a database says of them.
 */

import { readFile } from 'node:fs/promises';
import type { Reader, Response } from 'maxmind';
import { FlowhuntError } from '../errors.js';
import { reservedRange } from './reserved.js';

export interface GeoInfo {
  /** ISO 3166-1 alpha-2 country code. */
  country?: string;
  /** City name in English. */
  city?: string;
  asn?: number;
  asOrg?: string;
}

export class GeoError extends FlowhuntError {
  override name = 'GeoError';

  constructor(message: string) {
    super('bad_geo_database', message);
  }
}

const METADATA_MARKER = Buffer.from('abcdef4d61784d696e642e636f6d', 'hex');

type Rec = Record<string, unknown>;

const obj = (x: unknown): Rec | undefined =>
  typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as Rec) : undefined;
const str = (x: unknown): string | undefined => (typeof x === 'string' && x !== '' ? x : undefined);

/** The fields we use, from GeoIP2-style nested records or flat ip-location-db ones. */
export function geoFields(rec: unknown): GeoInfo {
  const r = obj(rec);
  if (!r) return {};
  const city = obj(r['city']);
  const country =
    str(obj(r['country'])?.['iso_code']) ??
    str(obj(r['registered_country'])?.['iso_code']) ??
    str(r['country_code']);
  const cityName = str(obj(city?.['names'])?.['en']) ?? str(r['city']);
  const asn = r['autonomous_system_number'];
  const asOrg = str(r['autonomous_system_organization']);
  return {
    ...(country ? { country } : {}),
    ...(cityName ? { city: cityName } : {}),
    ...(typeof asn === 'number' ? { asn } : {}),
    ...(asOrg ? { asOrg } : {}),
  };
}

export class GeoDatabase {
  private constructor(
    readonly file: string,
    private readonly reader: Reader<Response>,
  ) {}

  get databaseType(): string {
    return this.reader.metadata.databaseType;
  }

  get buildDate(): Date {
    return this.reader.metadata.buildEpoch;
  }

  /** Opens and checks a database; a missing, non-MaxMind or corrupt file is a `GeoError`. */
  static async open(file: string, opts: { verify?: boolean } = {}): Promise<GeoDatabase> {
    let buf: Buffer;
    try {
      buf = await readFile(file);
    } catch (e) {
      throw new GeoError(
        `cannot read geo database ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
    if (buf[0] === 0x1f && buf[1] === 0x8b)
      throw new GeoError(`geo database ${file} is gzip-compressed: gunzip it first`);
    // The metadata section opens with this marker (MaxMind DB spec); without it the file is something else.
    if (buf.lastIndexOf(METADATA_MARKER) < 0)
      throw new GeoError(`${file} is not a MaxMind DB file (no metadata section)`);
    // maxmind is loaded with the first database, not by every command that reads the config.
    const { Reader } = await import('maxmind');
    let reader: Reader<Response>;
    try {
      reader = new Reader<Response>(buf, { cache: boundedCache(10_000) });
    } catch (e) {
      throw new GeoError(`${file} is not a MaxMind DB file: ${(e as Error).message}`);
    }
    if (opts.verify !== false) verifyTree(reader, buf, file);
    return new GeoDatabase(file, reader);
  }

  /** Never throws: an unknown or malformed address, or a bad record, gives `{}`. */
  lookup(ip: string): GeoInfo {
    try {
      return geoFields(this.reader.get(ip));
    } catch {
      return {};
    }
  }
}

/**
 * Walks the whole search tree (MaxMind DB spec §"Search Tree Section") and
 * decodes each distinct data record once, through an address whose path
 * leads to it. Aliased subtrees (IPv4 under `::ffff:0:0/96` in IPv6 trees)
 * are visited once.
 */
function verifyTree(reader: Reader<Response>, buf: Buffer, file: string): void {
  const { nodeCount, recordSize, nodeByteSize, ipVersion } = reader.metadata;
  const bits = ipVersion === 4 ? 32 : 128;
  if (nodeCount * nodeByteSize > buf.length)
    throw new GeoError(`${file} is truncated: its search tree needs ${nodeCount * nodeByteSize} bytes`);
  const record = (node: number, right: boolean): number => {
    const off = node * nodeByteSize;
    switch (recordSize) {
      case 24:
        return buf.readUIntBE(off + (right ? 3 : 0), 3);
      case 28: {
        const mid = buf[off + 3]!;
        return right
          ? (mid & 0x0f) * 0x1000000 + buf.readUIntBE(off + 4, 3)
          : (mid >>> 4) * 0x1000000 + buf.readUIntBE(off, 3);
      }
      case 32:
        return buf.readUInt32BE(off + (right ? 4 : 0));
      default:
        throw new GeoError(`${file}: unsupported record size ${recordSize}`);
    }
  };
  const visited = new Uint8Array(nodeCount);
  const seen = new Set<number>();
  // Each stack entry: node, depth, and the address path so far as four 32-bit words.
  const stack: number[] = [0, 0, 0, 0, 0, 0];
  while (stack.length > 0) {
    const w3 = stack.pop()!;
    const w2 = stack.pop()!;
    const w1 = stack.pop()!;
    const w0 = stack.pop()!;
    const depth = stack.pop()!;
    const node = stack.pop()!;
    if (visited[node]) continue;
    visited[node] = 1;
    if (depth >= bits) throw new GeoError(`${file}: corrupt search tree (deeper than ${bits} bits)`);
    for (const right of [false, true]) {
      const v = record(node, right);
      const w = [w0, w1, w2, w3];
      if (right) {
        const bit = ipVersion === 4 ? depth + 96 : depth;
        const i = bit >>> 5;
        w[i] = (w[i]! | (1 << (31 - (bit & 31)))) >>> 0;
      }
      if (v < nodeCount) {
        stack.push(v, depth + 1, w[0]!, w[1]!, w[2]!, w[3]!);
      } else if (v > nodeCount && !seen.has(v)) {
        seen.add(v);
        const ip = ipVersion === 4 ? w.slice(3).map(dotted).join('') : hexGroups(w);
        try {
          reader.get(ip);
        } catch (e) {
          throw new GeoError(
            `${file} is corrupt: the record for ${ip}/${depth + 1} cannot be read (${(e as Error).message})`,
          );
        }
      }
    }
  }
}

/** Decoded records by offset; cleared when full (the hot set refills within a window). */
function boundedCache(max: number): {
  get(k: string | number): unknown;
  set(k: string | number, v: unknown): void;
} {
  const m = new Map<string | number, unknown>();
  return {
    get: (k) => m.get(k),
    set: (k, v) => {
      if (m.size >= max) m.clear();
      m.set(k, v);
    },
  };
}

const dotted = (v: number): string => `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
const hexGroups = (w: number[]): string =>
  w.map((x) => `${(x >>> 16).toString(16)}:${(x & 0xffff).toString(16)}`).join(':');

/**
 * Several databases consulted in order; the first to know a field gives it.
 * An address in a reserved range (`reserved.ts`) has no geo data.
 */
export class Geo {
  constructor(readonly databases: readonly GeoDatabase[]) {}

  lookup(ip: string): GeoInfo {
    if (reservedRange(ip)) return {};
    let out: GeoInfo = {};
    for (const db of this.databases) out = { ...db.lookup(ip), ...out };
    return out;
  }
}

/**
 * Where an address is, in the paper's form for lists of hosts:
 * `(@Hanoi[VN])`, `([VN])` with a country only, `(@Hanoi)` with a city only,
 * and '' when nothing is known. Written right after the address:
 * `1.2.3.4(@Hanoi[VN])`.
 */
export function placeTag(g: GeoInfo): string {
  if (!g.city && !g.country) return '';
  return `(${g.city ? `@${g.city}` : ''}${g.country ? `[${g.country}]` : ''})`;
}
