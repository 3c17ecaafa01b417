/**
 * @module NetFlow v9 (RFC 3954): header, template and options template
 * flowsets, data flowsets. Templates are kept per exporter + source id; the
 * header's sysUptime and unix_secs turn FIRST/LAST_SWITCHED into times; the
 * sequence counts export packets (§5.1).
 */

import { compileTemplate, type FieldSpec } from './fields.js';
import { addTemplate, dataSet } from './sets.js';
import { enterDomain, fail, type PacketContext, trackSequence } from './state.js';

const HEADER = 20;

export function decodeNetflow9(ctx: PacketContext, dv: DataView): void {
  const len = dv.byteLength;
  if (len < HEADER) {
    fail(ctx, 'short-packet', `NetFlow v9 datagram of ${len} bytes`);
    return;
  }
  ctx.sysUptimeMs = dv.getUint32(4);
  ctx.exportMs = dv.getUint32(8) * 1000;
  const seq = dv.getUint32(12);
  const info = enterDomain(ctx, dv.getUint32(16));
  trackSequence(ctx, info, seq, 1);
  let pos = HEADER;
  while (pos + 4 <= len) {
    const id = dv.getUint16(pos);
    const setLen = dv.getUint16(pos + 2);
    if (setLen < 4 || pos + setLen > len) {
      // Some exporters zero-fill the rest of the datagram after the last flowset.
      if (!(id === 0 && setLen === 0 && allZero(dv, pos, len))) {
        fail(ctx, 'bad-set', `flowset ${id} at byte ${pos} has length ${setLen} (${len - pos} bytes left)`);
      }
      return;
    }
    const end = pos + setLen;
    if (id === 0) templates(ctx, dv, pos + 4, end);
    else if (id === 1) optionsTemplates(ctx, dv, pos + 4, end);
    else if (id >= 256) dataSet(ctx, dv, id, pos + 4, end);
    pos = end;
  }
}

function allZero(dv: DataView, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (dv.getUint8(i) !== 0) return false;
  return true;
}

function templates(ctx: PacketContext, dv: DataView, pos: number, end: number): void {
  let p = pos;
  while (p + 4 <= end) {
    const id = dv.getUint16(p);
    const count = dv.getUint16(p + 2);
    if (id === 0 && count === 0) return; // padding
    p += 4;
    if (id < 256 || count === 0 || p + count * 4 > end) {
      fail(ctx, 'bad-template', `template ${id} with ${count} fields does not fit its flowset`, id);
      return;
    }
    const fields: FieldSpec[] = [];
    for (let k = 0; k < count; k++, p += 4)
      fields.push({ ie: dv.getUint16(p), pen: 0, len: dv.getUint16(p + 2) });
    addTemplate(ctx, compileTemplate(id, fields, false));
  }
}

function optionsTemplates(ctx: PacketContext, dv: DataView, pos: number, end: number): void {
  let p = pos;
  while (p + 6 <= end) {
    const id = dv.getUint16(p);
    const scopeLen = dv.getUint16(p + 2);
    const optLen = dv.getUint16(p + 4);
    if (id === 0 && scopeLen === 0 && optLen === 0) return; // padding
    p += 6;
    if (id < 256 || scopeLen % 4 !== 0 || optLen % 4 !== 0 || p + scopeLen + optLen > end) {
      fail(ctx, 'bad-template', `options template ${id} does not fit its flowset`, id);
      return;
    }
    const fields: FieldSpec[] = [];
    const stop = p + scopeLen + optLen;
    for (; p < stop; p += 4) fields.push({ ie: dv.getUint16(p), pen: 0, len: dv.getUint16(p + 2) });
    if (fields.length === 0) {
      fail(ctx, 'bad-template', `options template ${id} has no fields`, id);
      return;
    }
    addTemplate(ctx, compileTemplate(id, fields, true, scopeLen / 4));
  }
}
