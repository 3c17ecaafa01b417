/**
 * @module Stage 2 — profile each kept host: protocol and TCP-flag mix,
 * ports, packets per flow, octets per flow, the joint port-packets-octets
 * combinations, the source-port profile, ingress points and (for victims)
 * the top peers. One query for all hosts and all dimensions: each dimension
 * is a GROUP BY branch, and the engine cuts each (dimension, host) group to
 * its top 10 and says how many distinct values it had.
 */

import { formatHiLo } from '../flow/address.js';
import { big, num } from '../store/queries.js';
import { join, raw, type Sql, sql } from '../store/sql.js';
import type { FlowStore } from '../store/types.js';
import type { HostMetrics, Role } from './rank.js';

export const TOP_VALUES = 10;

/** One value of a dimension with its counts and its share of the host's flows. */
export interface ValueShare {
  value: string;
  flows: number;
  packets: number;
  bytes: number;
  share: number;
}

export interface Distribution {
  /** Number of distinct values. */
  distinct: number;
  top: ValueShare[];
}

export interface Profile {
  protocols: Distribution;
  tcpFlags: Distribution;
  /** Destination ports (source role) or destination ports hit (destination role). */
  dstPorts: Distribution;
  srcPorts: Distribution;
  packetsPerFlow: Distribution;
  octetsPerFlow: Distribution;
  /** Joint `port-packets-octets` (port = dst port for sources, src port for destinations). */
  ppo: Distribution;
  ingress: Distribution;
  /** Top peers (the other side) by bytes; for victims these are the attackers or reflectors. */
  peers: Distribution;
  /** Share of flows whose source port is ephemeral (≥ 1024). */
  ephemeralSrcShare: number;
}

type Dim = keyof Omit<Profile, 'ephemeralSrcShare'>;

interface DimSpec {
  dim: Dim;
  /** Up to four value columns. */
  cols: (role: Role) => string[];
  order: 'flows' | 'bytes';
}

const DIMS: DimSpec[] = [
  { dim: 'protocols', cols: () => ['proto'], order: 'flows' },
  { dim: 'tcpFlags', cols: () => ['flags'], order: 'flows' },
  { dim: 'dstPorts', cols: () => ['dport'], order: 'flows' },
  { dim: 'srcPorts', cols: () => ['sport'], order: 'flows' },
  { dim: 'packetsPerFlow', cols: () => ['packets'], order: 'flows' },
  { dim: 'octetsPerFlow', cols: () => ['bytes'], order: 'flows' },
  { dim: 'ppo', cols: (r) => [r === 'source' ? 'dport' : 'sport', 'packets', 'bytes'], order: 'flows' },
  { dim: 'ingress', cols: () => ['exporter_hi', 'exporter_lo', 'in_if'], order: 'flows' },
  {
    dim: 'peers',
    cols: (r) => (r === 'source' ? ['dst_hi', 'dst_lo'] : ['src_hi', 'src_lo']),
    order: 'bytes',
  },
];

function keyCols(role: Role): [string, string] {
  return role === 'source' ? ['src_hi', 'src_lo'] : ['dst_hi', 'dst_lo'];
}

function hostSet(role: Role, hosts: readonly HostMetrics[]): Sql {
  const [h, l] = keyCols(role);
  const tuples = join(
    hosts.map((x) => sql`(${x.hi}, ${x.lo})`),
    ', ',
  );
  return sql`(${raw(h)}, ${raw(l)}) IN (${tuples})`;
}

export function profileQuery(
  store: FlowStore,
  from: Sql,
  role: Role,
  hosts: readonly HostMetrics[],
  w0: number,
  w1: number,
): Sql {
  const [h, l] = keyCols(role);
  const d = store.dialect;
  // The kept hosts' flows are read once; every dimension groups that small set.
  return d.withTables(
    [['hw', sql`SELECT * FROM ${from} WHERE te >= ${w0} AND te < ${w1} AND ${hostSet(role, hosts)}`]],
    (ref) => {
      const branches = DIMS.map((dim, i) => {
        const cols = dim.cols(role);
        const vs = [0, 1, 2, 3]
          .map((k) => (cols[k] ? `${cols[k]} AS v${k + 1}` : `0 AS v${k + 1}`))
          .join(', ');
        return sql`SELECT ${i} AS dim, ${raw(h)} AS hi, ${raw(l)} AS lo, ${raw(vs)}, count(*) AS n, sum(packets) AS p, sum(bytes) AS b, sum(CASE WHEN sport >= 1024 THEN 1 ELSE 0 END) AS eph FROM ${ref('hw')} GROUP BY ${raw([h, l, ...cols].join(', '))}`;
      });
      // Flows for the ordering; bytes for the peers dimension (who carries the volume).
      const peersDim = DIMS.findIndex((x) => x.dim === 'peers');
      const inner = sql`SELECT dim, hi, lo, v1, v2, v3, v4, n, p, b, eph, CASE WHEN dim = ${peersDim} THEN b ELSE n END AS ord FROM (${join(branches, ' UNION ALL ')}) AS u`;
      return d.topPerGroup(inner, ['dim', 'hi', 'lo'], 'ord DESC, v1, v2, v3, v4', TOP_VALUES);
    },
  );
}

function valueText(dim: Dim, r: Record<string, unknown>): string {
  switch (dim) {
    case 'ppo':
      return `${num(r['v1'])}-${num(r['v2'])}-${num(r['v3'])}`;
    case 'ingress':
      return `${formatHiLo(big(r['v1']), big(r['v2']))}/${num(r['v3'])}`;
    case 'peers':
      return formatHiLo(big(r['v1']), big(r['v2']));
    default:
      return String(num(r['v1']));
  }
}

function emptyProfile(): Profile {
  const d = (): Distribution => ({ distinct: 0, top: [] });
  return {
    protocols: d(),
    tcpFlags: d(),
    dstPorts: d(),
    srcPorts: d(),
    packetsPerFlow: d(),
    octetsPerFlow: d(),
    ppo: d(),
    ingress: d(),
    peers: d(),
    ephemeralSrcShare: 0,
  };
}

/** Profiles every host of one role; returns a map from address text to profile. */
export async function profileHosts(
  store: FlowStore,
  role: Role,
  hosts: readonly HostMetrics[],
  w0: number,
  w1: number,
): Promise<Map<string, Profile>> {
  const out = new Map<string, Profile>();
  if (hosts.length === 0) return out;
  const byIp = new Map(hosts.map((x) => [x.ip, x]));
  for (const x of hosts) out.set(x.ip, emptyProfile());
  // Bounded IN lists: profile the hosts in slices.
  for (let i = 0; i < hosts.length; i += 1000) {
    const slice = hosts.slice(i, i + 1000);
    const rows = await store.queryFlows({ from: w0, to: w1 }, (from) =>
      profileQuery(store, from, role, slice, w0, w1),
    );
    const ephemeral = new Map<string, number>();
    for (const r of rows) {
      const ip = formatHiLo(big(r['hi']), big(r['lo']));
      const p = out.get(ip);
      const m = byIp.get(ip);
      if (!p || !m) continue;
      const dim = DIMS[num(r['dim'])]!.dim;
      const dist = p[dim];
      dist.distinct = num(r['group_rows']);
      const flows = num(r['n']);
      dist.top.push({
        value: valueText(dim, r),
        flows,
        packets: num(r['p']),
        bytes: num(r['b']),
        share: m.flows > 0 ? flows / m.flows : 0,
      });
      if (dim === 'protocols') ephemeral.set(ip, (ephemeral.get(ip) ?? 0) + num(r['eph']));
    }
    for (const [ip, eph] of ephemeral) {
      const p = out.get(ip)!;
      const m = byIp.get(ip)!;
      p.ephemeralSrcShare = m.flows > 0 ? eph / m.flows : 0;
    }
  }
  for (const p of out.values()) {
    for (const dim of DIMS) {
      const order =
        dim.order === 'bytes'
          ? (a: ValueShare, b: ValueShare) => b.bytes - a.bytes
          : (a: ValueShare, b: ValueShare) => b.flows - a.flows;
      p[dim.dim].top.sort((a, b) => order(a, b) || a.value.localeCompare(b.value, 'en', { numeric: true }));
    }
  }
  return out;
}
