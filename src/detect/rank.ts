/**
 * @module Stage 1 — rank every source and destination of a window on several
 * scale metrics at once, in the engine, and keep the top N by combined rank
 * (a host's best position on any metric, as in the paper).
 */

import { formatHiLo } from '../flow/address.js';
import { AMPLIFICATION_PORTS } from '../flow/names.js';
import { big, num } from '../store/queries.js';
import { type Sql, sql } from '../store/sql.js';
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

/** A UDP flow from an amplification service's port (a reflector's answer). */
export const AMP_FLOW = `(proto = 17 AND sport IN (${[...AMPLIFICATION_PORTS].sort((a, b) => a - b).join(', ')}))`;

/**
 * One query ranks both roles over one read of the window (a fan-group:
 * a row for each flow's source and one for its destination). Ranking only
 * chooses which hosts to profile, so distinct counts here are the engine's
 * approximate ones (HyperLogLog-like, a few percent off) — an exact distinct
 * count per host over a whole window is the most expensive thing an engine
 * can be asked. Every number a report carries is recomputed exactly for the
 * kept hosts by the profile stage.
 */
const RANK_COLUMNS = ['hi', 'lo', 'n_flows', 'n_packets', 'n_bytes', 'peers', 'ports', 'syn_only'];

export function rankQuery(d: Dialect, from: Sql, w0: number, w1: number, t: Thresholds, cap: number): Sql {
  const f = t.floor;
  // A host with N distinct peers or ports has at least N flows: fewer flows than every floor cannot qualify.
  const minFlows = Math.max(1, Math.min(f.peers, f.ports, f.flows));
  // Floors a little below the configured ones: an approximate count must not drop a host at the edge.
  const slack = 0.9;
  const keep = sql`(n_flows >= ${minFlows} OR n_packets >= ${f.packets})
          AND ((role = 0 AND (peers >= ${f.peers * slack} OR n_flows >= ${f.flows} OR n_packets >= ${f.packets} OR ports >= ${f.ports * slack}))
            OR (role = 1 AND (peers >= ${f.peers * slack} OR n_packets >= ${f.packets})))`;
  const order = 'peers DESC, n_packets DESC, hi, lo';
  // Each flow counts for its source (role 0: its peer the destination) and its destination (role 1),
  // on the metrics its role is ranked on (a 0 is not computed; the profile counts every metric exactly).
  const both = d.fanGroup(from, {
    range: { from: w0, to: w1 },
    columns: ['src_hi', 'src_lo', 'dst_hi', 'dst_lo', 'dport', 'proto', 'flags', 'packets', 'bytes'],
    names: ['role', 'hi', 'lo', 'peer', 'port', 'syn'],
    group: ['role', 'hi', 'lo'],
    aggregates: [
      { as: 'n_flows', fn: 'count' },
      { as: 'n_packets', fn: 'sum', of: 'packets' },
      { as: 'n_bytes', fn: 'sum', of: 'bytes' },
      { as: 'peers', fn: 'approxDistinct', of: 'peer' },
      { as: 'ports', fn: 'approxDistinct', of: 'port' },
      { as: 'syn_only', fn: 'sum', of: 'syn' },
    ],
    branches: [
      {
        values: {
          role: '0',
          hi: 'src_hi',
          lo: 'src_lo',
          peer: 'dst_lo',
          port: 'dport',
          syn: `CASE WHEN ${SYN_ONLY} THEN 1 ELSE 0 END`,
        },
      },
      { values: { role: '1', hi: 'dst_hi', lo: 'dst_lo', peer: 'src_lo', port: '0', syn: '0' } },
    ],
  });
  return d.topPerGroup(sql`SELECT * FROM (${both}) AS a WHERE ${keep}`, ['role'], order, cap, RANK_COLUMNS);
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
      flows: num(r['n_flows']),
      packets: num(r['n_packets']),
      bytes: num(r['n_bytes']),
      peers: num(r['peers']),
      ports: num(r['ports']),
      // Not ranked on: the profile's exact counts fill them in.
      tcpFlows: 0,
      synOnlyFlows: num(r['syn_only']),
      ampFlows: 0,
      ampBytes: 0,
      rank: 0,
    };
  });
}

/** The scale metrics each role is ranked on. */
export const SOURCE_METRICS: (keyof HostMetrics)[] = [
  'peers',
  'flows',
  'packets',
  'bytes',
  'ports',
  'synOnlyFlows',
];
export const DESTINATION_METRICS: (keyof HostMetrics)[] = ['peers', 'packets', 'bytes'];

/**
 * Keeps the `n` hosts with the best position on any of the metrics. Equal
 * values share a position (1 + the number of hosts with more), so a tie is
 * never broken by something as arbitrary as the address, and a metric on
 * which a host has nothing gives it no position; among equal best positions,
 * more peers come first.
 */
export function combinedTop(hosts: HostMetrics[], metrics: (keyof HostMetrics)[], n: number): HostMetrics[] {
  for (const h of hosts) h.rank = Number.POSITIVE_INFINITY;
  for (const m of metrics) {
    const sorted = [...hosts].sort((a, b) => (b[m] as number) - (a[m] as number));
    let pos = 0;
    sorted.forEach((h, i) => {
      const v = h[m] as number;
      if (i === 0 || v !== (sorted[i - 1]![m] as number)) pos = i + 1;
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
  const src = toMetrics(
    'source',
    rows.filter((r) => num(r['role']) === 0),
  );
  const dst = toMetrics(
    'destination',
    rows.filter((r) => num(r['role']) === 1),
  );
  return {
    sources: combinedTop(src, SOURCE_METRICS, t.topN),
    destinations: combinedTop(dst, DESTINATION_METRICS, t.topN),
  };
}
