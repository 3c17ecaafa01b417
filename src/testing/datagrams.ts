/**
 * @module Test tools for the decoders: write export payloads into a pcap
 * (so tshark can decode the same bytes), read the UDP payloads of a simple
 * pcap back, and run tshark. Used by tests and the benchmark only.
 */

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { type AddrWords, parseAddress } from '../flow/address.js';
import { ipFrame, pcapBytes } from './pcap.js';

const execFileP = promisify(execFile);

export interface PcapPacket {
  payload: Uint8Array;
  /** IPv4 or IPv6 text; both ends must be of one family (default 192.0.2.1 → 192.0.2.2). */
  src?: string;
  dst?: string;
  sport?: number;
  dport?: number;
  timeMs?: number;
}

/** Ethernet / IPv4-or-IPv6 / UDP packets in a classic (microsecond) pcap. */
export function writePcap(packets: readonly PcapPacket[]): Buffer {
  return pcapBytes(
    packets.map((p, k) => ({
      ms: p.timeMs ?? 1_700_000_000_000 + k * 1000,
      frame: ipFrame({
        src: p.src ?? '192.0.2.1',
        dst: p.dst ?? '192.0.2.2',
        sport: p.sport ?? 40000,
        dport: p.dport ?? 2055,
        proto: 17,
        payload: Buffer.from(p.payload.buffer, p.payload.byteOffset, p.payload.byteLength),
      }),
    })),
  );
}

export interface Payload {
  source: AddrWords;
  payload: Uint8Array;
  timeMs: number;
}

/** The UDP payloads of a little-endian microsecond pcap of Ethernet/IPv4 frames (as the fixtures are). */
export function readPcapPayloads(buf: Uint8Array): Payload[] {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.readUInt32LE(0) !== 0xa1b2c3d4 || b.readUInt32LE(20) !== 1) throw new Error('not an Ethernet pcap');
  const out: Payload[] = [];
  for (let p = 24; p + 16 <= b.length; ) {
    const len = b.readUInt32LE(p + 8);
    const f = p + 16;
    const ihl = (b[f + 14]! & 15) * 4;
    const udp = f + 14 + ihl;
    out.push({
      source: [0, 0, 0xffff, b.readUInt32BE(f + 26)],
      payload: new Uint8Array(b.subarray(udp + 8, udp + b.readUInt16BE(udp + 4))),
      timeMs: b.readUInt32LE(p) * 1000 + b.readUInt32LE(p + 4) / 1000,
    });
    p = f + len;
  }
  return out;
}

/** Runs `tshark -T json` on a file and returns the packets' layers. */
export async function tsharkJson(
  file: string,
  args: readonly string[] = [],
): Promise<Record<string, unknown>[]> {
  const { stdout } = await execFileP('tshark', ['-r', file, '-T', 'json', '--no-duplicate-keys', ...args], {
    maxBuffer: 256 * 1024 * 1024,
  });
  const pkts = JSON.parse(stdout) as { _source: { layers: Record<string, unknown> } }[];
  return pkts.map((p) => p._source.layers);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** tshark's absolute time text (`Oct  9, 2017 20:22:20.637000000 UTC`) as ms, fraction kept. */
export function tsharkTime(text: string): number {
  const m = /^(\w{3})\s+(\d+), (\d{4}) (\d\d):(\d\d):(\d\d)(?:\.(\d+))? UTC$/.exec(text.trim());
  if (!m) throw new Error(`not a tshark time: ${text}`);
  const whole = Date.UTC(
    Number(m[3]),
    MONTHS.indexOf(m[1]!),
    Number(m[2]),
    Number(m[4]),
    Number(m[5]),
    Number(m[6]),
  );
  return whole + Number(`0.${m[7] ?? '0'}`) * 1000;
}

/** Big-endian byte writer for building export datagrams in tests. */
export class Bytes {
  private readonly a: number[] = [];
  u8(v: number): this {
    this.a.push(v & 255);
    return this;
  }
  u16(v: number): this {
    return this.u8(v >>> 8).u8(v);
  }
  u32(v: number): this {
    return this.u16(Math.floor(v / 65536) & 0xffff).u16(v & 0xffff);
  }
  u64(v: number): this {
    return this.u32(Math.floor(v / 4294967296)).u32(v % 4294967296);
  }
  /** An IPv4 or IPv6 address (4 or 16 bytes). */
  addr(text: string): this {
    const w = parseAddress(text)!;
    if (!text.includes(':')) return this.u32(w[3]);
    for (const x of w) this.u32(x);
    return this;
  }
  raw(b: Iterable<number>): this {
    for (const x of b) this.u8(x);
    return this;
  }
  get length(): number {
    return this.a.length;
  }
  build(): Uint8Array {
    return Uint8Array.from(this.a);
  }
}

/** A field specifier: [element id, length] or [element id, length, enterprise number]. */
export type Spec = readonly [number, number] | readonly [number, number, number];

/** An IPFIX message (RFC 7011 §3.1) around the given sets. */
export function ipfixMessage(
  h: { exportSecs: number; seq?: number; domain?: number },
  sets: Uint8Array[],
): Uint8Array {
  const len = 16 + sets.reduce((n, s) => n + s.length, 0);
  const b = new Bytes()
    .u16(10)
    .u16(len)
    .u32(h.exportSecs)
    .u32(h.seq ?? 0)
    .u32(h.domain ?? 0);
  for (const s of sets) b.raw(s);
  return b.build();
}

/** A NetFlow v9 datagram (RFC 3954 §5.1) around the given flowsets. */
export function v9Packet(
  h: { sysUptime: number; unixSecs: number; seq?: number; sourceId?: number },
  sets: Uint8Array[],
): Uint8Array {
  const b = new Bytes()
    .u16(9)
    .u16(sets.length)
    .u32(h.sysUptime)
    .u32(h.unixSecs)
    .u32(h.seq ?? 0);
  b.u32(h.sourceId ?? 0);
  for (const s of sets) b.raw(s);
  return b.build();
}

/** A set / flowset: id, length, body, and `pad` zero bytes. */
export function set(id: number, body: Uint8Array, pad = 0): Uint8Array {
  return new Bytes()
    .u16(id)
    .u16(4 + body.length + pad)
    .raw(body)
    .raw(new Array<number>(pad).fill(0))
    .build();
}

function specs(b: Bytes, fields: readonly Spec[]): void {
  for (const f of fields) {
    if (f.length === 3)
      b.u16(f[0] | 0x8000)
        .u16(f[1])
        .u32(f[2]);
    else b.u16(f[0]).u16(f[1]);
  }
}

/** IPFIX template records (set 2). */
export function templates(...tpls: (readonly [number, readonly Spec[]])[]): Uint8Array {
  const b = new Bytes();
  for (const [id, fields] of tpls) {
    b.u16(id).u16(fields.length);
    specs(b, fields);
  }
  return set(2, b.build());
}

/** An IPFIX options template record (set 3). */
export function optionsTemplate(id: number, scopes: readonly Spec[], fields: readonly Spec[]): Uint8Array {
  const b = new Bytes()
    .u16(id)
    .u16(scopes.length + fields.length)
    .u16(scopes.length);
  specs(b, [...scopes, ...fields]);
  return set(3, b.build());
}

/** NetFlow v9 template flowset (id 0). */
export function v9Templates(...tpls: (readonly [number, readonly Spec[]])[]): Uint8Array {
  const b = new Bytes();
  for (const [id, fields] of tpls) {
    b.u16(id).u16(fields.length);
    specs(b, fields);
  }
  return set(0, b.build());
}

/** NetFlow v9 options template flowset (id 1): scope (type, length) pairs then option fields. */
export function v9OptionsTemplate(id: number, scopes: readonly Spec[], fields: readonly Spec[]): Uint8Array {
  const b = new Bytes()
    .u16(id)
    .u16(scopes.length * 4)
    .u16(fields.length * 4);
  specs(b, [...scopes, ...fields]);
  return set(1, b.build());
}

/** A v9 flow template's fields: source and destination IPv4 address, bytes, packets. */
export const V9_FLOW: readonly Spec[] = [
  [8, 4],
  [12, 4],
  [1, 4],
  [2, 4],
];

/** `n` flow records of {@link V9_FLOW} as template 256's set: 10.1.x.y → 192.0.2.9, packets k+1, bytes 100 × (k+1). */
export function v9Flows(n: number, first = 0): Uint8Array {
  const b = new Bytes();
  for (let k = first; k < first + n; k++)
    b.addr(`10.1.${k >> 8}.${k & 255}`)
      .addr('192.0.2.9')
      .u32(100 * (k + 1))
      .u32(k + 1);
  return set(256, b.build());
}

/**
 * A v9 options template (id 260, scope: the whole source id) and its data
 * record: sampling 1 in `interval`, random mode (2), as an exporter sends it.
 */
export function v9SamplingOptions(interval: number): [template: Uint8Array, data: Uint8Array] {
  const options = v9OptionsTemplate(
    260,
    [[1, 4]],
    [
      [34, 4],
      [35, 1],
    ],
  );
  return [options, set(260, new Bytes().u32(0).u32(interval).u8(2).raw([0, 0, 0]).build())];
}

export interface FrameSpec {
  src: string;
  dst: string;
  proto: 6 | 17;
  sport: number;
  dport: number;
  flags?: number;
  tos?: number;
  /** Transport payload bytes (zeros). */
  payload?: number;
  vlan?: number;
}

/** An Ethernet frame carrying IPv4 or IPv6 (by the address family) and TCP or UDP. */
export function frame(f: FrameSpec): Uint8Array {
  const v6 = f.src.includes(':');
  const l4 = f.proto === 6 ? 20 : 8;
  const body = l4 + (f.payload ?? 0);
  const b = new Bytes().raw([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1]);
  if (f.vlan !== undefined) b.u16(0x8100).u16(f.vlan);
  b.u16(v6 ? 0x86dd : 0x0800);
  if (v6) {
    b.u32((6 << 28) | ((f.tos ?? 0) << 20))
      .u16(body)
      .u8(f.proto)
      .u8(64)
      .addr(f.src)
      .addr(f.dst);
  } else {
    b.u8(0x45)
      .u8(f.tos ?? 0)
      .u16(20 + body)
      .u16(1)
      .u16(0)
      .u8(64)
      .u8(f.proto)
      .u16(0)
      .addr(f.src)
      .addr(f.dst);
  }
  b.u16(f.sport).u16(f.dport);
  if (f.proto === 6)
    b.u32(1)
      .u32(0)
      .u8(0x50)
      .u8(f.flags ?? 0)
      .u16(65535)
      .u16(0)
      .u16(0);
  else b.u16(body).u16(0);
  return b.raw(new Array<number>(f.payload ?? 0).fill(0)).build();
}

/** sFlow v5 raw packet header flow record (format 1), Ethernet. */
export function sflowRawHeader(frameBytes: Uint8Array, frameLength = frameBytes.length + 4): Uint8Array {
  const pad = (4 - (frameBytes.length % 4)) % 4;
  const b = new Bytes().u32(1).u32(16 + frameBytes.length + pad);
  b.u32(1).u32(frameLength).u32(4).u32(frameBytes.length).raw(frameBytes).raw(new Array<number>(pad).fill(0));
  return b.build();
}

export interface SampleSpec {
  seq: number;
  sourceIndex: number;
  rate: number;
  pool: number;
  input: number;
  output: number;
  records: Uint8Array[];
}

/** sFlow v5 flow sample (format 1) or expanded flow sample (format 3). */
export function sflowFlowSample(s: SampleSpec, expanded = false): Uint8Array {
  const body = new Bytes().u32(s.seq);
  if (expanded) body.u32(0).u32(s.sourceIndex);
  else body.u32(s.sourceIndex);
  body.u32(s.rate).u32(s.pool).u32(0);
  if (expanded) body.u32(0).u32(s.input).u32(0).u32(s.output);
  else body.u32(s.input).u32(s.output);
  body.u32(s.records.length);
  for (const r of s.records) body.raw(r);
  const inner = body.build();
  return new Bytes()
    .u32(expanded ? 3 : 1)
    .u32(inner.length)
    .raw(inner)
    .build();
}

/** sFlow v5 counter sample (format 2) with one generic interface counters record (format 1). */
export function sflowCounterSample(seq: number, ifIndex: number): Uint8Array {
  const rec = new Bytes().u32(ifIndex).u32(6).u64(1_000_000_000).u32(1).u32(3);
  for (let k = 0; k < 16; k++) rec.u32(k < 2 ? 0 : k * 1000);
  const r = rec.build();
  const body = new Bytes().u32(seq).u32(ifIndex).u32(1).u32(1).u32(r.length).raw(r).build();
  return new Bytes().u32(2).u32(body.length).raw(body).build();
}

/** An sFlow v5 datagram. */
export function sflowDatagram(
  h: { agent: string; subAgent?: number; seq: number; uptime: number },
  samples: Uint8Array[],
): Uint8Array {
  const b = new Bytes()
    .u32(5)
    .u32(h.agent.includes(':') ? 2 : 1)
    .addr(h.agent);
  b.u32(h.subAgent ?? 0)
    .u32(h.seq)
    .u32(h.uptime)
    .u32(samples.length);
  for (const s of samples) b.raw(s);
  return b.build();
}

/**
 * Packets layer by layer, innermost last, for the header parser's tests:
 * `eth(...)` around `mpls(...)`, `ipv4(...)`/`ipv6(...)` (tunnels nest),
 * `gre(...)`, `tcp(...)`, `udp(...)`, `icmp(...)`. Lengths and the IPv4
 * checksum are filled in, so tshark dissects them cleanly.
 */
export const layer = {
  eth(type: number, inner: Uint8Array, vlans: readonly number[] = []): Uint8Array {
    const b = new Bytes().raw([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1]);
    for (const v of vlans) b.u16(0x8100).u16(v);
    return b.u16(type).raw(inner).build();
  },
  /** An MPLS label stack (bottom-of-stack bit on the last) before `inner`. */
  mpls(labels: readonly number[], inner: Uint8Array): Uint8Array {
    const b = new Bytes();
    labels.forEach((l, k) => {
      b.u32(((l & 0xfffff) << 12) | (k === labels.length - 1 ? 0x100 : 0) | 64);
    });
    return b.raw(inner).build();
  },
  ipv4(src: string, dst: string, proto: number, inner: Uint8Array, tos = 0): Uint8Array {
    const h = new Bytes()
      .u8(0x45)
      .u8(tos)
      .u16(20 + inner.length)
      .u16(1)
      .u16(0x4000)
      .u8(64)
      .u8(proto)
      .u16(0)
      .addr(src)
      .addr(dst)
      .build();
    let s = 0;
    for (let i = 0; i < 20; i += 2) s += (h[i]! << 8) | h[i + 1]!;
    while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
    h[10] = (~s >> 8) & 0xff;
    h[11] = ~s & 0xff;
    return new Bytes().raw(h).raw(inner).build();
  },
  ipv6(src: string, dst: string, next: number, inner: Uint8Array, tclass = 0): Uint8Array {
    return new Bytes()
      .u32((6 << 28) | (tclass << 20))
      .u16(inner.length)
      .u8(next)
      .u8(64)
      .addr(src)
      .addr(dst)
      .raw(inner)
      .build();
  },
  /** GRE (RFC 2784), with a key (RFC 2890) when given. */
  gre(type: number, inner: Uint8Array, key?: number): Uint8Array {
    const b = new Bytes().u16(key === undefined ? 0 : 0x2000).u16(type);
    if (key !== undefined) b.u32(key);
    return b.raw(inner).build();
  },
  tcp(sport: number, dport: number, flags: number, payload = 0): Uint8Array {
    return new Bytes()
      .u16(sport)
      .u16(dport)
      .u32(1)
      .u32(0)
      .u8(0x50)
      .u8(flags)
      .u16(65535)
      .u16(0)
      .u16(0)
      .raw(new Array<number>(payload).fill(0))
      .build();
  },
  udp(sport: number, dport: number, payload = 0): Uint8Array {
    return new Bytes()
      .u16(sport)
      .u16(dport)
      .u16(8 + payload)
      .u16(0)
      .raw(new Array<number>(payload).fill(0))
      .build();
  },
  /** ICMP or ICMPv6: type, code, checksum 0, identifier, sequence, payload. */
  icmp(type: number, code: number, payload = 0): Uint8Array {
    return new Bytes()
      .u8(type)
      .u8(code)
      .u16(0)
      .u16(0x1234)
      .u16(1)
      .raw(new Array<number>(payload).fill(0))
      .build();
  },
};

/** Raw Ethernet frames in a classic pcap, for tshark to dissect. */
export function framesPcap(frames: readonly Uint8Array[]): Buffer {
  return pcapBytes(frames.map((f, k) => ({ ms: 1_700_000_000_000 + k * 1000, frame: Buffer.from(f) })));
}
