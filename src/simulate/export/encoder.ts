/**
 * @module Packs flows into export packets: one open packet per observation
 * domain (per exporter), data sets per template (IPv4 / IPv6), templates at
 * the start and again every `templateEvery` packets of a domain, packets no
 * larger than the MTU. The wire format (NetFlow v9 or IPFIX) supplies the
 * header and the record layout.
 */

import type { FlowBatch } from '../../flow/batch.js';
import { type Template, templateSetLength, writeTemplateSet } from './templates.js';

/** Per observation domain: what the exporter has sent so far. */
export interface Domain {
  /** NetFlow v9 source id / IPFIX observation domain id. */
  id: number;
  /** v9: packets sent; IPFIX: data records sent (RFC 7011 §3.1). */
  sequence: number;
  packets: number;
  /** When the simulated exporter booted (ms since the epoch): v9 sysUptime counts from it. */
  bootMs: number;
  lastExportMs: number;
}

export interface PacketInfo {
  /** All records, templates included (the v9 header's count). */
  records: number;
  dataRecords: number;
  length: number;
  /** Export time: whole seconds, not before the packet's last flow ended. */
  exportMs: number;
}

export interface WireFormat {
  readonly name: 'v9' | 'ipfix';
  readonly headerLength: number;
  readonly templateSetId: number;
  readonly templates: readonly [Template, Template];
  writeHeader(dv: DataView, d: Domain, p: PacketInfo): void;
  /** Writes row `i` of the batch with the IPv4 or IPv6 template at `off`. */
  writeRecord(dv: DataView, off: number, b: FlowBatch, i: number, v6: boolean, d: Domain): void;
  /** Advances the domain's sequence after a packet. */
  advance(d: Domain, p: PacketInfo): void;
}

export interface EncoderOptions {
  /** Largest packet, bytes (UDP payload). Default 1400. */
  mtu?: number;
  /** Templates are re-sent every this many packets of a domain. Default 20. */
  templateEvery?: number;
  /** How long before the first flow the exporters booted, ms. Default 7 days. */
  uptimeMs?: number;
}

export type PacketSink = (packet: Buffer, domain: number, dataRecords: number) => void;

interface Open {
  d: Domain;
  buf: Buffer;
  dv: DataView;
  off: number;
  setStart: number;
  setV6: boolean;
  records: number;
  dataRecords: number;
  maxTe: number;
}

export class ExportEncoder {
  readonly mtu: number;
  readonly templateEvery: number;
  private readonly uptimeMs: number;
  private readonly domains = new Map<number, Domain>();
  private readonly open = new Map<number, Open>();
  private nextDomain = 1;
  packets = 0;
  records = 0;

  constructor(
    readonly format: WireFormat,
    opts: EncoderOptions = {},
  ) {
    this.mtu = opts.mtu ?? 1400;
    this.templateEvery = opts.templateEvery ?? 20;
    this.uptimeMs = opts.uptimeMs ?? 7 * 86_400_000;
    const need =
      format.headerLength + templateSetLength(format.templates) + 4 + format.templates[1].recordLength;
    if (this.mtu < need || this.mtu > 65_000) throw new RangeError(`mtu must be ${need}..65000`);
  }

  /** The domain of an exporter address (the simulator's exporters are 192.0.2.1 → 1, 192.0.2.2 → 2). */
  private domainOf(exporterWord: number, te: number): Domain {
    let d = this.domains.get(exporterWord);
    if (!d) {
      const low = exporterWord & 0xff;
      const id = (exporterWord & 0xffffff00) >>> 0 === 0xc0000200 && low > 0 ? low : 1000 + this.nextDomain++;
      d = {
        id,
        sequence: 0,
        packets: 0,
        bootMs: Math.floor((te - this.uptimeMs) / 1000) * 1000,
        lastExportMs: 0,
      };
      this.domains.set(exporterWord, d);
    }
    return d;
  }

  private start(d: Domain, exporterWord: number): Open {
    const buf = Buffer.allocUnsafe(this.mtu);
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    let off = this.format.headerLength;
    let records = 0;
    if (d.packets % this.templateEvery === 0) {
      off = writeTemplateSet(dv, off, this.format.templateSetId, this.format.templates);
      records += this.format.templates.length;
    }
    const o: Open = { d, buf, dv, off, setStart: -1, setV6: false, records, dataRecords: 0, maxTe: 0 };
    this.open.set(exporterWord, o);
    return o;
  }

  private finish(o: Open, exporterWord: number, sink: PacketSink): void {
    if (o.setStart >= 0) o.dv.setUint16(o.setStart + 2, o.off - o.setStart);
    const d = o.d;
    const exportMs = Math.max(Math.ceil(o.maxTe / 1000) * 1000, d.lastExportMs);
    const p: PacketInfo = { records: o.records, dataRecords: o.dataRecords, length: o.off, exportMs };
    this.format.writeHeader(o.dv, d, p);
    this.format.advance(d, p);
    d.packets++;
    d.lastExportMs = exportMs;
    this.open.delete(exporterWord);
    this.packets++;
    this.records += o.dataRecords;
    sink(o.buf.subarray(0, o.off), d.id, o.dataRecords);
  }

  /** Encodes rows [start, end) of a batch; finished packets go to `sink`. */
  encode(b: FlowBatch, sink: PacketSink, start = 0, end = b.length): void {
    const [t4, t6] = this.format.templates;
    for (let i = start; i < end; i++) {
      const a = i * 4;
      const e = b.exporter;
      // An IPv4 exporter is keyed by its address; an IPv6 one by a fold of its words.
      const ex =
        e[a] === 0 && e[a + 1] === 0 && e[a + 2] === 0xffff
          ? e[a + 3]!
          : -((e[a]! ^ e[a + 1]! ^ e[a + 2]! ^ e[a + 3]!) >>> 1) - 1;
      const v6 = !(b.src[a] === 0 && b.src[a + 1] === 0 && b.src[a + 2] === 0xffff);
      const t = v6 ? t6 : t4;
      let o = this.open.get(ex);
      if (!o) o = this.start(this.domainOf(ex, b.te[i]!), ex);
      let need = t.recordLength + (o.setStart >= 0 && o.setV6 === v6 ? 0 : 4);
      if (o.off + need > this.mtu) {
        this.finish(o, ex, sink);
        o = this.start(o.d, ex);
        need = t.recordLength + 4;
      }
      if (need > t.recordLength) {
        if (o.setStart >= 0) o.dv.setUint16(o.setStart + 2, o.off - o.setStart);
        o.setStart = o.off;
        o.setV6 = v6;
        o.dv.setUint16(o.off, t.id);
        o.off += 4;
      }
      this.format.writeRecord(o.dv, o.off, b, i, v6, o.d);
      o.off += t.recordLength;
      o.records++;
      o.dataRecords++;
      const te = b.te[i]!;
      if (te > o.maxTe) o.maxTe = te;
    }
  }

  /** Sends every open packet. */
  flush(sink: PacketSink): void {
    for (const [ex, o] of [...this.open]) this.finish(o, ex, sink);
  }
}

/** Writes a 64-bit unsigned integer held exactly in a double. */
export function setU64(dv: DataView, off: number, v: number): void {
  dv.setUint32(off, Math.floor(v / 4294967296));
  dv.setUint32(off + 4, v >>> 0);
}

/** Writes an address column of row i: 16 bytes for IPv6, the last word for IPv4. */
export function setAddr(dv: DataView, off: number, col: Uint32Array, i: number, v6: boolean): number {
  const a = i * 4;
  if (!v6) {
    dv.setUint32(off, col[a + 3]!);
    return off + 4;
  }
  dv.setUint32(off, col[a]!);
  dv.setUint32(off + 4, col[a + 1]!);
  dv.setUint32(off + 8, col[a + 2]!);
  dv.setUint32(off + 12, col[a + 3]!);
  return off + 16;
}
