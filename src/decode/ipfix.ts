/**
 * @module IPFIX (RFC 7011): message header, template and options template
 * sets with enterprise elements and template withdrawal (§8.1), data sets
 * with variable-length fields and padding. Templates are kept per exporter +
 * observation domain; the sequence counts data records (§3.1).
 */

import { compileTemplate, type FieldSpec } from './fields.js';
import { addTemplate, dataSet } from './sets.js';
import { enterDomain, fail, type PacketContext, trackSequence } from './state.js';

const HEADER = 16;
const TEMPLATE_SET = 2;
const OPTIONS_SET = 3;

export function decodeIpfix(ctx: PacketContext, dv: DataView): void {
  const avail = dv.byteLength;
  if (avail < HEADER) {
    fail(ctx, 'short-packet', `IPFIX message of ${avail} bytes`);
    return;
  }
  const msgLen = dv.getUint16(2);
  ctx.exportMs = dv.getUint32(4) * 1000;
  ctx.sysUptimeMs = -1;
  const seq = dv.getUint32(8);
  const info = enterDomain(ctx, dv.getUint32(12));
  if (msgLen < HEADER) {
    fail(ctx, 'bad-length', `IPFIX message length ${msgLen} is shorter than its header`);
    return;
  }
  if (msgLen !== avail) {
    fail(ctx, 'bad-length', `IPFIX message length ${msgLen} but the datagram holds ${avail} bytes`);
  }
  const len = Math.min(msgLen, avail);
  let records = 0;
  let uncounted = false;
  let pos = HEADER;
  while (pos + 4 <= len) {
    const id = dv.getUint16(pos);
    const setLen = dv.getUint16(pos + 2);
    if (setLen < 4 || pos + setLen > len) {
      fail(ctx, 'bad-set', `set ${id} at byte ${pos} has length ${setLen} (${len - pos} bytes left)`);
      break;
    }
    const end = pos + setLen;
    if (id === TEMPLATE_SET) templates(ctx, dv, pos + 4, end, false);
    else if (id === OPTIONS_SET) templates(ctx, dv, pos + 4, end, true);
    else if (id >= 256) {
      const n = dataSet(ctx, dv, id, pos + 4, end);
      if (n < 0) uncounted = true;
      else records += n;
    }
    pos = end;
  }
  trackSequence(ctx, info, seq, records);
  // Records of a held set are not counted yet: do not call the next message a gap.
  if (uncounted) info.nextSeq = -1;
}

function templates(ctx: PacketContext, dv: DataView, pos: number, end: number, options: boolean): void {
  let p = pos;
  while (p + 4 <= end) {
    const id = dv.getUint16(p);
    const count = dv.getUint16(p + 2);
    if (id === 0 && count === 0) return; // padding
    p += 4;
    if (count === 0) {
      withdraw(ctx, id, options);
      continue;
    }
    let scopes = 0;
    if (options) {
      if (p + 2 > end) break;
      scopes = dv.getUint16(p);
      p += 2;
    }
    if (id < 256 || scopes > count) {
      fail(ctx, 'bad-template', `${options ? 'options ' : ''}template ${id} is invalid`, id);
      return;
    }
    const fields: FieldSpec[] = [];
    for (let k = 0; k < count; k++) {
      if (p + 4 > end) {
        fail(ctx, 'bad-template', `template ${id} runs past the end of its set`, id);
        return;
      }
      const raw = dv.getUint16(p);
      const len = dv.getUint16(p + 2);
      p += 4;
      let pen = 0;
      if (raw & 0x8000) {
        if (p + 4 > end) {
          fail(ctx, 'bad-template', `template ${id} runs past the end of its set`, id);
          return;
        }
        pen = dv.getUint32(p);
        p += 4;
      }
      fields.push({ ie: raw & 0x7fff, pen, len });
    }
    addTemplate(ctx, compileTemplate(id, fields, options));
  }
}

function withdraw(ctx: PacketContext, id: number, options: boolean): void {
  const { state, entry, domainKey } = ctx;
  // The set id itself as template id withdraws every template of that kind (§8.1).
  if (id === (options ? OPTIONS_SET : TEMPLATE_SET))
    state.withdrawTemplates(entry, (c) => c.withdrawAll(domainKey, options));
  else if (id >= 256) state.withdrawTemplates(entry, (c) => c.withdraw(domainKey, id));
  else fail(ctx, 'bad-template', `withdrawal of template ${id}`, id);
}
