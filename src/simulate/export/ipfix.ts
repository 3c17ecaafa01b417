/**
 * @module IPFIX messages (RFC 7011): a 16-byte header whose sequence number
 * is the count of data records sent in the observation domain before this
 * message (templates do not count), and absolute flow times
 * (flowStartMilliseconds / flowEndMilliseconds).
 */

import type { FlowBatch } from '../../flow/batch.js';
import { type Domain, type PacketInfo, setAddr, setU64, type WireFormat } from './encoder.js';
import { IPFIX_TEMPLATES } from './templates.js';

export const ipfix: WireFormat = {
  name: 'ipfix',
  headerLength: 16,
  templateSetId: 2,
  templates: [IPFIX_TEMPLATES[0]!, IPFIX_TEMPLATES[1]!],

  writeHeader(dv: DataView, d: Domain, p: PacketInfo): void {
    dv.setUint16(0, 10);
    dv.setUint16(2, p.length);
    dv.setUint32(4, p.exportMs / 1000);
    dv.setUint32(8, d.sequence >>> 0);
    dv.setUint32(12, d.id);
  },

  writeRecord(dv: DataView, off: number, b: FlowBatch, i: number, v6: boolean): void {
    let o = setAddr(dv, off, b.src, i, v6);
    o = setAddr(dv, o, b.dst, i, v6);
    o = setAddr(dv, o, b.nexthop, i, v6);
    dv.setUint16(o, b.sport[i]!);
    dv.setUint16(o + 2, b.dport[i]!);
    dv.setUint8(o + 4, b.proto[i]!);
    dv.setUint16(o + 5, b.flags[i]!);
    dv.setUint8(o + 7, b.tos[i]!);
    setU64(dv, o + 8, b.packets[i]!);
    setU64(dv, o + 16, b.bytes[i]!);
    dv.setUint32(o + 24, b.inIf[i]!);
    dv.setUint32(o + 28, b.outIf[i]!);
    dv.setUint32(o + 32, b.srcAs[i]!);
    dv.setUint32(o + 36, b.dstAs[i]!);
    dv.setUint8(o + 40, b.dir[i]!);
    setU64(dv, o + 41, b.ts[i]!);
    setU64(dv, o + 49, b.te[i]!);
  },

  advance(d: Domain, p: PacketInfo): void {
    d.sequence = (d.sequence + p.dataRecords) >>> 0;
  },
};
