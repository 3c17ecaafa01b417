/**
 * @module Distributed scans: many sources, each touching only a few
 * targets once with the same port-packets-octets combination, together
 * covering a large share of one /24 in a window. No member crosses a
 * per-host threshold; the crowd does. Found with one grouping of the
 * window's short flows by (protocol, port, packets, octets, destination
 * /24), then the members of the crowds that qualify.
 */

import { formatHiLo } from '../flow/address.js';
import { big, num } from '../store/queries.js';
import { raw, sql } from '../store/sql.js';
import type { FlowStore } from '../store/types.js';
import { APPROX_SLACK } from './rank.js';
import type { Thresholds } from './thresholds.js';

/** IPv4-mapped addresses (`::ffff:a.b.c.d`): the low half between these, the high half 0. */
const V4_LO_MIN = 0xffff_0000_0000;
const V4_LO_MAX = 0xffff_ffff_ffff;

export interface CrowdMember {
  ip: string;
  flows: number;
  targets: number;
}

export interface Crowd {
  proto: number;
  port: number;
  packets: number;
  octets: number;
  /** The /24 covered, e.g. `140.112.7.0/24`, and its network address. */
  prefix: string;
  network: string;
  /** Distinct addresses of the prefix reached. */
  covered: number;
  flows: number;
  bytes: number;
  members: CrowdMember[];
}

/** The crowds of `[w0, w1)`; `perHost(proto, port)` is the per-host threshold a member stays below. */
export async function findCrowds(
  store: FlowStore,
  w0: number,
  w1: number,
  t: Thresholds,
  perHost: (proto: number, port: number) => number,
): Promise<Crowd[]> {
  const c = t.distributed;
  const d = store.dialect;
  const minCovered = Math.ceil(256 * c.minCoverage);
  const short = sql`te >= ${w0} AND te < ${w1} AND dst_hi = 0 AND dst_lo >= ${V4_LO_MIN} AND dst_lo <= ${V4_LO_MAX} AND packets <= ${c.maxPackets}`;
  // Candidates with the engine's cheap approximate counts (a little below the bars), then the exact
  // counts for those alone: what is reported rests on exact numbers, the same on every engine.
  const slack = APPROX_SLACK;
  const minFlows = Math.max(Math.floor(c.minSources * slack), Math.floor(minCovered * slack));
  const candidates = await store.queryFlows({ from: w0, to: w1 }, (from) =>
    d.withTables(
      [
        [
          'short',
          sql`SELECT proto, dport, packets, bytes, dst_lo - dst_lo % 256 AS net, src_lo, dst_lo FROM ${from} WHERE ${short}`,
        ],
      ],
      (ref) => {
        // Most combinations of a window are a few flows (octets vary): only those with as many flows as a
        // crowd needs addresses are counted, so the approximate distinct counts are kept for a few groups.
        const sizable = sql`SELECT proto, dport, packets, bytes, net FROM (SELECT proto, dport, packets, bytes, net, count(*) AS n
          FROM ${ref('short')} GROUP BY proto, dport, packets, bytes, net) AS c WHERE n >= ${minFlows}`;
        const g = sql`SELECT proto, dport, packets, bytes, net, ${raw(d.uint('count(*)'))} AS flows,
            ${raw(d.uint(d.approxDistinct('src_lo')))} AS sources, ${raw(d.uint(d.approxDistinct('dst_lo')))} AS covered
          FROM ${ref('short')} WHERE (proto, dport, packets, bytes, net) IN (${sizable}) GROUP BY proto, dport, packets, bytes, net`;
        return sql`SELECT proto, dport, packets, bytes, net FROM (${g}) AS g
          WHERE sources >= ${Math.floor(c.minSources * slack)} AND covered >= ${Math.floor(minCovered * slack)}
            AND flows <= covered * ${c.maxFlowsPerTarget / slack}
          ORDER BY covered DESC, proto, dport, packets, bytes, net LIMIT 200`;
      },
    ),
  );
  if (candidates.length === 0) return [];
  const candidateKeys = candidates.map((g) => [
    num(g['proto']),
    num(g['dport']),
    num(g['packets']),
    num(g['bytes']),
    big(g['net']),
  ]);
  const groups = await store.queryFlows({ from: w0, to: w1 }, (from) => {
    const set = d.inTuples(['proto', 'dport', 'packets', 'bytes', 'dst_lo - dst_lo % 256'], candidateKeys);
    const g = sql`SELECT proto, dport, packets, bytes, dst_lo - dst_lo % 256 AS net, ${raw(d.uint('count(*)'))} AS flows,
        ${raw(d.uint(d.countDistinct(['src_hi', 'src_lo'])))} AS sources, ${raw(d.uint(d.countDistinct(['dst_lo'])))} AS covered
      FROM ${from} WHERE ${short} AND ${set} GROUP BY proto, dport, packets, bytes, net`;
    return sql`SELECT * FROM (${g}) AS g WHERE sources >= ${c.minSources} AND covered >= ${minCovered} AND flows <= covered * ${c.maxFlowsPerTarget}
      ORDER BY covered DESC, proto, dport, packets, bytes, net LIMIT 100`;
  });
  if (groups.length === 0) return [];
  const keys = groups.map((g) => [
    num(g['proto']),
    num(g['dport']),
    num(g['packets']),
    num(g['bytes']),
    big(g['net']),
  ]);
  const rows = await store.queryFlows({ from: w0, to: w1 }, (from) => {
    const set = d.inTuples(['proto', 'dport', 'packets', 'bytes', 'dst_lo - dst_lo % 256'], keys);
    return sql`SELECT proto, dport, packets, bytes, dst_lo - dst_lo % 256 AS net, src_hi, src_lo,
        ${raw(d.uint('count(*)'))} AS flows, ${raw(d.uint(d.countDistinct(['dst_lo'])))} AS targets
      FROM ${from} WHERE ${short} AND ${set} GROUP BY proto, dport, packets, bytes, net, src_hi, src_lo`;
  });
  const byGroup = new Map<string, CrowdMember[]>();
  const gk = (r: Record<string, unknown>) =>
    `${num(r['proto'])}/${num(r['dport'])}/${num(r['packets'])}/${num(r['bytes'])}/${big(r['net'])}`;
  for (const r of rows) {
    const k = gk(r);
    let list = byGroup.get(k);
    if (!list) {
      list = [];
      byGroup.set(k, list);
    }
    list.push({
      ip: formatHiLo(big(r['src_hi']), big(r['src_lo'])),
      flows: num(r['flows']),
      targets: num(r['targets']),
    });
  }
  const out: Crowd[] = [];
  for (const g of groups) {
    const proto = num(g['proto']);
    const port = num(g['dport']);
    const limit = perHost(proto, port);
    // Members stay below what gets one host reported on its own; a host that crosses it is a scanner, not a crowd.
    const members = (byGroup.get(gk(g)) ?? [])
      .filter((m) => m.targets < limit && m.flows <= m.targets * c.maxFlowsPerTarget)
      .sort(
        (a, b) =>
          b.targets - a.targets || b.flows - a.flows || a.ip.localeCompare(b.ip, 'en', { numeric: true }),
      );
    if (members.length < c.minSources) continue;
    const network = formatHiLo(0n, big(g['net']));
    const packets = num(g['packets']);
    const octets = num(g['bytes']);
    const flows = members.reduce((a, m) => a + m.flows, 0);
    out.push({
      proto,
      port,
      packets,
      octets,
      prefix: `${network}/24`,
      network,
      covered: num(g['covered']),
      flows,
      bytes: flows * octets,
      members,
    });
  }
  return out;
}
