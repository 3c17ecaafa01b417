/**
 * @module Known targets: how much of a probing source's window went to
 * targets it has returned to on a schedule. A monitoring poller opens the
 * same session to the same list of servers window after window; a scanner
 * or a brute forcer moving through a range reaches new targets. A target
 * is regular when the source reached it in at least half of the windows of
 * the lookback before this one.
 */

import { big, num } from '../store/queries.js';
import { raw, sql } from '../store/sql.js';
import type { FlowStore } from '../store/types.js';
import type { HostMetrics } from './metrics.js';

/** Per source address: the share of its targets in `[w0, w1)` that are new (not regular). */
export async function newTargetShares(
  store: FlowStore,
  sources: readonly HostMetrics[],
  w0: number,
  w1: number,
  lookbackMs: number,
  windowMs: number,
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (sources.length === 0 || lookbackMs < windowMs) return out;
  const d = store.dialect;
  const from0 = w0 - lookbackMs;
  const need = Math.max(1, Math.floor(lookbackMs / windowMs / 2));
  const set = d.inTuples(
    ['src_hi', 'src_lo'],
    sources.map((s) => [s.hi, s.lo]),
  );
  const rows = await store.queryFlows({ from: from0, to: w1 }, (from) => {
    const pairs = sql`SELECT src_hi, src_lo,
        ${raw(d.uint(d.aggIf('countDistinct', [`te - te % ${windowMs}`], `te < ${w0}`)))} AS n_before,
        ${raw(d.uint(d.aggIf('count', [], `te >= ${w0}`)))} AS n_now
      FROM ${from} WHERE te >= ${from0} AND te < ${w1} AND ${set} GROUP BY src_hi, src_lo, dst_hi, dst_lo`;
    return sql`SELECT src_hi, src_lo, count(*) AS targets, sum(CASE WHEN n_before >= ${need} THEN 1 ELSE 0 END) AS regular
      FROM (${pairs}) AS p WHERE n_now > 0 GROUP BY src_hi, src_lo`;
  });
  const byKey = new Map(sources.map((s) => [`${s.hi}/${s.lo}`, s.ip]));
  for (const r of rows) {
    const ip = byKey.get(`${big(r['src_hi'])}/${big(r['src_lo'])}`);
    const targets = num(r['targets']);
    if (ip && targets > 0) out.set(ip, 1 - num(r['regular']) / targets);
  }
  return out;
}
