/**
 * @module nfdump's own binary files (`nfcapd.YYYYMMDDhhmm`, written by
 * nfcapd, sfcapd or `nfdump -w`), nfdump 1.6 and 1.7, read natively:
 * no nfdump needed, milliseconds kept.
 *
 * `nffile.ts` hands over decompressed blocks; this file reads their records:
 * - 1.7 (layout 2) V3 records (type 11): a 12-byte header (size, element
 *   count, exporter id) and self-describing elements (type, length). Read:
 *   1 generic flow (ms times, packets, bytes, ports, protocol, TCP flags,
 *   ToS), 2/3 IPv4/IPv6 addresses, 4 misc (interfaces, direction), 7 AS
 *   numbers, 10/11 IP next hop, 12/13 the exporter's address as nfcapd
 *   received it. Other elements (MACs, MPLS, NSEL, latency, ...) are skipped
 *   by their length, as nfdump skips elements it does not know.
 * - 1.6 (layout 1) common records (type 10, and type 1 of 1.5/early 1.6):
 *   fixed fields (seconds and ms apart), then IPv4/IPv6 addresses and 4/8
 *   byte counters as the record's flags say, then the optional extensions
 *   named by the extension map (type 2) the record refers to, each of a
 *   size fixed by nfdump 1.6. Read: 4/5 interfaces, 6/7 AS numbers, 8
 *   direction, 9/10 next hop, 23/24 the exporter's address; the others are
 *   stepped over by their size. A map naming an extension 1.6 does not
 *   define cannot be stepped over: its records are rejected, one line each.
 * - both: exporter records (type 7) give the exporter's address for flows
 *   without one of their own; statistics, sampler and name records hold no
 *   flows and are passed over, as nfdump passes them over.
 * Counters are stored as nfcapd stored them: it has already applied the
 * sampling rate it knew of, so the sampling interval is 1 (as for
 * `nfdump -o csv`). One record is one flow, so flows, packets and bytes
 * add up to what `nfdump -I` says.
 *
 * Bad input: a record that does not fit its block, or whose elements do
 * not fit it, is rejected with its number; the rest of its block cannot be
 * told apart and is rejected with it. A block of a type that holds no flow
 * records (nfdump 1.5's type 1) is one rejected line. A block that cannot
 * be read (file truncated, wrong compression, corrupt data) ends the file
 * with one line.
 */

import type { AddrWords } from '../flow/address.js';
import { FlowBatch } from '../flow/batch.js';
import type { ImportFormat, ImportSink } from './format.js';
import { isNfFile, type NfBlock, readNfBlocks, readNfHeader } from './nffile.js';
import { openChunks } from './pcap.js';

const u16 = (b: Uint8Array, o: number) => b[o]! | (b[o + 1]! << 8);
const u32 = (b: Uint8Array, o: number) =>
  (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
/** A little-endian 64-bit counter as a number (exact below 2^53). */
const u64 = (b: Uint8Array, o: number) => u32(b, o) + u32(b, o + 4) * 4294967296;

/** nfdump keeps an IPv6 address as two host-order 64-bit halves, high half first. */
function v6Words(b: Uint8Array, o: number, out: Uint32Array, i: number): void {
  out[i] = u32(b, o + 4);
  out[i + 1] = u32(b, o);
  out[i + 2] = u32(b, o + 12);
  out[i + 3] = u32(b, o + 8);
}

function v4Words(v: number, out: Uint32Array, i: number): void {
  out[i] = 0;
  out[i + 1] = 0;
  out[i + 2] = 0xffff;
  out[i + 3] = v;
}

/** Byte sizes of nfdump 1.6's optional extensions (nfx.h), by id; absent = not defined. */
// biome-ignore format: a table
const EXT_SIZE = new Map<number, number>([
  [4, 4], [5, 8], [6, 4], [7, 8], [8, 4], [9, 4], [10, 16], [11, 4], [12, 16], [13, 4], [14, 4],
  [15, 8], [16, 4], [17, 8], [18, 4], [19, 8], [20, 16], [21, 16], [22, 40], [23, 4], [24, 16],
  [25, 4], [26, 8], [27, 8], [37, 20], [38, 4], [39, 8], [40, 32], [41, 24], [42, 24], [43, 72],
  [45, 24], [46, 12], [48, 8],
]);

interface ExtMap {
  ids: number[];
  /** Why the map's records cannot be read, if they cannot. */
  bad?: string;
}

const V3_RECORD = 11;
const COMMON_V0 = 1;
const COMMON = 10;
const EXT_MAP = 2;
const EXPORTER = 7;

/** Reads the records of an nfdump file's blocks into a batch. */
export class NfRecordReader {
  /** Records seen so far (all types), for 1-based record numbers. */
  records = 0;
  private readonly maps = new Map<number, ExtMap>();
  private readonly exporters = new Map<number, AddrWords>();

  constructor(private readonly reject: (where: number, message: string) => void) {}

  /**
   * Appends the flows of one block to `out`, from record `cur.k` at byte
   * `cur.o`, until the block ends (returns true) or `out` holds `limit`
   * flows (returns false; `cur` says where to go on).
   */
  block(blk: NfBlock, out: FlowBatch, cur: { o: number; k: number }, limit: number): boolean {
    const d = blk.data;
    let o = cur.o;
    for (let k = cur.k; k < blk.records; k++) {
      if (out.length >= limit) {
        cur.o = o;
        cur.k = k;
        return false;
      }
      const no = ++this.records;
      if (o + 4 > d.length) {
        this.reject(
          no,
          `block ${blk.index + 1}: ${blk.records - k} of its ${blk.records} records are missing`,
        );
        this.records += blk.records - k - 1;
        return true;
      }
      const type = u16(d, o);
      const size = u16(d, o + 2);
      if (size < 4 || o + size > d.length) {
        this.reject(
          no,
          `block ${blk.index + 1}: record of ${size} bytes does not fit the block (${blk.records - k} records of the block not read)`,
        );
        this.records += blk.records - k - 1;
        return true;
      }
      let err: string | undefined;
      if (type === V3_RECORD) err = this.v3(d, o, size, out);
      else if (type === COMMON || type === COMMON_V0) err = this.common(d, o, size, type, out);
      else if (type === EXT_MAP) this.extMap(d, o, size);
      else if (type === EXPORTER) this.exporter(d, o, size);
      if (err) this.reject(no, `block ${blk.index + 1}: ${err}`);
      o += size;
    }
    return true;
  }

  private v3(d: Uint8Array, o: number, size: number, out: FlowBatch): string | undefined {
    if (size < 12) return `V3 record of ${size} bytes is shorter than its header`;
    const n = u16(d, o + 4);
    const exporterId = u16(d, o + 8);
    const end = o + size;
    const i = out.add();
    const j = i * 4;
    let generic = false;
    let addr = false;
    let exporter = false;
    let p = o + 12;
    for (let e = 0; e < n; e++) {
      if (p + 4 > end) return drop(out, i, `V3 record: element ${e + 1} of ${n} runs past the record`);
      const et = u16(d, p);
      const len = u16(d, p + 2);
      if (len < 4 || p + len > end)
        return drop(out, i, `V3 record: element ${e + 1} (type ${et}, ${len} bytes) does not fit the record`);
      const q = p + 4;
      const body = len - 4;
      const short = (need: number) =>
        drop(out, i, `V3 record: element type ${et} has ${body} bytes, at least ${need} expected`);
      switch (et) {
        case 1: // EXgenericFlow
          if (body < 48) return short(48);
          out.ts[i] = u64(d, q);
          out.te[i] = u64(d, q + 8);
          out.packets[i] = u64(d, q + 24);
          out.bytes[i] = u64(d, q + 32);
          out.sport[i] = u16(d, q + 40);
          out.dport[i] = u16(d, q + 42);
          out.proto[i] = d[q + 44]!;
          out.flags[i] = d[q + 45]!;
          out.tos[i] = d[q + 47]!;
          generic = true;
          break;
        case 2: // EXipv4Flow
          if (body < 8) return short(8);
          out.src[j + 3] = u32(d, q);
          out.dst[j + 3] = u32(d, q + 4);
          addr = true;
          break;
        case 3: // EXipv6Flow
          if (body < 32) return short(32);
          v6Words(d, q, out.src, j);
          v6Words(d, q + 16, out.dst, j);
          addr = true;
          break;
        case 4: // EXflowMisc
          if (body < 11) return short(11);
          out.inIf[i] = u32(d, q);
          out.outIf[i] = u32(d, q + 4);
          out.dir[i] = d[q + 10]!;
          break;
        case 7: // EXasRouting
          if (body < 8) return short(8);
          out.srcAs[i] = u32(d, q);
          out.dstAs[i] = u32(d, q + 4);
          break;
        case 10: // EXipNextHopV4
          if (body < 4) return short(4);
          out.nexthop[j + 3] = u32(d, q);
          break;
        case 11: // EXipNextHopV6
          if (body < 16) return short(16);
          v6Words(d, q, out.nexthop, j);
          break;
        case 12: // EXipReceivedV4
          if (body < 4) return short(4);
          out.exporter[j + 3] = u32(d, q);
          exporter = true;
          break;
        case 13: // EXipReceivedV6
          if (body < 16) return short(16);
          v6Words(d, q, out.exporter, j);
          exporter = true;
          break;
      }
      p += len;
    }
    if (!generic) return drop(out, i, 'V3 record has no generic-flow element (times and counters)');
    if (!addr) return drop(out, i, 'V3 record has no IPv4 or IPv6 address element');
    if (!exporter) this.exporterOf(exporterId, out, j);
    return undefined;
  }

  private common(d: Uint8Array, o: number, size: number, type: number, out: FlowBatch): string | undefined {
    const head = type === COMMON ? 32 : 28;
    if (size < head) return `common record of ${size} bytes is shorter than its fixed fields`;
    const flags = type === COMMON ? u16(d, o + 4) : d[o + 4]!;
    const mapId = u16(d, o + 6);
    const map = this.maps.get(mapId);
    if (!map) return `common record refers to extension map ${mapId}, which no record before it defines`;
    if (map.bad) return map.bad;
    const v6 = (flags & 1) !== 0;
    const pk64 = (flags & 2) !== 0;
    const by64 = (flags & 4) !== 0;
    let need = head + (v6 ? 32 : 8) + (pk64 ? 8 : 4) + (by64 ? 8 : 4);
    for (const id of map.ids) need += EXT_SIZE.get(id)!;
    if (need > size)
      return `common record of ${size} bytes is shorter than its fields and extensions (${need} bytes)`;
    const i = out.add();
    const j = i * 4;
    out.ts[i] = u32(d, o + 12) * 1000 + u16(d, o + 8);
    out.te[i] = u32(d, o + 16) * 1000 + u16(d, o + 10);
    out.flags[i] = d[o + 21]!;
    out.proto[i] = d[o + 22]!;
    out.tos[i] = d[o + 23]!;
    out.sport[i] = u16(d, o + 24);
    out.dport[i] = u16(d, o + 26);
    let p = o + head;
    if (v6) {
      v6Words(d, p, out.src, j);
      v6Words(d, p + 16, out.dst, j);
      p += 32;
    } else {
      out.src[j + 3] = u32(d, p);
      out.dst[j + 3] = u32(d, p + 4);
      p += 8;
    }
    out.packets[i] = pk64 ? u64(d, p) : u32(d, p);
    p += pk64 ? 8 : 4;
    out.bytes[i] = by64 ? u64(d, p) : u32(d, p);
    p += by64 ? 8 : 4;
    let exporter = false;
    for (const id of map.ids) {
      switch (id) {
        case 4:
          out.inIf[i] = u16(d, p);
          out.outIf[i] = u16(d, p + 2);
          break;
        case 5:
          out.inIf[i] = u32(d, p);
          out.outIf[i] = u32(d, p + 4);
          break;
        case 6:
          out.srcAs[i] = u16(d, p);
          out.dstAs[i] = u16(d, p + 2);
          break;
        case 7:
          out.srcAs[i] = u32(d, p);
          out.dstAs[i] = u32(d, p + 4);
          break;
        case 8:
          out.dir[i] = d[p + 1]!;
          break;
        case 9:
          v4Words(u32(d, p), out.nexthop, j);
          break;
        case 10:
          v6Words(d, p, out.nexthop, j);
          break;
        case 23:
          v4Words(u32(d, p), out.exporter, j);
          exporter = true;
          break;
        case 24:
          v6Words(d, p, out.exporter, j);
          exporter = true;
          break;
      }
      p += EXT_SIZE.get(id)!;
    }
    if (!exporter && type === COMMON) this.exporterOf(u16(d, o + 28), out, j);
    return undefined;
  }

  /** An extension map (1.6): its id and the extensions, in record order, up to a 0. */
  private extMap(d: Uint8Array, o: number, size: number): void {
    if (size < 8) return;
    const id = u16(d, o + 4);
    const declared = u16(d, o + 6);
    const ids: number[] = [];
    let bad: string | undefined;
    let total = 0;
    for (let p = o + 8; p + 2 <= o + size; p += 2) {
      const ex = u16(d, p);
      if (ex === 0) break;
      if (ex <= 3) continue; // the required extensions, never listed by nfdump
      const s = EXT_SIZE.get(ex);
      if (s === undefined) {
        bad ??= `extension map ${id} names extension ${ex}, which nfdump 1.6 does not define: its records cannot be read`;
        continue;
      }
      ids.push(ex);
      total += s;
    }
    if (!bad && total !== declared)
      bad = `extension map ${id} says its extensions take ${declared} bytes, but they take ${total}: its records cannot be read`;
    this.maps.set(id, bad ? { ids, bad } : { ids });
  }

  /** An exporter record: the address of the exporter a sysid stands for. */
  private exporter(d: Uint8Array, o: number, size: number): void {
    if (size < 32) return;
    const family = u16(d, o + 24);
    const sysid = u16(d, o + 26);
    const w = new Uint32Array(4);
    if (family === 10) v6Words(d, o + 8, w, 0);
    else v4Words(u32(d, o + 16), w, 0);
    this.exporters.set(sysid, [w[0]!, w[1]!, w[2]!, w[3]!]);
  }

  private exporterOf(sysid: number, out: FlowBatch, j: number): void {
    const w = this.exporters.get(sysid);
    if (!w) return;
    out.exporter[j] = w[0];
    out.exporter[j + 1] = w[1];
    out.exporter[j + 2] = w[2];
    out.exporter[j + 3] = w[3];
  }
}

/** Takes back the flow just added, and says why. */
function drop(out: FlowBatch, i: number, why: string): string {
  out.length = i;
  return why;
}

/** Flows handed to the sink at once: as many as the IPFIX and capture readers (`pcap.ts`). */
const BATCH = 16_384;

/** Reads an nfdump file into a sink. */
export async function readNfdumpFile(path: string, sink: ImportSink): Promise<void> {
  const { reader, close } = await openChunks(path);
  try {
    const h = await readNfHeader(reader);
    if (typeof h === 'string') {
      sink.reject(0, h);
      return;
    }
    const rec = new NfRecordReader((where, message) => sink.reject(where, message));
    let batch = new FlowBatch(BATCH);
    const err = await readNfBlocks(
      reader,
      h,
      async (blk) => {
        const cur = { o: 0, k: 0 };
        while (!rec.block(blk, batch, cur, BATCH)) {
          const b = batch;
          batch = new FlowBatch(BATCH);
          await sink.batch(b);
        }
        sink.progress?.(reader.consumed);
      },
      (index, type) =>
        sink.reject(
          rec.records + 1,
          `block ${index + 1} is of type ${type}, which holds no flow records (nfdump reads types 2 and 3): passed over`,
        ),
    );
    if (batch.length > 0) await sink.batch(batch);
    if (err) sink.reject(rec.records + 1, err);
  } finally {
    await close();
  }
}

export const nfcapdFormat: ImportFormat = {
  name: 'nfcapd',
  description: 'nfdump binary file (nfcapd.*, nfdump 1.6 and 1.7; LZO, LZ4, BZ2, ZSTD blocks)',
  sniff: (head) => isNfFile(head),
  read: readNfdumpFile,
};
