/**
 * @module NetFlow v9 export packets (RFC 3954): a 20-byte header whose
 * sequence number counts the packets of the source id, whose count is every
 * record in the packet (templates included), and flow times as
 * FIRST_SWITCHED / LAST_SWITCHED in milliseconds of the exporter's uptime.
 */

import type { FlowBatch } from '../../flow/batch.js';
import { type Domain, type PacketInfo, setAddr, setU64, type WireFormat } from './encoder.js';
import { V9_TEMPLATES } from './templates.js';

export const netflow9: WireFormat = {
  name: 'v9',
  headerLength: 20,
  templateSetId: 0,
  templates: [V9_TEMPLATES[0]!, V9_TEMPLATES[1]!],

  writeHeader(dv: DataView, d: Domain, p: PacketInfo): void {
    dv.setUint16(0, 9);
    dv.setUint16(2, p.records);
    dv.setUint32(4, (p.exportMs - d.bootMs) >>> 0); // sysUptime
    dv.setUint32(8, p.exportMs / 1000); // UNIX seconds
    dv.setUint32(12, d.sequence >>> 0);
    dv.setUint32(16, d.id);
  },

  writeRecord(dv: DataView, off: number, b: FlowBatch, i: number, v6: boolean, d: Domain): void {
    let o = setAddr(dv, off, b.src, i, v6);
    o = setAddr(dv, o, b.dst, i, v6);
    o = setAddr(dv, o, b.nexthop, i, v6);
    dv.setUint16(o, b.sport[i]!);
    dv.setUint16(o + 2, b.dport[i]!);
    dv.setUint8(o + 4, b.proto[i]!);
    dv.setUint8(o + 5, b.flags[i]! & 0xff);
    dv.setUint8(o + 6, b.tos[i]!);
    setU64(dv, o + 7, b.packets[i]!);
    setU64(dv, o + 15, b.bytes[i]!);
    dv.setUint32(o + 23, b.inIf[i]!);
    dv.setUint32(o + 27, b.outIf[i]!);
    dv.setUint32(o + 31, b.srcAs[i]!);
    dv.setUint32(o + 35, b.dstAs[i]!);
    dv.setUint8(o + 39, b.dir[i]!);
    dv.setUint32(o + 40, (b.ts[i]! - d.bootMs) >>> 0);
    dv.setUint32(o + 44, (b.te[i]! - d.bootMs) >>> 0);
  },

  advance(d: Domain): void {
    d.sequence = (d.sequence + 1) >>> 0;
  },
};
