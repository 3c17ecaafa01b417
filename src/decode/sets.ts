/**
 * @module What NetFlow v9 and IPFIX share once a set is found: storing a
 * template, decoding a data set with its template, and holding a data set
 * whose template has not come yet in a bounded per-exporter queue, decoded
 * when the template arrives (oldest dropped and counted when full).
 */

import type { Template } from './fields.js';
import { decodeRecords } from './record.js';
import { fail, type PacketContext } from './state.js';

/** Decodes a data set; returns its data record count, or -1 when it was held for its template. */
export function dataSet(ctx: PacketContext, dv: DataView, setId: number, pos: number, end: number): number {
  const t = ctx.entry.templates.get(ctx.domainKey, setId);
  if (t) return decodeRecords(ctx, t, dv, pos, end);
  hold(ctx, setId, new Uint8Array(dv.buffer, dv.byteOffset + pos, end - pos));
  fail(ctx, 'missing-template', `no template ${setId} yet: data set held until it comes`, setId);
  return -1;
}

function hold(ctx: PacketContext, setId: number, body: Uint8Array): void {
  const { entry, state } = ctx;
  const { maxPendingSets } = state.limits;
  const maxPendingBytes = state.pendingLimit(entry);
  if (body.length > maxPendingBytes) {
    fail(ctx, 'pending-dropped', `data set of template ${setId} is larger than the queue`, setId);
    return;
  }
  while (entry.pending.length >= maxPendingSets || entry.pendingBytes + body.length > maxPendingBytes) {
    const old = entry.pending.shift()!;
    state.addPending(entry, -old.body.length);
    fail(ctx, 'pending-dropped', `queue full: dropped a held data set of template ${old.setId}`, old.setId);
  }
  entry.pending.push({
    domainKey: ctx.domainKey,
    version: ctx.version as 9 | 10,
    domain: ctx.domain,
    setId,
    body: body.slice(),
    exportMs: ctx.exportMs,
    sysUptimeMs: ctx.sysUptimeMs,
  });
  state.addPending(entry, body.length);
}

/** Stores a template, then decodes the data sets that were waiting for it. */
export function addTemplate(ctx: PacketContext, t: Template): void {
  const { outcome, evicted } = ctx.state.putTemplate(ctx.entry, ctx.domainKey, t);
  if (outcome === 'too-large') {
    fail(ctx, 'bad-template', `template ${t.id} is larger than the template cache allows`, t.id);
    return;
  }
  for (let k = 0; k < evicted; k++)
    fail(ctx, 'template-evicted', 'template limit reached: evicted the least used');
  const pending = ctx.entry.pending;
  if (pending.length === 0) return;
  const exportMs = ctx.exportMs;
  const sysUptimeMs = ctx.sysUptimeMs;
  for (let k = 0; k < pending.length; ) {
    const p = pending[k]!;
    if (p.domainKey !== ctx.domainKey || p.setId !== t.id) {
      k++;
      continue;
    }
    pending.splice(k, 1);
    ctx.state.addPending(ctx.entry, -p.body.length);
    // The held records keep the times of the datagram they came in.
    ctx.exportMs = p.exportMs;
    ctx.sysUptimeMs = p.sysUptimeMs;
    decodeRecords(ctx, t, new DataView(p.body.buffer, p.body.byteOffset, p.body.length), 0, p.body.length);
  }
  ctx.exportMs = exportMs;
  ctx.sysUptimeMs = sysUptimeMs;
}
