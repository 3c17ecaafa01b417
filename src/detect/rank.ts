/**
 * @module Stage 1 — rank every source and destination of a window on several
 * scale metrics at once, in the engine, and keep the top N by combined rank
 * (a host's best position on any metric, as in the paper).
 */

import { formatHiLo } from '../flow/address.js';
import { AMPLIFICATION_PORTS } from '../flow/names.js';
import { big, num } from '../store/queries.js';
import { raw, type Sql, sql } from '../store/sql.js';
import type { Dialect, FlowStore } from '../store/types.js';
import type { Thresholds } from './thresholds.js';

export type Role = 'source' | 'destination';

/** Window-wide metrics of one host, computed in the engine. */
export interface HostMetrics {
  ip: string;
  hi: bigint;
  lo: bigint;
  role: Role;
  flows: number;
  packets: number;
  bytes: number;
  /** Distinct other-side addresses. */
  peers: number;
  /** Distinct destination ports (source role) or source ports (destination role). */
  ports: number;
  tcpFlows: number;
  /** TCP flows with SYN and without ACK: handshakes that never completed, or probes. */
  synOnlyFlows: number;
  /** UDP flows whose source port is an amplification service (destination role). */
  ampFlows: number;
  ampBytes: number;
  /** Position on each metric (1 = largest) and the best of them. */
  rank: number;
}

/** SYN set and ACK clear, in arithmetic both engines spell the same. */
export const SYN_ONLY = '(proto = 6 AND (flags % 4) >= 2 AND (flags % 32) < 16)';

function ampList(): string {
  return [...AMPLIFICATION_PORTS].sort((a, b) => a - b).join(', ');
}

export function sourceAggregate(
  d: Dialect,
  from: Sql,
  w0: number,
  w1: number,
  t: Thresholds,
  cap: number,
): Sql {
  const f = t.floor;
  return sql`SELECT src_hi AS hi, src_lo AS lo, count(*) AS flows, sum(packets) AS packets, sum(bytes) AS bytes,
    ${raw(d.countDistinct(['dst_hi', 'dst_lo']))} AS peers, ${raw(d.countDistinct(['dport']))} AS ports,
    sum(CASE WHEN proto = 6 THEN 1 ELSE 0 END) AS tcp_flows,
    sum(CASE WHEN ${raw(SYN_ONLY)} THEN 1 ELSE 0 END) AS syn_only,
    0 AS amp_flows, 0 AS amp_bytes
  FROM ${from} WHERE te >= ${w0} AND te < ${w1}
  GROUP BY src_hi, src_lo
  HAVING ${raw(d.countDistinct(['dst_hi', 'dst_lo']))} >= ${f.peers} OR count(*) >= ${f.flows} OR sum(packets) >= ${f.packets} OR ${raw(d.countDistinct(['dport']))} >= ${f.ports}
  ORDER BY peers DESC, flows DESC, hi, lo LIMIT ${cap}`;
}

export function destinationAggregate(
  d: Dialect,
  from: Sql,
  w0: number,
  w1: number,
  t: Thresholds,
  cap: number,
): Sql {
  const f = t.floor;
  const amp = `(proto = 17 AND sport IN (${ampList()}))`;
  return sql`SELECT dst_hi AS hi, dst_lo AS lo, count(*) AS flows, sum(packets) AS packets, sum(bytes) AS bytes,
    ${raw(d.countDistinct(['src_hi', 'src_lo']))} AS peers, ${raw(d.countDistinct(['sport']))} AS ports,
    sum(CASE WHEN proto = 6 THEN 1 ELSE 0 END) AS tcp_flows,
    sum(CASE WHEN ${raw(SYN_ONLY)} THEN 1 ELSE 0 END) AS syn_only,
    sum(CASE WHEN ${raw(amp)} THEN 1 ELSE 0 END) AS amp_flows,
    sum(CASE WHEN ${raw(amp)} THEN bytes ELSE 0 END) AS amp_bytes
  FROM ${from} WHERE te >= ${w0} AND te < ${w1}
  GROUP BY dst_hi, dst_lo
  HAVING ${raw(d.countDistinct(['src_hi', 'src_lo']))} >= ${f.peers} OR sum(packets) >= ${f.packets}
  ORDER BY peers DESC, packets DESC, hi, lo LIMIT ${cap}`;
}

function toMetrics(role: Role, rows: Record<string, unknown>[]): HostMetrics[] {
  return rows.map((r) => {
    const hi = big(r['hi']);
    const lo = big(r['lo']);
    return {
      ip: formatHiLo(hi, lo),
      hi,
      lo,
      role,
      flows: num(r['flows']),
      packets: num(r['packets']),
      bytes: num(r['bytes']),
      peers: num(r['peers']),
      ports: num(r['ports']),
      tcpFlows: num(r['tcp_flows']),
      synOnlyFlows: num(r['syn_only']),
      ampFlows: num(r['amp_flows']),
      ampBytes: num(r['amp_bytes']),
      rank: 0,
    };
  });
}

/** Keeps the `n` hosts with the best position on any of the metrics. */
export function combinedTop(hosts: HostMetrics[], metrics: (keyof HostMetrics)[], n: number): HostMetrics[] {
  for (const h of hosts) h.rank = Number.POSITIVE_INFINITY;
  for (const m of metrics) {
    const sorted = [...hosts].sort((a, b) => (b[m] as number) - (a[m] as number) || a.ip.localeCompare(b.ip));
    sorted.forEach((h, i) => {
      if (i + 1 < h.rank) h.rank = i + 1;
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
  const range = { from: w0, to: w1 };
  const src = toMetrics(
    'source',
    await store.queryFlows(range, (from) => sourceAggregate(store.dialect, from, w0, w1, t, cap)),
  );
  const dst = toMetrics(
    'destination',
    await store.queryFlows(range, (from) => destinationAggregate(store.dialect, from, w0, w1, t, cap)),
  );
  return {
    sources: combinedTop(src, ['peers', 'flows', 'packets', 'bytes', 'ports', 'synOnlyFlows'], t.topN),
    destinations: combinedTop(dst, ['peers', 'packets', 'bytes'], t.topN),
  };
}
