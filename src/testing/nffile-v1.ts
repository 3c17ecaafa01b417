/**
 * @module Writes nfdump 1.6 files (layout 1) for tests, from the layout
 * nfdump documents in its headers (nffile.h, nfx.h): nfdump 1.6 cannot run
 * here, but Debian's nfdump 1.7 still reads this layout, so a file made here
 * is checked against it before flowhunt's reader is.
 *
 * The file: a 140-byte header, the 136-byte statistics record, one block of
 * type 2 with an exporter record (type 7), three extension maps (type 2)
 * and one common record (type 10) a flow. IPv4 flows use map 0 (4-byte
 * interfaces and AS numbers, direction, IPv4 next hop, the MAC pair and
 * MPLS labels, which flowhunt steps over, and the router address); IPv6
 * flows map 1 (2-byte interfaces and AS numbers, direction, IPv6 next hop,
 * IPv6 router address); flows with `exporterIPAddress` 0.0.0.0 map 2, and
 * take their exporter from the exporter record. Counters over 32 bits are
 * written in 8 bytes, as 1.6 wrote them.
 *
 * Compression: the block as it is, LZ4 or LZO encoded as one literal run
 * (valid streams any decoder must read; nothing here compresses), or bzip2
 * by Debian's `bzip2`.
 */

import { execFileSync } from 'node:child_process';
import { parseAddress } from '../flow/address.js';
import type { FlowRecord } from '../flow/record.js';

export type V1Compression = 'none' | 'lz4' | 'lzo' | 'bz2';

/** The exporter record's address, for flows without a router address of their own. */
export const V1_EXPORTER = '192.0.2.77';

const MAPS: Record<number, number[]> = {
  0: [5, 7, 8, 9, 20, 21, 22, 23],
  1: [4, 6, 8, 10, 24],
  2: [5, 7],
};
const SIZES: Record<number, number> = {
  4: 4,
  5: 8,
  6: 4,
  7: 8,
  8: 4,
  9: 4,
  10: 16,
  20: 16,
  21: 16,
  22: 40,
  23: 4,
  24: 16,
};

class Out {
  private parts: Buffer[] = [];
  push(b: Buffer): void {
    this.parts.push(b);
  }
  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** An address as nfdump keeps it: IPv4 one host-order word, IPv6 two host-order 64-bit halves. */
function addr(text: string): { v6: boolean; bytes: Buffer } {
  const w = parseAddress(text);
  if (!w) throw new Error(`bad address ${text}`);
  const v4 = w[0] === 0 && w[1] === 0 && w[2] === 0xffff;
  if (v4) {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(w[3]);
    return { v6: false, bytes: b };
  }
  const b = Buffer.alloc(16);
  b.writeUInt32LE(w[1], 0);
  b.writeUInt32LE(w[0], 4);
  b.writeUInt32LE(w[3], 8);
  b.writeUInt32LE(w[2], 12);
  return { v6: true, bytes: b };
}

function counter(v: number): Buffer {
  const b = Buffer.alloc(v > 0xffffffff ? 8 : 4);
  if (b.length === 8) b.writeBigUInt64LE(BigInt(v));
  else b.writeUInt32LE(v);
  return b;
}

function record(type: number, body: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt16LE(type, 0);
  h.writeUInt16LE(4 + body.length, 2);
  return Buffer.concat([h, body]);
}

function extMap(id: number, ids: number[]): Buffer {
  const b = Buffer.alloc(4 + 2 * (ids.length + 1) + ((ids.length + 1) % 2 ? 2 : 0));
  b.writeUInt16LE(id, 0);
  b.writeUInt16LE(
    ids.reduce((a, x) => a + SIZES[x]!, 0),
    2,
  );
  ids.forEach((x, k) => {
    b.writeUInt16LE(x, 4 + 2 * k);
  });
  return record(2, b);
}

function common(f: FlowRecord): Buffer {
  const src = addr(f.sourceIPAddress);
  const dst = addr(f.destinationIPAddress);
  const map = f.exporterIPAddress === '0.0.0.0' ? 2 : src.v6 ? 1 : 0;
  const pk = counter(f.packetDeltaCount);
  const by = counter(f.octetDeltaCount);
  const fixed = Buffer.alloc(28);
  const flags =
    (src.v6 ? 1 : 0) | (pk.length === 8 ? 2 : 0) | (by.length === 8 ? 4 : 0) | (src.v6 ? 8 | 32 : 0);
  fixed.writeUInt16LE(flags, 0);
  fixed.writeUInt16LE(map, 2);
  fixed.writeUInt16LE(f.flowStartMilliseconds % 1000, 4);
  fixed.writeUInt16LE(f.flowEndMilliseconds % 1000, 6);
  fixed.writeUInt32LE(Math.floor(f.flowStartMilliseconds / 1000), 8);
  fixed.writeUInt32LE(Math.floor(f.flowEndMilliseconds / 1000), 12);
  fixed.writeUInt8(f.tcpControlBits, 17);
  fixed.writeUInt8(f.protocolIdentifier, 18);
  fixed.writeUInt8(f.ipClassOfService, 19);
  fixed.writeUInt16LE(f.sourceTransportPort, 20);
  fixed.writeUInt16LE(f.destinationTransportPort, 22);
  fixed.writeUInt16LE(1, 24); // exporter sysid
  const parts: Buffer[] = [fixed];
  if (src.v6) parts.push(src.bytes, dst.bytes);
  else parts.push(src.bytes, dst.bytes);
  parts.push(pk, by);
  for (const x of MAPS[map]!) {
    const e = Buffer.alloc(SIZES[x]!);
    switch (x) {
      case 4:
        e.writeUInt16LE(f.ingressInterface, 0);
        e.writeUInt16LE(f.egressInterface, 2);
        break;
      case 5:
        e.writeUInt32LE(f.ingressInterface, 0);
        e.writeUInt32LE(f.egressInterface, 4);
        break;
      case 6:
        e.writeUInt16LE(f.bgpSourceAsNumber, 0);
        e.writeUInt16LE(f.bgpDestinationAsNumber, 2);
        break;
      case 7:
        e.writeUInt32LE(f.bgpSourceAsNumber, 0);
        e.writeUInt32LE(f.bgpDestinationAsNumber, 4);
        break;
      case 8:
        e.writeUInt8(f.flowDirection, 1);
        e.writeUInt8(24, 2); // masks: read by nfdump, not by flowhunt
        e.writeUInt8(16, 3);
        break;
      case 9:
      case 10:
      case 23:
      case 24:
        addr(x === 23 || x === 24 ? f.exporterIPAddress : f.ipNextHopAddress).bytes.copy(e);
        break;
      default:
        e.fill(0xab); // MACs, MPLS: bytes to step over
    }
    parts.push(e);
  }
  return record(10, Buffer.concat(parts));
}

function exporterRecord(): Buffer {
  const b = Buffer.alloc(28);
  b.writeUInt32LE(5, 0); // NetFlow version
  b.writeUInt32LE(addr(V1_EXPORTER).bytes.readUInt32LE(0), 12); // ip_addr_t: IPv4 in its third word
  b.writeUInt16LE(2, 20); // AF_INET
  b.writeUInt16LE(1, 22); // sysid
  return record(7, b);
}

/** One literal run: a valid LZ4 block of `raw`. */
function lz4Literals(raw: Buffer): Buffer {
  const n = raw.length;
  const len: number[] = [];
  if (n >= 15) {
    let x = n - 15;
    while (x >= 255) {
      len.push(255);
      x -= 255;
    }
    len.push(x);
  }
  return Buffer.concat([Buffer.from([(Math.min(n, 15) << 4) & 0xff, ...len]), raw]);
}

/** One literal run and the end marker: a valid LZO1X stream of `raw` (at least 4 bytes). */
function lzoLiterals(raw: Buffer): Buffer {
  const n = raw.length;
  let head: number[];
  if (n <= 238) head = [17 + n];
  else {
    head = [0];
    let x = n - 18;
    while (x > 255) {
      head.push(0);
      x -= 255;
    }
    head.push(x);
  }
  return Buffer.concat([Buffer.from(head), raw, Buffer.from([0x11, 0, 0])]);
}

/** An nfdump 1.6 file of `flows` (one block). */
export function nffileV1(flows: readonly FlowRecord[], compression: V1Compression = 'none'): Buffer {
  const recs = [exporterRecord(), extMap(0, MAPS[0]!), extMap(1, MAPS[1]!), extMap(2, MAPS[2]!)];
  for (const f of flows) recs.push(common(f));
  const raw = Buffer.concat(recs);
  const body =
    compression === 'lz4'
      ? lz4Literals(raw)
      : compression === 'lzo'
        ? lzoLiterals(raw)
        : compression === 'bz2'
          ? execFileSync('bzip2', ['-c'], { input: raw })
          : raw;
  const out = new Out();
  const header = Buffer.alloc(140);
  header.writeUInt16LE(0xa50c, 0);
  header.writeUInt16LE(1, 2);
  header.writeUInt32LE({ none: 0, lzo: 0x1, bz2: 0x8, lz4: 0x10 }[compression], 4);
  header.writeUInt32LE(1, 8);
  header.write('flowhunt-test', 12, 'latin1');
  out.push(header);
  const stat = Buffer.alloc(136);
  const sum = (pick: (f: FlowRecord) => number, proto?: (p: number) => boolean) =>
    BigInt(flows.filter((f) => !proto || proto(f.protocolIdentifier)).reduce((a, f) => a + pick(f), 0));
  const kinds: ((p: number) => boolean)[] = [
    (p) => p === 6,
    (p) => p === 17,
    (p) => p === 1 || p === 58,
    (p) => ![6, 17, 1, 58].includes(p),
  ];
  const one = () => 1;
  const pk = (f: FlowRecord) => f.packetDeltaCount;
  const by = (f: FlowRecord) => f.octetDeltaCount;
  const u64s = [
    sum(one),
    sum(by),
    sum(pk),
    ...kinds.map((k) => sum(one, k)),
    ...kinds.map((k) => sum(by, k)),
    ...kinds.map((k) => sum(pk, k)),
  ];
  u64s.forEach((v, k) => {
    stat.writeBigUInt64LE(v, k * 8);
  });
  const first = Math.min(...flows.map((f) => f.flowStartMilliseconds));
  const last = Math.max(...flows.map((f) => f.flowEndMilliseconds));
  stat.writeUInt32LE(Math.floor(first / 1000), 120);
  stat.writeUInt32LE(Math.floor(last / 1000), 124);
  stat.writeUInt16LE(first % 1000, 128);
  stat.writeUInt16LE(last % 1000, 130);
  out.push(stat);
  const block = Buffer.alloc(12);
  block.writeUInt32LE(recs.length, 0);
  block.writeUInt32LE(body.length, 4);
  block.writeUInt16LE(2, 8);
  out.push(block);
  out.push(body);
  return out.done();
}
