/**
 * @module A growable batch of flows held column by column in typed arrays.
 *
 * Decoders write straight into the columns (no object per flow); the store
 * writer copies the columns into the engine in bulk. Addresses take four
 * 32-bit words each, most significant first (see `address.ts`).
 */

import { type AddrWords, formatWords, parseAddress } from './address.js';
import type { FlowRecord } from './record.js';

type NumCol = 'ts' | 'te' | 'sport' | 'dport' | 'proto' | 'flags' | 'packets' | 'bytes';
type NumCol2 = 'inIf' | 'outIf' | 'tos' | 'srcAs' | 'dstAs' | 'dir' | 'sampling';
export type AddrCol = 'src' | 'dst' | 'nexthop' | 'exporter';

export interface BatchColumns {
  length: number;
  ts: Float64Array;
  te: Float64Array;
  src: Uint32Array;
  dst: Uint32Array;
  nexthop: Uint32Array;
  exporter: Uint32Array;
  sport: Uint16Array;
  dport: Uint16Array;
  proto: Uint8Array;
  flags: Uint16Array;
  packets: Float64Array;
  bytes: Float64Array;
  inIf: Uint32Array;
  outIf: Uint32Array;
  tos: Uint8Array;
  srcAs: Uint32Array;
  dstAs: Uint32Array;
  dir: Uint8Array;
  sampling: Uint32Array;
  label: (string | null)[] | null;
}

/** The transferable buffers of some columns (for `postMessage`). */
export function columnBuffers(c: BatchColumns): ArrayBuffer[] {
  return [
    c.ts,
    c.te,
    c.src,
    c.dst,
    c.nexthop,
    c.exporter,
    c.sport,
    c.dport,
    c.proto,
    c.flags,
    c.packets,
    c.bytes,
    c.inIf,
    c.outIf,
    c.tos,
    c.srcAs,
    c.dstAs,
    c.dir,
    c.sampling,
  ].map((a) => a.buffer as ArrayBuffer);
}

export class FlowBatch {
  length = 0;
  capacity: number;
  ts!: Float64Array;
  te!: Float64Array;
  src!: Uint32Array;
  dst!: Uint32Array;
  nexthop!: Uint32Array;
  exporter!: Uint32Array;
  sport!: Uint16Array;
  dport!: Uint16Array;
  proto!: Uint8Array;
  flags!: Uint16Array;
  packets!: Float64Array;
  bytes!: Float64Array;
  inIf!: Uint32Array;
  outIf!: Uint32Array;
  tos!: Uint8Array;
  srcAs!: Uint32Array;
  dstAs!: Uint32Array;
  dir!: Uint8Array;
  sampling!: Uint32Array;
  /** Null until some flow carries a label. */
  label: (string | null)[] | null = null;

  constructor(capacity = 4096) {
    this.capacity = Math.max(1, capacity);
    this.alloc(this.capacity, false);
  }

  private alloc(cap: number, keep: boolean): void {
    const grow = <T extends Float64Array | Uint32Array | Uint16Array | Uint8Array>(
      old: T | undefined,
      make: (n: number) => T,
      width: number,
    ): T => {
      const a = make(cap * width);
      if (keep && old) a.set(old.subarray(0, this.length * width) as never);
      return a;
    };
    const f64 = (n: number) => new Float64Array(n);
    const u32 = (n: number) => new Uint32Array(n);
    const u16 = (n: number) => new Uint16Array(n);
    const u8 = (n: number) => new Uint8Array(n);
    this.ts = grow(this.ts, f64, 1);
    this.te = grow(this.te, f64, 1);
    this.src = grow(this.src, u32, 4);
    this.dst = grow(this.dst, u32, 4);
    this.nexthop = grow(this.nexthop, u32, 4);
    this.exporter = grow(this.exporter, u32, 4);
    this.sport = grow(this.sport, u16, 1);
    this.dport = grow(this.dport, u16, 1);
    this.proto = grow(this.proto, u8, 1);
    this.flags = grow(this.flags, u16, 1);
    this.packets = grow(this.packets, f64, 1);
    this.bytes = grow(this.bytes, f64, 1);
    this.inIf = grow(this.inIf, u32, 1);
    this.outIf = grow(this.outIf, u32, 1);
    this.tos = grow(this.tos, u8, 1);
    this.srcAs = grow(this.srcAs, u32, 1);
    this.dstAs = grow(this.dstAs, u32, 1);
    this.dir = grow(this.dir, u8, 1);
    this.sampling = grow(this.sampling, u32, 1);
    this.capacity = cap;
  }

  /** Makes room for `n` more flows and returns the index of the first. */
  reserve(n: number): number {
    const need = this.length + n;
    if (need > this.capacity) this.alloc(Math.max(need, this.capacity * 2), true);
    return this.length;
  }

  /**
   * Appends one zeroed flow (sampling 1, IPv4-mapped 0.0.0.0 addresses) and
   * returns its index; the caller fills the columns.
   */
  add(): number {
    const i = this.reserve(1);
    this.length = i + 1;
    this.ts[i] = 0;
    this.te[i] = 0;
    const j = i * 4;
    // Unrolled: this runs once per decoded flow.
    this.src[j] = 0;
    this.src[j + 1] = 0;
    this.src[j + 2] = 0xffff;
    this.src[j + 3] = 0;
    this.dst[j] = 0;
    this.dst[j + 1] = 0;
    this.dst[j + 2] = 0xffff;
    this.dst[j + 3] = 0;
    this.nexthop[j] = 0;
    this.nexthop[j + 1] = 0;
    this.nexthop[j + 2] = 0xffff;
    this.nexthop[j + 3] = 0;
    this.exporter[j] = 0;
    this.exporter[j + 1] = 0;
    this.exporter[j + 2] = 0xffff;
    this.exporter[j + 3] = 0;
    this.sport[i] = 0;
    this.dport[i] = 0;
    this.proto[i] = 0;
    this.flags[i] = 0;
    this.packets[i] = 0;
    this.bytes[i] = 0;
    this.inIf[i] = 0;
    this.outIf[i] = 0;
    this.tos[i] = 0;
    this.srcAs[i] = 0;
    this.dstAs[i] = 0;
    this.dir[i] = 0;
    this.sampling[i] = 1;
    if (this.label) this.label[i] = null;
    return i;
  }

  setV4(col: AddrCol, i: number, v4: number): void {
    const a = this[col];
    a[i * 4] = 0;
    a[i * 4 + 1] = 0;
    a[i * 4 + 2] = 0xffff;
    a[i * 4 + 3] = v4 >>> 0;
  }

  setAddr(col: AddrCol, i: number, w: AddrWords): void {
    const a = this[col];
    a[i * 4] = w[0];
    a[i * 4 + 1] = w[1];
    a[i * 4 + 2] = w[2];
    a[i * 4 + 3] = w[3];
  }

  addrText(col: AddrCol, i: number): string {
    const a = this[col];
    return formatWords(a[i * 4]!, a[i * 4 + 1]!, a[i * 4 + 2]!, a[i * 4 + 3]!);
  }

  setLabel(i: number, label: string | null): void {
    if (label === null && !this.label) return;
    if (!this.label) this.label = new Array<string | null>(this.capacity).fill(null);
    this.label[i] = label;
  }

  /** Appends a record; throws on an unparsable address (importers validate first). */
  push(r: FlowRecord): number {
    const i = this.add();
    this.ts[i] = r.flowStartMilliseconds;
    this.te[i] = r.flowEndMilliseconds;
    const addr = (col: AddrCol, text: string) => {
      const w = parseAddress(text);
      if (!w) throw new Error(`invalid address ${JSON.stringify(text)}`);
      this.setAddr(col, i, w);
    };
    addr('src', r.sourceIPAddress);
    addr('dst', r.destinationIPAddress);
    addr('nexthop', r.ipNextHopAddress);
    addr('exporter', r.exporterIPAddress);
    this.sport[i] = r.sourceTransportPort;
    this.dport[i] = r.destinationTransportPort;
    this.proto[i] = r.protocolIdentifier;
    this.flags[i] = r.tcpControlBits;
    this.packets[i] = r.packetDeltaCount;
    this.bytes[i] = r.octetDeltaCount;
    this.inIf[i] = r.ingressInterface;
    this.outIf[i] = r.egressInterface;
    this.tos[i] = r.ipClassOfService;
    this.srcAs[i] = r.bgpSourceAsNumber;
    this.dstAs[i] = r.bgpDestinationAsNumber;
    this.dir[i] = r.flowDirection;
    this.sampling[i] = r.samplingInterval;
    this.setLabel(i, r.label);
    return i;
  }

  record(i: number): FlowRecord {
    return {
      flowStartMilliseconds: this.ts[i]!,
      flowEndMilliseconds: this.te[i]!,
      sourceIPAddress: this.addrText('src', i),
      destinationIPAddress: this.addrText('dst', i),
      sourceTransportPort: this.sport[i]!,
      destinationTransportPort: this.dport[i]!,
      protocolIdentifier: this.proto[i]!,
      tcpControlBits: this.flags[i]!,
      packetDeltaCount: this.packets[i]!,
      octetDeltaCount: this.bytes[i]!,
      ingressInterface: this.inIf[i]!,
      egressInterface: this.outIf[i]!,
      ipClassOfService: this.tos[i]!,
      bgpSourceAsNumber: this.srcAs[i]!,
      bgpDestinationAsNumber: this.dstAs[i]!,
      ipNextHopAddress: this.addrText('nexthop', i),
      flowDirection: this.dir[i]!,
      exporterIPAddress: this.addrText('exporter', i),
      samplingInterval: this.sampling[i]!,
      label: this.label?.[i] ?? null,
    };
  }

  records(): FlowRecord[] {
    const out: FlowRecord[] = [];
    for (let i = 0; i < this.length; i++) out.push(this.record(i));
    return out;
  }

  /** Appends every flow of another batch (used to merge decoder output). */
  append(other: FlowBatch): void {
    const start = this.reserve(other.length);
    const n = other.length;
    const copy = (k: NumCol | NumCol2, w = 1) =>
      (this[k] as Float64Array).set((other[k] as Float64Array).subarray(0, n * w) as never, start * w);
    for (const k of ['ts', 'te', 'sport', 'dport', 'proto', 'flags', 'packets', 'bytes'] as const) copy(k);
    for (const k of ['inIf', 'outIf', 'tos', 'srcAs', 'dstAs', 'dir', 'sampling'] as const) copy(k);
    for (const k of ['src', 'dst', 'nexthop', 'exporter'] as const) {
      this[k].set(other[k].subarray(0, n * 4), start * 4);
    }
    if (other.label || this.label) {
      if (!this.label) this.label = new Array<string | null>(this.capacity).fill(null);
      for (let i = 0; i < n; i++) this.label[start + i] = other.label?.[i] ?? null;
    }
    this.length = start + n;
  }

  /**
   * The filled part of every column, for sending to another thread (the
   * buffers can be transferred, not copied).
   */
  toColumns(): BatchColumns {
    const n = this.length;
    return {
      length: n,
      ts: this.ts.slice(0, n),
      te: this.te.slice(0, n),
      src: this.src.slice(0, n * 4),
      dst: this.dst.slice(0, n * 4),
      nexthop: this.nexthop.slice(0, n * 4),
      exporter: this.exporter.slice(0, n * 4),
      sport: this.sport.slice(0, n),
      dport: this.dport.slice(0, n),
      proto: this.proto.slice(0, n),
      flags: this.flags.slice(0, n),
      packets: this.packets.slice(0, n),
      bytes: this.bytes.slice(0, n),
      inIf: this.inIf.slice(0, n),
      outIf: this.outIf.slice(0, n),
      tos: this.tos.slice(0, n),
      srcAs: this.srcAs.slice(0, n),
      dstAs: this.dstAs.slice(0, n),
      dir: this.dir.slice(0, n),
      sampling: this.sampling.slice(0, n),
      label: this.label ? this.label.slice(0, n) : null,
    };
  }

  /** Wraps columns made by {@link toColumns} (possibly in another thread) without copying. */
  static fromColumns(c: BatchColumns): FlowBatch {
    const b = new FlowBatch(1);
    b.capacity = Math.max(1, c.length);
    b.length = c.length;
    b.ts = c.ts;
    b.te = c.te;
    b.src = c.src;
    b.dst = c.dst;
    b.nexthop = c.nexthop;
    b.exporter = c.exporter;
    b.sport = c.sport;
    b.dport = c.dport;
    b.proto = c.proto;
    b.flags = c.flags;
    b.packets = c.packets;
    b.bytes = c.bytes;
    b.inIf = c.inIf;
    b.outIf = c.outIf;
    b.tos = c.tos;
    b.srcAs = c.srcAs;
    b.dstAs = c.dstAs;
    b.dir = c.dir;
    b.sampling = c.sampling;
    b.label = c.label;
    if (c.length === 0) b.capacity = 1;
    return b;
  }

  clear(): void {
    this.length = 0;
    this.label = null;
  }

  totals(): { flows: number; packets: number; bytes: number } {
    let packets = 0;
    let bytes = 0;
    for (let i = 0; i < this.length; i++) {
      packets += this.packets[i]!;
      bytes += this.bytes[i]!;
    }
    return { flows: this.length, packets, bytes };
  }
}

/** Milliseconds of a UTC day; the store's partition unit. */
export const DAY_MS = 86_400_000;

export function dayOf(ms: number): string {
  return new Date(Math.floor(ms / DAY_MS) * DAY_MS).toISOString().slice(0, 10);
}
