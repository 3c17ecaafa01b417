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
import { AMP_FLOW, type HostMetrics, type Role, SYN_ONLY } from './rank.js';

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

type Dim = keyof Omit<Profile, 'ephemeralSrcShare'> | 'total';

interface DimSpec {
  dim: Dim;
  /** Up to four value columns. */
  cols: (role: Role) => string[];
  order: 'flows' | 'bytes';
}

const DIMS: DimSpec[] = [
  // One row per host: the exact totals (v1..v4 carry SYN-only, TCP, amplification flows and bytes).
  { dim: 'total', cols: () => [], order: 'flows' },
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

function hostSet(store: FlowStore, role: Role, hosts: readonly HostMetrics[]): Sql {
  return store.dialect.inTuples(
    keyCols(role),
    hosts.map((x) => [x.hi, x.lo]),
  );
}

/** Exact window metrics of a profiled host, from the profile query's `total` row and distinct counts. */
export type ExactMetrics = Pick<
  HostMetrics,
  'flows' | 'packets' | 'bytes' | 'peers' | 'ports' | 'tcpFlows' | 'synOnlyFlows' | 'ampFlows' | 'ampBytes'
>;

/** Each (role, dimension, host) group's top values, by flows (bytes for peers), ties by value. */
const GROUP = ['role', 'dim', 'hi', 'lo'];
const GROUP_ORDER = 'ord DESC, v1, v2, v3, v4';
const GROUP_COLUMNS = ['v1', 'v2', 'v3', 'v4', 'n', 'p', 'b', 'eph'];

/**
 * Both roles' kept hosts in one query: their flows are read from the window
 * once (`hw`), then every dimension groups that smaller set.
 */
export function profileQuery(
  store: FlowStore,
  from: Sql,
  sources: readonly HostMetrics[],
  destinations: readonly HostMetrics[],
  w0: number,
  w1: number,
): Sql {
  const d = store.dialect;
  if (d.engine === 'clickhouse') return profileQueryFanOut(store, from, sources, destinations, w0, w1);
  const sets: [Role, Sql][] = [];
  if (sources.length) sets.push(['source', hostSet(store, 'source', sources)]);
  if (destinations.length) sets.push(['destination', hostSet(store, 'destination', destinations)]);
  const any = join(
    sets.map(([, s]) => s),
    ' OR ',
  );
  return d.withTables(
    [['hw', sql`SELECT * FROM ${from} WHERE te >= ${w0} AND te < ${w1} AND (${any})`]],
    (ref) => {
      const branches: Sql[] = [];
      for (const [role, set] of sets) {
        const [h, l] = keyCols(role);
        DIMS.forEach((dim, i) => {
          const cols = dim.cols(role);
          const vs =
            dim.dim === 'total'
              ? `sum(CASE WHEN ${SYN_ONLY} THEN 1 ELSE 0 END) AS v1, sum(CASE WHEN proto = 6 THEN 1 ELSE 0 END) AS v2, sum(CASE WHEN ${AMP_FLOW} THEN 1 ELSE 0 END) AS v3, sum(CASE WHEN ${AMP_FLOW} THEN bytes ELSE 0 END) AS v4`
              : [0, 1, 2, 3].map((k) => (cols[k] ? `${cols[k]} AS v${k + 1}` : `0 AS v${k + 1}`)).join(', ');
          branches.push(
            sql`SELECT ${role === 'source' ? 0 : 1} AS role, ${i} AS dim, ${raw(h)} AS hi, ${raw(l)} AS lo, ${raw(vs)}, count(*) AS n, sum(packets) AS p, sum(bytes) AS b, sum(CASE WHEN sport >= 1024 THEN 1 ELSE 0 END) AS eph FROM ${ref('hw')} WHERE ${set} GROUP BY ${raw([h, l, ...cols].join(', '))}`,
          );
        });
      }
      // Flows for the ordering; bytes for the peers dimension (who carries the volume).
      const peersDim = DIMS.findIndex((x) => x.dim === 'peers');
      const inner = sql`SELECT role, dim, hi, lo, v1, v2, v3, v4, n, p, b, eph, CASE WHEN dim = ${peersDim} THEN b ELSE n END AS ord FROM (${join(branches, ' UNION ALL ')}) AS u`;
      return d.topPerGroup(inner, GROUP, GROUP_ORDER, TOP_VALUES, GROUP_COLUMNS);
    },
  );
}

/**
 * The same rows for ClickHouse, which has no CTEs (18.16): inlining the kept
 * hosts' flows into each of the 20 branches would scan the window 20 times
 * and repeat the host lists past the server's AST limit. Instead one scan
 * marks each flow with the roles whose kept host it has, fans it out (an
 * `ARRAY JOIN`, filtered by a mask: 18.16's lambdas cannot read columns) to
 * one row per (role, dimension) with that dimension's
 * values, and one GROUP BY makes every branch's groups at once; for the
 * `total` dimension the values are per-flow indicators, summed.
 */
function profileQueryFanOut(
  store: FlowStore,
  from: Sql,
  sources: readonly HostMetrics[],
  destinations: readonly HostMetrics[],
  w0: number,
  w1: number,
): Sql {
  const d = store.dialect;
  const isS = sources.length ? hostSet(store, 'source', sources) : raw('0');
  const isD = destinations.length ? hostSet(store, 'destination', destinations) : raw('0');
  const u = (x: string) => `toUInt64(${x})`;
  const rows: string[] = [];
  const masks: string[] = [];
  for (const role of ['source', 'destination'] as Role[]) {
    const [h, l] = keyCols(role);
    DIMS.forEach((dim, i) => {
      const vs =
        dim.dim === 'total'
          ? [`${SYN_ONLY}`, 'proto = 6', AMP_FLOW, `if(${AMP_FLOW}, bytes, 0)`]
          : [0, 1, 2, 3].map((k) => dim.cols(role)[k] ?? '0');
      rows.push(`(${[role === 'source' ? '0' : '1', String(i), h, l, ...vs].map(u).join(', ')})`);
      masks.push(role === 'source' ? 'is_s' : 'is_d');
    });
  }
  const peersDim = DIMS.findIndex((x) => x.dim === 'peers');
  const t = DIMS.findIndex((x) => x.dim === 'total');
  const flows = sql`SELECT proto, flags, sport, dport, packets, bytes, src_hi, src_lo, dst_hi, dst_lo, exporter_hi, exporter_lo, in_if, ${isS} AS is_s, ${isD} AS is_d
    FROM ${from} WHERE te >= ${w0} AND te < ${w1} AND (is_s OR is_d)`;
  const fanned = sql`SELECT tupleElement(r, 1) AS role, tupleElement(r, 2) AS dim, tupleElement(r, 3) AS hi, tupleElement(r, 4) AS lo,
      tupleElement(r, 5) AS x1, tupleElement(r, 6) AS x2, tupleElement(r, 7) AS x3, tupleElement(r, 8) AS x4,
      packets AS fp, bytes AS fb, sport >= 1024 AS fe
    FROM (${flows}) AS f
    ARRAY JOIN arrayFilter((t, m) -> m, [${raw(rows.join(', '))}], [${raw(masks.join(', '))}]) AS r`;
  const inner = sql`SELECT role, dim, hi, lo,
      if(dim = ${t}, sum(x1), k1) AS v1, if(dim = ${t}, sum(x2), k2) AS v2, if(dim = ${t}, sum(x3), k3) AS v3, if(dim = ${t}, sum(x4), k4) AS v4,
      count() AS n, sum(fp) AS p, sum(fb) AS b, sum(fe) AS eph, if(dim = ${peersDim}, b, n) AS ord,
      if(dim = ${t}, 0, x1) AS k1, if(dim = ${t}, 0, x2) AS k2, if(dim = ${t}, 0, x3) AS k3, if(dim = ${t}, 0, x4) AS k4
    FROM (${fanned}) AS x GROUP BY role, dim, hi, lo, k1, k2, k3, k4`;
  return d.topPerGroup(inner, GROUP, GROUP_ORDER, TOP_VALUES, GROUP_COLUMNS);
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

/** Profiles every kept host of both roles; returns, per role and address, the profile and exact metrics. */
export async function profileHosts(
  store: FlowStore,
  sources: readonly HostMetrics[],
  destinations: readonly HostMetrics[],
  w0: number,
  w1: number,
): Promise<Map<string, { profile: Profile; exact: ExactMetrics }>> {
  const out = new Map<string, { profile: Profile; exact: ExactMetrics }>();
  const key = (role: Role, ip: string) => `${role}|${ip}`;
  for (const m of [...sources, ...destinations]) {
    out.set(key(m.role, m.ip), {
      profile: emptyProfile(),
      exact: {
        flows: 0,
        packets: 0,
        bytes: 0,
        peers: 0,
        ports: 0,
        tcpFlows: 0,
        synOnlyFlows: 0,
        ampFlows: 0,
        ampBytes: 0,
      },
    });
  }
  if (out.size === 0) return out;
  // Bounded IN lists: profile the hosts in slices.
  const SLICE = 1000;
  for (let i = 0; i < Math.max(sources.length, destinations.length); i += SLICE) {
    const s = sources.slice(i, i + SLICE);
    const d = destinations.slice(i, i + SLICE);
    if (s.length === 0 && d.length === 0) continue;
    const rows = await store.queryFlows({ from: w0, to: w1 }, (from) =>
      profileQuery(store, from, s, d, w0, w1),
    );
    for (const r of rows) {
      const role: Role = num(r['role']) === 0 ? 'source' : 'destination';
      const ip = formatHiLo(big(r['hi']), big(r['lo']));
      const entry = out.get(key(role, ip));
      if (!entry) continue;
      const dim = DIMS[num(r['dim'])]!.dim;
      const flows = num(r['n']);
      if (dim === 'total') {
        const x = entry.exact;
        x.flows = flows;
        x.packets = num(r['p']);
        x.bytes = num(r['b']);
        x.synOnlyFlows = num(r['v1']);
        x.tcpFlows = num(r['v2']);
        x.ampFlows = num(r['v3']);
        x.ampBytes = num(r['v4']);
        entry.profile.ephemeralSrcShare = flows > 0 ? num(r['eph']) / flows : 0;
        continue;
      }
      const dist = entry.profile[dim];
      dist.distinct = num(r['group_rows']);
      dist.top.push({ value: valueText(dim, r), flows, packets: num(r['p']), bytes: num(r['b']), share: 0 });
      if (dim === 'peers') entry.exact.peers = dist.distinct;
      if (dim === (role === 'source' ? 'dstPorts' : 'srcPorts')) entry.exact.ports = dist.distinct;
    }
  }
  for (const { profile, exact } of out.values()) {
    for (const dim of DIMS) {
      if (dim.dim === 'total') continue;
      const dist = profile[dim.dim];
      for (const v of dist.top) v.share = exact.flows > 0 ? v.flows / exact.flows : 0;
      const order =
        dim.order === 'bytes'
          ? (a: ValueShare, b: ValueShare) => b.bytes - a.bytes
          : (a: ValueShare, b: ValueShare) => b.flows - a.flows;
      dist.top.sort((a, b) => order(a, b) || a.value.localeCompare(b.value, 'en', { numeric: true }));
    }
  }
  return out;
}
