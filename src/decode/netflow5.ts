/**
 * @module NetFlow v5 and v1: fixed 48-byte records after a 24-byte (v5) or
 * 16-byte (v1) header. Times are sysUptime-relative; v5 carries a sampling
 * interval in its header (low 14 bits) and a flow sequence that counts flows.
 */

import { admit, enterDomain, fail, type PacketContext, trackSequence } from './state.js';

const RECORD = 48;

/** A 32-bit uptime difference as a signed number: a small step "back" is skew, not a wrap. */
function signed32(x: number): number {
  const u = x >>> 0;
  return u >= 0x80000000 ? u - 4294967296 : u;
}

export function decodeNetflow5(ctx: PacketContext, dv: DataView): void {
  decodeLegacy(ctx, dv, 5);
}

export function decodeNetflow1(ctx: PacketContext, dv: DataView): void {
  decodeLegacy(ctx, dv, 1);
}

function decodeLegacy(ctx: PacketContext, dv: DataView, version: 1 | 5): void {
  const header = version === 5 ? 24 : 16;
  const len = dv.byteLength;
  if (len < header) {
    fail(ctx, 'short-packet', `NetFlow v${version} datagram of ${len} bytes`);
    return;
  }
  const count = dv.getUint16(2);
  const sysUptime = dv.getUint32(4);
  const exportMs = dv.getUint32(8) * 1000 + Math.floor(dv.getUint32(12) / 1e6);
  ctx.exportMs = exportMs;
  let rate = 1;
  let n = count;
  const fits = Math.floor((len - header) / RECORD);
  if (fits !== count || header + count * RECORD !== len) {
    // Decode the records that are there, as Wireshark does, and say the header is wrong.
    fail(ctx, 'bad-count', `header says ${count} records, the datagram holds ${fits} (${len} bytes)`);
    n = Math.min(count, fits);
  }
  if (version === 5) {
    // Engine type and id tell the flow caches of one device apart; each has its own sequence.
    const info = enterDomain(ctx, dv.getUint16(20));
    trackSequence(ctx, info, dv.getUint32(16), n);
    rate = dv.getUint16(22) & 0x3fff || 1;
  }
  n = admit(ctx, n);
  const out = ctx.out;
  out.reserve(n);
  for (let k = 0; k < n; k++) {
    const o = header + k * RECORD;
    const i = out.add();
    out.src[i * 4 + 3] = dv.getUint32(o);
    out.dst[i * 4 + 3] = dv.getUint32(o + 4);
    out.nexthop[i * 4 + 3] = dv.getUint32(o + 8);
    out.exporter.set(ctx.exporter, i * 4);
    out.inIf[i] = dv.getUint16(o + 12);
    out.outIf[i] = dv.getUint16(o + 14);
    out.packets[i] = dv.getUint32(o + 16) * rate;
    out.bytes[i] = dv.getUint32(o + 20) * rate;
    out.ts[i] = exportMs - signed32(sysUptime - dv.getUint32(o + 24));
    out.te[i] = exportMs - signed32(sysUptime - dv.getUint32(o + 28));
    out.sport[i] = dv.getUint16(o + 32);
    out.dport[i] = dv.getUint16(o + 34);
    out.sampling[i] = rate;
    if (version === 5) {
      out.flags[i] = dv.getUint8(o + 37);
      out.proto[i] = dv.getUint8(o + 38);
      out.tos[i] = dv.getUint8(o + 39);
      out.srcAs[i] = dv.getUint16(o + 40);
      out.dstAs[i] = dv.getUint16(o + 42);
    } else {
      out.proto[i] = dv.getUint8(o + 38);
      out.tos[i] = dv.getUint8(o + 39);
      out.flags[i] = dv.getUint8(o + 40);
    }
  }
  ctx.result.records += n;
}
