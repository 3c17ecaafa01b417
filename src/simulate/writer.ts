/**
 * @module Collects the flows generated for one stretch of simulated time
 * (a minute), routes each through the border, and hands them out as a
 * {@link FlowBatch} sorted by flow end time.
 *
 * Flows are generated in no particular time order, so they are staged as
 * fixed-size rows (one flow = 128 contiguous bytes) in one-second buckets by
 * end time, then written out column by column in end-time order. Sorting a
 * bucket at a time keeps the reordering inside the CPU cache; sorting a
 * minute of twenty columns at once cost twenty cache misses a flow.
 */

import { FlowBatch } from '../flow/batch.js';
import {
  type Addr,
  asFor,
  CAMPUS_AS,
  campusHalf,
  EXPORTERS,
  isCampus,
  UPLINKS,
  uplinkFor,
} from './network.js';

const V6_NEXTHOP_W0 = 0x20010db8;
const NEXTHOP_V4_BASE = 0xc0000200; // 192.0.2.0: the next hop of interface n is 192.0.2.n

/** Row layout, in 32-bit words; the first four doubles overlay words 0-7. */
const STRIDE = 32;
const F_TS = 0;
const F_TE = 1;
const F_PACKETS = 2;
const F_BYTES = 3;
const W_SRC = 8;
const W_DST = 12;
const W_NEXTHOP = 16;
const W_EXPORTER = 20;
const W_PORTS = 21; // sport << 16 | dport
const W_PROTO_FLAGS = 22; // proto | flags << 8
const W_IN = 23;
const W_OUT = 24;
const W_SRC_AS = 25;
const W_DST_AS = 26;

const BUCKET_MS = 1000;
const BUCKETS = 60;

/** Rows of the flows ending in one second. */
class Bucket {
  cap = 0;
  n = 0;
  f64 = new Float64Array(0);
  u32 = new Uint32Array(0);

  constructor(initial: number) {
    this.grow(initial);
  }

  grow(cap: number): void {
    const buf = new ArrayBuffer(cap * STRIDE * 4);
    const f64 = new Float64Array(buf);
    f64.set(this.f64.subarray(0, this.n * (STRIDE / 2)));
    this.f64 = f64;
    this.u32 = new Uint32Array(buf);
    this.cap = cap;
  }
}

export class FlowWriter {
  private readonly buckets: Bucket[] = [];
  private base = 0;
  private n = 0;

  constructor() {
    for (let i = 0; i < BUCKETS; i++) this.buckets.push(new Bucket(256));
  }

  get length(): number {
    return this.n;
  }

  /** Starts a minute: flows are expected to end in [start, start + 60 s) (others still sort right). */
  begin(start: number): void {
    this.base = start;
  }

  /**
   * Adds one flow. Exactly one of `src` and `dst` must be a campus address;
   * `uplink` forces the uplink an inbound flow enters by (a DDoS arriving
   * from one provider), otherwise the outside prefix's route decides.
   */
  emit(
    ts: number,
    te: number,
    src: Addr,
    dst: Addr,
    sport: number,
    dport: number,
    proto: number,
    flags: number,
    packets: number,
    bytes: number,
    uplink = -1,
  ): void {
    let k = Math.floor((te - this.base) / BUCKET_MS);
    k = k < 0 ? 0 : k >= BUCKETS ? BUCKETS - 1 : k;
    const bk = this.buckets[k]!;
    if (bk.n === bk.cap) bk.grow(bk.cap * 2);
    const inbound = !isCampus(src);
    const outside = inbound ? src : dst;
    const inside = inbound ? dst : src;
    const u = UPLINKS[uplink >= 0 ? uplink : uplinkFor(outside)]!;
    const ex = EXPORTERS[u.exporter]!;
    const down = ex.downlinks[campusHalf(inside)]!;
    const inIf = inbound ? u.ifIndex : down;
    const outIf = inbound ? down : u.ifIndex;
    const f = bk.n * (STRIDE / 2);
    const w = bk.n * STRIDE;
    const r = bk.u32;
    const d = bk.f64;
    d[f + F_TS] = ts;
    d[f + F_TE] = te;
    d[f + F_PACKETS] = packets;
    d[f + F_BYTES] = bytes;
    if (typeof src === 'number') {
      r[w + W_SRC] = 0;
      r[w + W_SRC + 1] = 0;
      r[w + W_SRC + 2] = 0xffff;
      r[w + W_SRC + 3] = src;
      r[w + W_NEXTHOP] = 0;
      r[w + W_NEXTHOP + 1] = 0;
      r[w + W_NEXTHOP + 2] = 0xffff;
      r[w + W_NEXTHOP + 3] = NEXTHOP_V4_BASE + outIf;
    } else {
      r[w + W_SRC] = src[0];
      r[w + W_SRC + 1] = src[1];
      r[w + W_SRC + 2] = src[2];
      r[w + W_SRC + 3] = src[3];
      r[w + W_NEXTHOP] = V6_NEXTHOP_W0;
      r[w + W_NEXTHOP + 1] = 0;
      r[w + W_NEXTHOP + 2] = 0;
      r[w + W_NEXTHOP + 3] = outIf;
    }
    if (typeof dst === 'number') {
      r[w + W_DST] = 0;
      r[w + W_DST + 1] = 0;
      r[w + W_DST + 2] = 0xffff;
      r[w + W_DST + 3] = dst;
    } else {
      r[w + W_DST] = dst[0];
      r[w + W_DST + 1] = dst[1];
      r[w + W_DST + 2] = dst[2];
      r[w + W_DST + 3] = dst[3];
    }
    r[w + W_EXPORTER] = ex.address;
    r[w + W_PORTS] = ((sport << 16) | dport) >>> 0;
    r[w + W_PROTO_FLAGS] = proto | (flags << 8);
    r[w + W_IN] = inIf;
    r[w + W_OUT] = outIf;
    const oas = asFor(outside);
    r[w + W_SRC_AS] = inbound ? oas : CAMPUS_AS;
    r[w + W_DST_AS] = inbound ? CAMPUS_AS : oas;
    bk.n++;
    this.n++;
  }

  /**
   * Returns the flows added since the last call, ordered by end time (ties
   * keep the order they were added in), and starts afresh. With `into`, that
   * batch is refilled and returned instead of a new one: no fresh memory to
   * fault in, which on a virtual machine costs more than filling it.
   */
  take(into?: FlowBatch): FlowBatch {
    const n = this.n;
    let out: FlowBatch;
    if (into) {
      into.clear();
      into.reserve(n);
      out = into;
    } else {
      out = new FlowBatch(Math.max(1, n));
    }
    let k = 0;
    for (const bk of this.buckets) {
      if (bk.n > 0) k = this.drain(bk, out, k);
      bk.n = 0;
    }
    out.length = n;
    this.n = 0;
    return out;
  }

  /** Writes a bucket's rows into the batch from row `k` on, in end-time order; returns the next row. */
  private drain(bk: Bucket, out: FlowBatch, k0: number): number {
    const n = bk.n;
    const order = sortByEnd(bk.f64, n);
    const f64 = bk.f64;
    const r = bk.u32;
    const { ts, te, packets, bytes, src, dst, nexthop, exporter, sport, dport, proto, flags } = out;
    const { inIf, outIf, srcAs, dstAs, sampling, tos, dir } = out;
    for (let j = 0; j < n; j++) {
      const k = k0 + j;
      const i = order[j]!;
      const f = i * (STRIDE / 2);
      const w = i * STRIDE;
      ts[k] = f64[f + F_TS]!;
      te[k] = f64[f + F_TE]!;
      packets[k] = f64[f + F_PACKETS]!;
      bytes[k] = f64[f + F_BYTES]!;
      const o = k * 4;
      for (let x = 0; x < 4; x++) {
        src[o + x] = r[w + W_SRC + x]!;
        dst[o + x] = r[w + W_DST + x]!;
        nexthop[o + x] = r[w + W_NEXTHOP + x]!;
      }
      exporter[o] = 0;
      exporter[o + 1] = 0;
      exporter[o + 2] = 0xffff;
      exporter[o + 3] = r[w + W_EXPORTER]!;
      const ports = r[w + W_PORTS]!;
      sport[k] = ports >>> 16;
      dport[k] = ports & 0xffff;
      const pf = r[w + W_PROTO_FLAGS]!;
      proto[k] = pf & 0xff;
      flags[k] = pf >>> 8;
      inIf[k] = r[w + W_IN]!;
      outIf[k] = r[w + W_OUT]!;
      srcAs[k] = r[w + W_SRC_AS]!;
      dstAs[k] = r[w + W_DST_AS]!;
      sampling[k] = 1;
      // No ToS marking; every flow is metered at ingress.
      tos[k] = 0;
      dir[k] = 0;
    }
    return k0 + n;
  }
}

/**
 * The order of rows [0, n) by end time (the double at `row * 16 + 1`),
 * stable. A minute's end times span at most 60,000 ms, so a counting sort
 * over the millisecond offset is linear; a wider span falls back to a
 * comparison sort.
 */
export function sortByEnd(rows: Float64Array, n: number): Uint32Array {
  const at = (i: number) => rows[i * (STRIDE / 2) + F_TE]!;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  let ints = true;
  for (let i = 0; i < n; i++) {
    const t = at(i);
    if (t < lo) lo = t;
    if (t > hi) hi = t;
    if (!Number.isInteger(t)) ints = false;
  }
  const order = new Uint32Array(n);
  if (n === 0) return order;
  const span = hi - lo + 1;
  if (ints && span <= 1 << 20) {
    const counts = new Uint32Array(span + 1);
    for (let i = 0; i < n; i++) counts[at(i) - lo + 1]!++;
    for (let k = 1; k <= span; k++) counts[k]! += counts[k - 1]!;
    for (let i = 0; i < n; i++) order[counts[at(i) - lo]!++] = i;
    return order;
  }
  const idx = Array.from({ length: n }, (_, i) => i);
  idx.sort((a, b) => at(a) - at(b) || a - b);
  order.set(idx);
  return order;
}
