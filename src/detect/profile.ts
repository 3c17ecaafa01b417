/**
 * @module Stage 2 — profile each kept host: protocol and TCP-flag mix,
 * ports, packets per flow, octets per flow, the joint port-packets-octets
 * combinations, the source-port profile, ingress points and (for victims)
 * the top peers. One query for all hosts and all dimensions: each dimension
 * is a GROUP BY branch, and the engine cuts each (dimension, host) group to
 * its top 10 and says how many distinct values it had.
 */

import { formatHiLo } from '../flow/address.js';
import { EPHEMERAL_PORT_MIN } from '../flow/names.js';
import { storageColumns } from '../flow/schema.js';
import { big, num } from '../store/queries.js';
import { raw, type Sql, sql } from '../store/sql.js';
import type { FlowStore } from '../store/types.js';
import {
  columnsIn,
  type HostMetrics,
  METRICS,
  type Metrics,
  ROLES,
  type Role,
  whereValue,
  zeroMetrics,
} from './metrics.js';

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
  /** The roles whose rules read it (its distinct count or its top value): profiled at depth `classify` for them. */
  classify: readonly Role[];
  /** Its value columns at depth `classify`, where they differ. */
  classifyCols?: (role: Role) => string[];
}

/**
 * How much of a profile to compute: `full` (every dimension's top values,
 * what a report carries) or `classify` (only what the rules read: the
 * totals, the distinct counts and each of those dimensions' top value), so
 * that the hundreds of hosts ranked in a window are judged at a fraction of
 * the cost and only the few reported ones are profiled in full.
 */
export type ProfileDepth = 'full' | 'classify';

const BOTH: readonly Role[] = ['source', 'destination'];
const SOURCE: readonly Role[] = ['source'];

const DIMS: DimSpec[] = [
  // One row per host: the exact totals (v1, v2, ... carry the sums of SUMS).
  { dim: 'total', cols: () => [], order: 'flows', classify: BOTH },
  { dim: 'protocols', cols: () => ['proto'], order: 'flows', classify: [] },
  { dim: 'tcpFlags', cols: () => ['flags'], order: 'flows', classify: [] },
  // A source's distinct destination ports and top port's share; no destination rule reads its ports.
  { dim: 'dstPorts', cols: () => ['dport'], order: 'flows', classify: SOURCE },
  {
    dim: 'srcPorts',
    cols: () => ['sport'],
    order: 'flows',
    // Whether a source is a server: one well-known port carries 80 % of its flows. Its ephemeral
    // ports are one value to that question (1024): a client's thousands of them are not grouped apart.
    classify: SOURCE,
    classifyCols: () => [`CASE WHEN sport < ${EPHEMERAL_PORT_MIN} THEN sport ELSE ${EPHEMERAL_PORT_MIN} END`],
  },
  { dim: 'packetsPerFlow', cols: () => ['packets'], order: 'flows', classify: [] },
  { dim: 'octetsPerFlow', cols: () => ['bytes'], order: 'flows', classify: [] },
  {
    dim: 'ppo',
    cols: (r) => [r === 'source' ? 'dport' : 'sport', 'packets', 'bytes'],
    order: 'flows',
    classify: BOTH,
  },
  { dim: 'ingress', cols: () => ['exporter_hi', 'exporter_lo', 'in_if'], order: 'flows', classify: [] },
  {
    dim: 'peers',
    cols: (r) => (r === 'source' ? ['dst_hi', 'dst_lo'] : ['src_hi', 'src_lo']),
    order: 'bytes',
    classify: BOTH,
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
export type ExactMetrics = Metrics;

/**
 * Where the `total` row carries each metric that is not a distinct count:
 * its flows (`n`), packets (`p`), bytes (`b`), or the sum of a per-flow
 * value in a slot `v1`, `v2`, ... of its own.
 */
const TOTAL: Partial<Record<keyof Metrics, string>> = {};
/** The per-flow values summed into the slots, in slot order. */
const SUMS: string[] = [];
for (const m of METRICS) {
  const per = m.per;
  if ('count' in per) TOTAL[m.key] = 'n';
  else if ('distinct' in per) continue;
  else if (!('where' in per) && per.sum === 'packets') TOTAL[m.key] = 'p';
  else if (!('where' in per) && per.sum === 'bytes') TOTAL[m.key] = 'b';
  else {
    SUMS.push('where' in per ? whereValue(per) : per.sum);
    TOTAL[m.key] = `v${SUMS.length}`;
  }
}

/** Value slots: as many as the widest dimension's columns or the total row's sums. */
const SLOTS = Array.from(
  {
    length: Math.max(
      SUMS.length,
      ...DIMS.flatMap((x) => [x.cols('source').length, x.cols('destination').length]),
    ),
  },
  (_, i) => i + 1,
);

/** Each (role, dimension, host) group's top values, by flows (bytes for peers), ties by value. */
const GROUP = ['role', 'dim', 'hi', 'lo'];
const GROUP_ORDER = ['ord DESC', ...SLOTS.map((k) => `v${k}`)].join(', ');
const GROUP_COLUMNS = [...SLOTS.map((k) => `v${k}`), 'n', 'p', 'b', 'eph'];

/**
 * The flow columns a profile reads: the hosts' keys, the counters, the
 * ephemeral test's source port, its dimensions' value columns and the total
 * row's sums (the classifying depth reads no ingress columns).
 */
function profileColumns(dimCols: readonly string[]): string[] {
  return columnsIn(
    ['src_hi src_lo dst_hi dst_lo packets bytes sport', ...dimCols, ...SUMS],
    storageColumns().map((c) => c.name),
  );
}
/** The metrics that are a profile dimension's distinct count. */
const DISTINCT = METRICS.flatMap((m) => {
  const per = m.per;
  return 'distinct' in per ? [{ key: m.key, per }] : [];
});
const MARK: Record<Role, string> = { source: 'is_s', destination: 'is_d' };

/**
 * Both roles' kept hosts in one query: each flow of the window is matched
 * against the host sets once (a mark per role) and fanned out to a row per
 * (role, dimension) of the kept host it has, whose keys `k1..k4` are that
 * dimension's values; for the `total` dimension the keys are 0 and the
 * per-flow values `x1, x2, ...` of the metrics' sums are summed. The engine then cuts each group to its top values.
 */
export function profileQuery(
  store: FlowStore,
  from: Sql,
  sources: readonly HostMetrics[],
  destinations: readonly HostMetrics[],
  w0: number,
  w1: number,
  depth: ProfileDepth = 'full',
): Sql {
  const d = store.dialect;
  const dimsOf = (role: Role) => (depth === 'full' ? DIMS : DIMS.filter((x) => x.classify.includes(role)));
  const colsOf = (dim: DimSpec, role: Role) =>
    depth === 'classify' && dim.classifyCols ? dim.classifyCols(role) : dim.cols(role);
  const marks: [string, Sql][] = [];
  if (sources.length) marks.push([MARK.source, hostSet(store, 'source', sources)]);
  if (destinations.length) marks.push([MARK.destination, hostSet(store, 'destination', destinations)]);
  const branches = marks.flatMap(([mark]) => {
    const role: Role = mark === MARK.source ? 'source' : 'destination';
    const [h, l] = keyCols(role);
    return dimsOf(role).map((dim) => {
      const i = DIMS.indexOf(dim);
      const total = dim.dim === 'total';
      const cols = colsOf(dim, role);
      const x = total ? SUMS : [];
      const values: Record<string, string> = {
        role: role === 'source' ? '0' : '1',
        dim: String(i),
        hi: h,
        lo: l,
        // The ephemeral share is the host's, read from its total row only.
        eph_f: total ? 'CASE WHEN sport >= 1024 THEN 1 ELSE 0 END' : '0',
      };
      for (const k of SLOTS) {
        values[`k${k}`] = total ? '0' : (cols[k - 1] ?? '0');
        values[`x${k}`] = x[k - 1] ?? '0';
      }
      return { when: mark, values };
    });
  });
  const keys = SLOTS.map((k) => `k${k}`);
  const names = ['role', 'dim', 'hi', 'lo', ...keys, ...SLOTS.map((k) => `x${k}`), 'eph_f'];
  const groups = d.fanGroup(from, {
    range: { from: w0, to: w1 },
    columns: profileColumns(ROLES.flatMap((r) => dimsOf(r).flatMap((x) => colsOf(x, r)))),
    marks,
    names,
    group: ['role', 'dim', 'hi', 'lo', ...keys],
    aggregates: [
      { as: 'n', fn: 'count' },
      { as: 'p', fn: 'sum', of: 'packets' },
      { as: 'b', fn: 'sum', of: 'bytes' },
      { as: 'eph', fn: 'sum', of: 'eph_f' },
      ...SLOTS.map((k) => ({ as: `s${k}`, fn: 'sum' as const, of: `x${k}` })),
    ],
    branches,
  });
  // Flows for the ordering; bytes for the peers dimension (who carries the volume).
  const t = DIMS.findIndex((x) => x.dim === 'total');
  const peersDim = DIMS.findIndex((x) => x.dim === 'peers');
  const v = SLOTS.map((k) => `CASE WHEN dim = ${t} THEN s${k} ELSE k${k} END AS v${k}`).join(', ');
  const inner = sql`SELECT role, dim, hi, lo, ${raw(v)}, n, p, b, eph, CASE WHEN dim = ${peersDim} THEN b ELSE n END AS ord FROM (${groups}) AS g`;
  return d.topPerGroup(inner, GROUP, GROUP_ORDER, depth === 'full' ? TOP_VALUES : 1, GROUP_COLUMNS);
}

/** A `port-packets-octets` value of {@link Profile.ppo}, as in the paper (`22-4-240`). */
export function ppoText(port: number, packets: number, octets: number): string {
  return `${port}-${packets}-${octets}`;
}

/** Reads a {@link Profile.ppo} value back: the one place that reads that text. */
export function parsePpo(value: string): { port: number; packets: number; octets: number } | undefined {
  const m = /^(\d{1,5})-(\d{1,12})-(\d{1,15})$/.exec(value);
  if (!m) return undefined;
  return { port: Number(m[1]), packets: Number(m[2]), octets: Number(m[3]) };
}

function valueText(dim: Dim, r: Record<string, unknown>): string {
  switch (dim) {
    case 'ppo':
      return ppoText(num(r['v1']), num(r['v2']), num(r['v3']));
    case 'ingress':
      return `${formatHiLo(big(r['v1']), big(r['v2']))}/${num(r['v3'])}`;
    case 'peers':
      return formatHiLo(big(r['v1']), big(r['v2']));
    default:
      return String(num(r['v1']));
  }
}

export function emptyProfile(): Profile {
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

/**
 * Profiles every kept host of both roles; returns, per role and address, the
 * profile (at `classify` depth, the dimensions the rules do not read are empty
 * and the others hold their top value only) and the exact metrics.
 */
export async function profileHosts(
  store: FlowStore,
  sources: readonly HostMetrics[],
  destinations: readonly HostMetrics[],
  w0: number,
  w1: number,
  depth: ProfileDepth = 'full',
): Promise<Map<string, { profile: Profile; exact: ExactMetrics }>> {
  const out = new Map<string, { profile: Profile; exact: ExactMetrics }>();
  const key = (role: Role, ip: string) => `${role}|${ip}`;
  for (const m of [...sources, ...destinations]) {
    out.set(key(m.role, m.ip), { profile: emptyProfile(), exact: zeroMetrics() });
  }
  if (out.size === 0) return out;
  // Bounded IN lists: profile the hosts in slices.
  const SLICE = 1000;
  for (let i = 0; i < Math.max(sources.length, destinations.length); i += SLICE) {
    const s = sources.slice(i, i + SLICE);
    const d = destinations.slice(i, i + SLICE);
    if (s.length === 0 && d.length === 0) continue;
    const rows = await store.queryFlows({ from: w0, to: w1 }, (from) =>
      profileQuery(store, from, s, d, w0, w1, depth),
    );
    for (const r of rows) {
      const role: Role = num(r['role']) === 0 ? 'source' : 'destination';
      const ip = formatHiLo(big(r['hi']), big(r['lo']));
      const entry = out.get(key(role, ip));
      if (!entry) continue;
      const dim = DIMS[num(r['dim'])]!.dim;
      const flows = num(r['n']);
      if (dim === 'total') {
        for (const [k, c] of Object.entries(TOTAL)) entry.exact[k as keyof Metrics] = num(r[c]);
        entry.profile.ephemeralSrcShare = flows > 0 ? num(r['eph']) / flows : 0;
        continue;
      }
      const dist = entry.profile[dim];
      dist.distinct = num(r['group_rows']);
      dist.top.push({ value: valueText(dim, r), flows, packets: num(r['p']), bytes: num(r['b']), share: 0 });
      for (const m of DISTINCT) if (m.per.distinct[role].dim === dim) entry.exact[m.key] = dist.distinct;
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
