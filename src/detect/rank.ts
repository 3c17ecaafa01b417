/**
 * @module Stage 1 — rank every source and destination of a window on several
 * scale metrics at once, in the engine, and keep the top N by combined rank
 * (a host's best position on any metric, as in the paper).
 */

import { formatHiLo } from '../flow/address.js';
import { storageColumns } from '../flow/schema.js';
import { big, num } from '../store/queries.js';
import { raw, type Sql, sql, join as sqlJoin } from '../store/sql.js';
import type { Dialect, FanAggregate, FlowStore } from '../store/types.js';
import {
  columnsIn,
  type HostMetrics,
  METRICS,
  type MetricKey,
  type PerFlow,
  ROLES,
  type Role,
  rankedOn,
  whereValue,
  zeroMetrics,
} from './metrics.js';
import type { Thresholds } from './thresholds.js';

/** A metric's column in the rank query's result. */
const column = (key: MetricKey) => `n_${key}`;

/** Ranked on some role: computed by the rank query (the others are left to the profile's exact count). */
const RANKED = METRICS.filter((m) => m.ranked.length > 0);

/**
 * One query ranks both roles over one read of the window (a fan-group:
 * a row for each flow's source and one for its destination), each metric of
 * {@link METRICS} on the roles ranked on it (a 0 elsewhere, which the
 * engine does not compute). Ranking only chooses which hosts to profile, so
 * distinct counts here are the engine's approximate ones (HyperLogLog-like,
 * a few percent off) — an exact distinct count per host over a whole window
 * is the most expensive thing an engine can be asked. Every number a report
 * carries is recomputed exactly for the kept hosts by the profile stage.
 */
export function rankQuery(d: Dialect, from: Sql, w0: number, w1: number, t: Thresholds, cap: number): Sql {
  const names = ['role', 'hi', 'lo'];
  const aggregates: FanAggregate[] = [];
  const values: Record<string, string>[] = [
    { role: '0', hi: 'src_hi', lo: 'src_lo' },
    { role: '1', hi: 'dst_hi', lo: 'dst_lo' },
  ];
  for (const m of RANKED) {
    const as = column(m.key);
    const per = m.per;
    if ('count' in per) aggregates.push({ as, fn: 'count' });
    else if ('distinct' in per || 'where' in per) {
      const name = `f_${m.key}`;
      names.push(name);
      aggregates.push({ as, fn: 'distinct' in per ? 'approxDistinct' : 'sum', of: name });
      ROLES.forEach((role, i) => {
        let v = '0';
        if (m.ranked.includes(role)) {
          if ('where' in per) v = whereValue(per);
          else {
            const approx = per.distinct[role].approx;
            if (approx === undefined)
              throw new Error(`rank: ${m.key} is ranked on ${role} without an approx`);
            v = approx(d);
          }
        }
        values[i]![name] = v;
      });
    } else aggregates.push({ as, fn: 'sum', of: per.sum });
  }
  const columns = storageColumns().map((c) => c.name);
  const read = columnsIn(
    [...values.flatMap((v) => Object.values(v)), ...aggregates.map((a) => a.of ?? '')],
    columns,
  );
  const both = d.fanGroup(from, {
    range: { from: w0, to: w1 },
    columns: read,
    names,
    group: ['role', 'hi', 'lo'],
    aggregates,
    branches: values.map((v) => ({ values: v })),
  });
  const order = `${column('peers')} DESC, ${column('packets')} DESC, hi, lo`;
  return d.topPerGroup(sql`SELECT * FROM (${both}) AS a WHERE ${keep(t)}`, ['role'], order, cap, [
    'hi',
    'lo',
    ...RANKED.map((m) => column(m.key)),
  ]);
}

/**
 * How far below a floor an approximate distinct count may fall and its host
 * still be a candidate. DuckDB's approximate counts were measured at 0.86 to
 * 1.33 times the exact ones on a labelled window (689 peers for 800): at 0.9
 * a host just over a floor could be dropped before its exact count was taken.
 */
export const APPROX_SLACK = 0.7;

/**
 * A host is a candidate when it reaches a floor of a metric its role is
 * ranked on (distinct counts a little below the floor: an approximate count
 * must not drop a host at the edge). A count, a distinct count or a count
 * on a condition is at most the host's flows, so a host with fewer flows
 * than every such floor and below every other floor cannot qualify.
 */
function keep(t: Thresholds): Sql {
  const slack = APPROX_SLACK;
  const floored = RANKED.filter((m) => m.floor !== undefined);
  const bounded = (per: PerFlow) => 'count' in per || 'distinct' in per || ('where' in per && !per.sum);
  const flows = RANKED.find((m) => 'count' in m.per);
  const at = (m: (typeof floored)[number], slacked: boolean) => {
    const f = t.floor[m.floor!];
    return sql`${raw(column(m.key))} >= ${slacked && 'distinct' in m.per ? f * slack : f}`;
  };
  const prefilter = flows
    ? sqlJoin(
        [
          sql`${raw(column(flows.key))} >= ${Math.max(1, Math.min(...floored.filter((m) => bounded(m.per)).map((m) => t.floor[m.floor!])))}`,
          ...floored.filter((m) => !bounded(m.per)).map((m) => at(m, false)),
        ],
        ' OR ',
      )
    : raw('1 = 1');
  const roles = ROLES.map((role, i) => {
    const mine = floored.filter((m) => m.ranked.includes(role));
    return mine.length === 0
      ? sql`role = ${raw(String(i))}`
      : sql`(role = ${raw(String(i))} AND (${sqlJoin(
          mine.map((m) => at(m, true)),
          ' OR ',
        )}))`;
  });
  return sql`(${prefilter})
          AND (${sqlJoin(
            roles,
            `
            OR `,
          )})`;
}

function toMetrics(role: Role, rows: Record<string, unknown>[]): HostMetrics[] {
  return rows.map((r) => {
    const hi = big(r['hi']);
    const lo = big(r['lo']);
    // The metrics not ranked on are 0 here: the profile's exact counts fill them in.
    const m: HostMetrics = { ip: formatHiLo(hi, lo), hi, lo, role, ...zeroMetrics(), rank: 0 };
    for (const x of RANKED) m[x.key] = num(r[column(x.key)]);
    return m;
  });
}

/**
 * Keeps the `n` hosts with the best position on any of the metrics. Equal
 * values share a position (1 + the number of hosts with more), so a tie is
 * never broken by something as arbitrary as the address, and a metric on
 * which a host has nothing gives it no position; among equal best positions,
 * more peers come first.
 */
export function combinedTop(hosts: HostMetrics[], metrics: readonly MetricKey[], n: number): HostMetrics[] {
  for (const h of hosts) h.rank = Number.POSITIVE_INFINITY;
  for (const m of metrics) {
    const sorted = [...hosts].sort((a, b) => b[m] - a[m]);
    let pos = 0;
    sorted.forEach((h, i) => {
      const v = h[m];
      if (i === 0 || v !== sorted[i - 1]![m]) pos = i + 1;
      if (v > 0 && pos < h.rank) h.rank = pos;
    });
  }
  return [...hosts]
    .sort((a, b) => a.rank - b.rank || b.peers - a.peers || a.ip.localeCompare(b.ip))
    .slice(0, n);
}

export async function rankWindow(
  store: FlowStore,
  w0: number,
  w1: number,
  t: Thresholds,
): Promise<{ sources: HostMetrics[]; destinations: HostMetrics[] }> {
  // The floors keep the candidate lists small; the cap bounds them whatever the traffic.
  const cap = Math.max(t.topN * 20, 10_000);
  const rows = await store.queryFlows({ from: w0, to: w1 }, (from) =>
    rankQuery(store.dialect, from, w0, w1, t, cap),
  );
  const [sources, destinations] = ROLES.map((role, i) =>
    combinedTop(
      toMetrics(
        role,
        rows.filter((r) => num(r['role']) === i),
      ),
      rankedOn(role),
      t.topN,
    ),
  );
  return { sources: sources!, destinations: destinations! };
}
