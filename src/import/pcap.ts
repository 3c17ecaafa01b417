/**
 * @module Reads pcap and pcapng captures of flow export traffic: every UDP
 * datagram with its source address, ports and capture time, decoded as
 * NetFlow v1/v5/v9, IPFIX or sFlow v5 by its first bytes.
 *
 * Link types: Ethernet (with VLAN tags), Linux cooked (SLL and SLL2), raw IP
 * and BSD loopback; IPv4 and IPv6. The file is read forward in chunks, so
 * memory holds one chunk and one packet whatever the file's size. Total on
 * bad input: a truncated or corrupt file ends the reading with a counted
 * error, never an exception; fragments of a UDP datagram are counted and
 * skipped (not reassembled).
 */

import { open } from 'node:fs/promises';
import { DecoderState, decodeAny } from '../decode/index.js';
import { ETHERTYPE_IPV4, ETHERTYPE_IPV6, ethernet, IpPacket, ip } from '../decode/packet-header.js';
import type { AddrWords } from '../flow/address.js';
import { FlowBatch } from '../flow/batch.js';
import type { ImportFormat, ImportSink } from './format.js';
import { progressEvery } from './progress.js';
import { readChunk } from './read-chunk.js';

export interface Datagram {
  /** 1-based number of the packet in the capture (as Wireshark numbers them). */
  packet: number;
  /** Capture time, ms since the epoch. */
  timeMs: number;
  source: AddrWords;
  sourcePort: number;
  destinationPort: number;
  /** A copy: the caller may keep it. */
  payload: Uint8Array;
}

export interface CaptureError {
  /** The packet the error is about (0 for the file itself). */
  packet: number;
  message: string;
}

export interface CaptureReport {
  format: 'pcap' | 'pcapng';
  packets: number;
  /** Packets that held no UDP datagram (other protocols, non-IP frames). */
  skipped: number;
  errors: CaptureError[];
}

/** Captured packets larger than this are taken as corruption, not data. */
const MAX_PACKET = 256 * 1024;
/** A pcapng block holds one packet and its options. */
const MAX_BLOCK = MAX_PACKET + 64 * 1024;
const MAX_ERRORS = 1000;

/**
 * Reads bytes forward, holding at most a chunk plus the largest record asked
 * for. `fill` reads into the given array at a file position and returns the
 * byte count (0 at the end).
 */
export class ChunkReader {
  private buf = new Uint8Array(1 << 20);
  private dv = new DataView(this.buf.buffer);
  private lo = 0;
  private hi = 0;
  private filePos = 0;
  private eof = false;
  /** Bytes consumed so far. */
  consumed = 0;

  constructor(private readonly fill: (into: Uint8Array, at: number) => Promise<number>) {}

  static fromBytes(b: Uint8Array): ChunkReader {
    return new ChunkReader(async (into, at) => {
      const n = Math.max(0, Math.min(into.length, b.length - at));
      into.set(b.subarray(at, at + n));
      return n;
    });
  }

  /** Makes `n` bytes available at {@link pos}; false if the input ends first. */
  async ensure(n: number): Promise<boolean> {
    if (this.hi - this.lo >= n) return true;
    if (n > this.buf.length) {
      const bigger = new Uint8Array(Math.max(n, this.buf.length * 2));
      bigger.set(this.buf.subarray(this.lo, this.hi));
      this.buf = bigger;
      this.dv = new DataView(bigger.buffer);
    } else {
      this.buf.copyWithin(0, this.lo, this.hi);
    }
    this.hi -= this.lo;
    this.lo = 0;
    while (this.hi < n && !this.eof) {
      const got = await this.fill(this.buf.subarray(this.hi), this.filePos);
      if (got === 0) this.eof = true;
      this.hi += got;
      this.filePos += got;
    }
    return this.hi - this.lo >= n;
  }

  get available(): number {
    return this.hi - this.lo;
  }
  /** Offset of the next unread byte in {@link bytes} / {@link view}. */
  get pos(): number {
    return this.lo;
  }
  get bytes(): Uint8Array {
    return this.buf;
  }
  get view(): DataView {
    return this.dv;
  }
  skip(n: number): void {
    this.lo += n;
    this.consumed += n;
  }
}

/** `pcap` or `pcapng` from the file's first four bytes, or undefined. */
export function captureFormat(head: Uint8Array): 'pcap' | 'pcapng' | undefined {
  if (head.length < 4) return undefined;
  const m = new DataView(head.buffer, head.byteOffset, 4).getUint32(0);
  if (m === 0xa1b2c3d4 || m === 0xd4c3b2a1 || m === 0xa1b23c4d || m === 0x4d3cb2a1) return 'pcap';
  if (m === 0x0a0d0d0a) return 'pcapng';
  return undefined;
}

type OnDatagram = (d: Datagram) => void | Promise<void>;

/** Reads a capture and calls `onDatagram` for each UDP datagram, in capture order. */
export async function readCapture(r: ChunkReader, onDatagram: OnDatagram): Promise<CaptureReport> {
  await r.ensure(4);
  const format = captureFormat(r.bytes.subarray(r.pos, r.pos + Math.min(4, r.available))) ?? 'pcap';
  const report: CaptureReport = { format, packets: 0, skipped: 0, errors: [] };
  const frame = async (link: number, pos: number, end: number, timeMs: number) => {
    report.packets++;
    const d = udp(r.view, r.bytes, link, pos, end, report);
    if (!d) report.skipped++;
    else await onDatagram({ ...d, packet: report.packets, timeMs });
  };
  if (format === 'pcap') await readPcap(r, report, frame);
  else await readPcapng(r, report, frame);
  return report;
}

type Frame = (link: number, pos: number, end: number, timeMs: number) => Promise<void>;

function error(report: CaptureReport, message: string, packet = report.packets + 1): void {
  if (report.errors.length < MAX_ERRORS) report.errors.push({ packet, message });
}

async function readPcap(r: ChunkReader, report: CaptureReport, frame: Frame): Promise<void> {
  if (!(await r.ensure(24))) return error(report, 'not a capture: shorter than the 24-byte pcap header', 0);
  const magic = r.view.getUint32(r.pos);
  const le = magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1;
  const nano = magic === 0xa1b23c4d || magic === 0x4d3cb2a1;
  const link = r.view.getUint32(r.pos + 20, le) & 0xffff;
  r.skip(24);
  for (;;) {
    if (!(await r.ensure(16))) {
      if (r.available > 0) error(report, 'file ends inside a packet header (truncated capture)');
      return;
    }
    const dv = r.view;
    const p = r.pos;
    const sec = dv.getUint32(p, le);
    const frac = dv.getUint32(p + 4, le);
    const incl = dv.getUint32(p + 8, le);
    if (incl > MAX_PACKET) return error(report, `packet length ${incl} is not plausible (corrupt file)`);
    if (!(await r.ensure(16 + incl))) return error(report, 'file ends inside a packet (truncated capture)');
    await frame(link, r.pos + 16, r.pos + 16 + incl, sec * 1000 + (nano ? frac / 1e6 : frac / 1e3));
    r.skip(16 + incl);
  }
}

interface Iface {
  link: number;
  /** Timestamp units per second. */
  units: number;
}

async function readPcapng(r: ChunkReader, report: CaptureReport, frame: Frame): Promise<void> {
  let le = true;
  let ifaces: Iface[] = [];
  for (;;) {
    if (!(await r.ensure(12))) {
      if (r.available > 0) error(report, 'file ends inside a block header (truncated capture)');
      return;
    }
    let dv = r.view;
    const type = dv.getUint32(r.pos, le);
    if (type === 0x0a0d0d0a) {
      const bom = dv.getUint32(r.pos + 8, true);
      if (bom !== 0x1a2b3c4d && bom !== 0x4d3c2b1a)
        return error(report, 'pcapng section with a bad byte-order magic');
      le = bom === 0x1a2b3c4d;
      ifaces = [];
    }
    const len = dv.getUint32(r.pos + 4, le);
    if (len < 12 || len % 4 !== 0 || len > MAX_BLOCK)
      return error(report, `pcapng block of length ${len} (corrupt file)`);
    if (!(await r.ensure(len))) return error(report, 'file ends inside a block (truncated capture)');
    dv = r.view;
    const body = r.pos + 8;
    const end = r.pos + len - 4;
    if (type === 1 && body + 8 <= end) {
      ifaces.push({ link: dv.getUint16(body, le), units: tsUnits(dv, body + 8, end, le) });
    } else if ((type === 6 || type === 2) && body + 20 <= end) {
      // Enhanced packet block, or the obsolete packet block (16-bit interface id, 16-bit drops).
      const iface = ifaces[type === 6 ? dv.getUint32(body, le) : dv.getUint16(body, le)];
      const cap = dv.getUint32(body + 12, le);
      if (!iface || body + 20 + cap > end) error(report, 'packet block with a bad interface or length');
      else {
        const ts = dv.getUint32(body + 4, le) * 4294967296 + dv.getUint32(body + 8, le);
        await frame(iface.link, body + 20, body + 20 + cap, (ts / iface.units) * 1000);
      }
    } else if (type === 3 && body + 4 <= end) {
      const iface = ifaces[0];
      if (!iface) error(report, 'simple packet block before any interface');
      else await frame(iface.link, body + 4, Math.min(end, body + 4 + dv.getUint32(body, le)), 0);
    }
    r.skip(len);
  }
}

/** The if_tsresol option (code 9) of an interface description block; microseconds by default. */
function tsUnits(dv: DataView, p: number, end: number, le: boolean): number {
  let q = p;
  while (q + 4 <= end) {
    const code = dv.getUint16(q, le);
    const len = dv.getUint16(q + 2, le);
    if (code === 0) break;
    if (code === 9 && len >= 1 && q + 5 <= end) {
      const v = dv.getUint8(q + 4);
      return v & 0x80 ? 2 ** (v & 0x7f) : 10 ** v;
    }
    q += 4 + Math.ceil(len / 4) * 4;
  }
  return 1e6;
}

const LINK_NULL = 0;
const LINK_ETHERNET = 1;
const LINK_RAW = 101;
const LINK_LOOP = 108;
const LINK_SLL = 113;
const LINK_IPV4 = 228;
const LINK_IPV6 = 229;
const LINK_SLL2 = 276;
/** DLT_RAW as some BSDs number it. */
const LINK_RAW_BSD = [12, 14];

const pkt = new IpPacket();

function udp(
  dv: DataView,
  buf: Uint8Array,
  link: number,
  pos: number,
  end: number,
  report: CaptureReport,
): Omit<Datagram, 'packet' | 'timeMs'> | undefined {
  let at = -1;
  let type = -1;
  if (link === LINK_ETHERNET) {
    const e = ethernet(dv, pos, end);
    if (e) [type, at] = e;
  } else if (link === LINK_SLL && pos + 16 <= end) {
    type = dv.getUint16(pos + 14);
    at = pos + 16;
  } else if (link === LINK_SLL2 && pos + 20 <= end) {
    type = dv.getUint16(pos);
    at = pos + 20;
  } else if (link === LINK_RAW || link === LINK_IPV4 || link === LINK_IPV6 || LINK_RAW_BSD.includes(link)) {
    type = ETHERTYPE_IPV4; // the version nibble tells IPv4 from IPv6
    at = pos;
  } else if ((link === LINK_NULL || link === LINK_LOOP) && pos + 4 <= end) {
    type = ETHERTYPE_IPV4;
    at = pos + 4;
  }
  if (at < 0 || (type !== ETHERTYPE_IPV4 && type !== ETHERTYPE_IPV6)) return undefined;
  if (!ip(dv, at, end, pkt) || pkt.proto !== 17) return undefined;
  if (pkt.fragment) {
    error(report, 'fragment of a UDP datagram (fragments are not reassembled)', report.packets);
    return undefined;
  }
  if (pkt.udpPayload < 0) return undefined;
  return {
    source: [pkt.src[0]!, pkt.src[1]!, pkt.src[2]!, pkt.src[3]!],
    sourcePort: pkt.sport,
    destinationPort: pkt.dport,
    payload: buf.slice(pkt.udpPayload, pkt.udpPayload + pkt.udpLen),
  };
}

/** Opens a file as a {@link ChunkReader}; the returned close must be called. */
export async function openChunks(path: string): Promise<{ reader: ChunkReader; close: () => Promise<void> }> {
  const fh = await open(path, 'r');
  const reader = new ChunkReader((into, at) => readChunk(fh, into, 0, into.length, at));
  return { reader, close: () => fh.close() };
}

/**
 * How many flows an importer hands the sink at once (at least: a datagram's
 * records are not split). Large, for a threaded read: each batch is one
 * message to the importing thread and one turn of its sink (4,096 flows a
 * batch cost a 3 M-flow import some 0.4 s of CPU in messages alone).
 */
const BATCH = 16_384;
/**
 * Rows a batch is made with: room for the datagram that crosses
 * {@link BATCH}, so a batch does not grow on the way (a grown batch's
 * arrays cannot be recycled for the next one, `batch.ts`).
 */
const BATCH_ROOM = 2 * BATCH;

/**
 * Decodes export datagrams (of a capture or an IPFIX file) into batches for
 * an import sink; decode errors are rejects at the packet (message) number.
 */
export class ExportImporter {
  /**
   * No records-per-second budget: that guards a live collector against a
   * flooding exporter, while a file's records are all wanted (an IPFIX file
   * carries no arrival times, so a budget would never refill after its
   * first 2 million flows).
   */
  readonly state = new DecoderState({ maxRecordsPerSecond: Number.POSITIVE_INFINITY });
  private batch = new FlowBatch(BATCH_ROOM);

  constructor(private readonly sink: ImportSink) {}

  /** Decodes one datagram; a promise only when a full batch went to the sink (to be awaited before the next). */
  datagram(where: number, source: AddrWords, payload: Uint8Array, timeMs: number): Promise<void> | undefined {
    const r = decodeAny(this.state, source, payload, timeMs, this.batch);
    for (const e of r.errors) {
      if (e.code === 'missing-template') continue; // held, not lost: counted in the decoder state
      this.sink.reject(where, e.message);
    }
    return this.batch.length >= BATCH ? this.flush() : undefined;
  }

  /** Hands over the last flows, and says what never got decoded. */
  async finish(): Promise<void> {
    await this.flush();
    const held = this.state.pendingStats().sets;
    if (held > 0) this.sink.reject(0, `${held} data sets never got their template and were not decoded`);
  }

  async flush(): Promise<void> {
    if (this.batch.length === 0) return;
    const b = this.batch;
    this.batch = new FlowBatch(BATCH_ROOM);
    await this.sink.batch(b);
  }
}

export const pcapFormat: ImportFormat = {
  name: 'pcap',
  description: 'pcap or pcapng capture of NetFlow v1/v5/v9, IPFIX or sFlow v5 export datagrams',
  sniff: (head) => captureFormat(head) !== undefined,
  async read(path, sink) {
    const { reader, close } = await openChunks(path);
    try {
      const imp = new ExportImporter(sink);
      const progress = progressEvery(sink);
      const report = await readCapture(reader, async (d) => {
        await imp.datagram(d.packet, d.source, d.payload, d.timeMs);
        progress.at(reader.consumed);
      });
      await imp.finish();
      progress.end(reader.consumed);
      for (const e of report.errors) sink.reject(e.packet, e.message);
      if (report.skipped > 0) sink.skip?.(0, `${report.skipped} packets held no UDP datagram`);
    } finally {
      await close();
    }
  },
};
