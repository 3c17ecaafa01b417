/**
 * @module The flow queries every engine runs, built once as engine-neutral SQL.
 */

import { formatHiLo } from '../flow/address.js';
import type { FlowRecord } from '../flow/record.js';
import { FLOW_COLUMNS, storageColumns } from '../flow/schema.js';
import { join, raw, type Sql, sql } from './sql.js';
import type { Dialect, FlowQuery, StatKey, StatOrder, StatRow, TimeRange, Totals } from './types.js';

export function timeWhere(r: TimeRange): Sql {
  const parts: Sql[] = [];
  if (r.from !== undefined) parts.push(sql`te >= ${Math.floor(r.from)}`);
  if (r.to !== undefined) parts.push(sql`te < ${Math.floor(r.to)}`);
  return parts.length ? join(parts, ' AND ') : raw('1=1');
}

export function whereOf(q: FlowQuery): Sql {
  const t = timeWhere(q);
  return q.where && !q.where.isEmpty ? sql`${t} AND (${q.where})` : t;
}

export function totalsQuery(from: Sql, q: FlowQuery): Sql {
  // Aliases never reuse a column's name: ClickHouse would substitute the alias inside the WHERE.
  return sql`SELECT count(*) AS n_flows, coalesce(sum(packets), 0) AS n_packets, coalesce(sum(bytes), 0) AS n_bytes FROM ${from} WHERE ${whereOf(q)}`;
}

export function toTotals(rows: Record<string, unknown>[]): Totals {
  const r = rows[0] ?? {};
  return { flows: num(r['n_flows']), packets: num(r['n_packets']), bytes: num(r['n_bytes']) };
}

export interface KeySpec {
  /** Columns projected as k1 (and k2 for addresses). */
  key: string[];
  peer: string[];
}

/** The sides of each statistic (`ip` and `port` count a flow once for each side), for both engines. */
export const SPECS: Record<StatKey, KeySpec[]> = {
  srcip: [{ key: ['src_hi', 'src_lo'], peer: ['dst_hi', 'dst_lo'] }],
  dstip: [{ key: ['dst_hi', 'dst_lo'], peer: ['src_hi', 'src_lo'] }],
  ip: [
    { key: ['src_hi', 'src_lo'], peer: ['dst_hi', 'dst_lo'] },
    { key: ['dst_hi', 'dst_lo'], peer: ['src_hi', 'src_lo'] },
  ],
  srcport: [{ key: ['sport'], peer: ['src_hi', 'src_lo'] }],
  dstport: [{ key: ['dport'], peer: ['src_hi', 'src_lo'] }],
  port: [
    { key: ['sport'], peer: ['src_hi', 'src_lo'] },
    { key: ['dport'], peer: ['src_hi', 'src_lo'] },
  ],
  proto: [{ key: ['proto'], peer: ['src_hi', 'src_lo'] }],
  exporter: [{ key: ['exporter_hi', 'exporter_lo'], peer: ['src_hi', 'src_lo'] }],
};

export interface StatAggregate {
  readonly as: string;
  readonly fn: 'count' | 'sum' | 'min' | 'max';
  readonly of?: string;
}

/** What each key's row of a statistic carries, of which column: one list for every engine's rendering. */
export const STAT_AGGREGATES: readonly StatAggregate[] = [
  { as: 'n_flows', fn: 'count' },
  { as: 'n_packets', fn: 'sum', of: 'packets' },
  { as: 'n_bytes', fn: 'sum', of: 'bytes' },
  { as: 'first_seen', fn: 'min', of: 'ts' },
  { as: 'last_seen', fn: 'max', of: 'te' },
];

/** A statistic aggregate as SQL (`count(*)`, `sum(packets)`, ...), of `of` or of another column. */
export function statAggregate(a: Omit<StatAggregate, 'as'>, of?: string): string {
  return a.fn === 'count' ? 'count(*)' : `${a.fn}(${of ?? a.of})`;
}

/**
 * A statistic declared once for every engine: the flows it reads, whether
 * its key is an address (`k1`, `k2`) or a number (`k1`), and its sides,
 * each with the projection of its key columns as `k1` (and `k2`) and its
 * peer columns. Each engine renders it in its own shape ({@link statQuery},
 * `clickhouse/queries.ts`); {@link toStatRows} reads both.
 */
export interface StatDecl {
  readonly where: Sql;
  readonly isAddr: boolean;
  readonly sides: readonly {
    readonly cols: readonly string[];
    readonly k: string;
    readonly peer: readonly string[];
  }[];
}

export function statDecl(q: FlowQuery, key: StatKey): StatDecl {
  const specs = SPECS[key];
  const isAddr = specs[0]!.key.length === 2;
  return {
    where: whereOf(q),
    isAddr,
    sides: specs.map((s) => ({
      cols: s.key,
      k: isAddr ? `${s.key[0]} AS k1, ${s.key[1]} AS k2` : `${s.key[0]} AS k1`,
      peer: s.peer,
    })),
  };
}

/**
 * Top-N statistic, like `nfdump -s KEY/ORDER -n N`, without the distinct
 * peers, with the totals of the same flows (columns `t_flows`, `t_packets`,
 * `t_bytes` on every row). For `ip` and `port` a flow counts once for each
 * side, as in nfdump. Ties break on the key so the answer is the same on
 * every engine.
 *
 * Every key is grouped without distinct counts (a set of peers per key, for
 * every key, when only `top` are shown, was most of the cost); the totals
 * are the sums of all groups (each flow is in exactly one group per side,
 * so for two sides the sums are halved). {@link peersQuery} then counts the
 * peers of the keys shown.
 */
export function statQuery(
  d: Dialect,
  from: Sql,
  q: FlowQuery,
  key: StatKey,
  order: StatOrder,
  top: number,
): Sql {
  const st = statDecl(q, key);
  const read = [...new Set(STAT_AGGREGATES.flatMap((a) => (a.of ? [a.of] : [])))].join(', ');
  const branches = st.sides.map(
    (s) =>
      sql`SELECT ${raw(s.k)}${raw(st.isAddr ? '' : ', 0 AS k2')}, ${raw(read)} FROM ${from} WHERE ${st.where}`,
  );
  const counted = branches.length === 1 ? branches[0]! : join(branches, ' UNION ALL ');
  // Two sides count each flow twice, exactly: the halved sum (through a double, exact below 2^53 like the JS number it becomes).
  const half = (c: string) =>
    st.sides.length === 1 ? `coalesce(sum(${c}), 0)` : d.uint(`coalesce(sum(${c}), 0) / 2`);
  return d.withTables(
    [
      [
        'g',
        sql`SELECT k1, k2, ${raw(STAT_AGGREGATES.map((a) => `${statAggregate(a)} AS ${a.as}`).join(', '))} FROM (${counted}) AS s GROUP BY k1, k2`,
      ],
      [
        'tot',
        sql`SELECT ${raw(half('n_flows'))} AS t_flows, ${raw(half('n_packets'))} AS t_packets, ${raw(half('n_bytes'))} AS t_bytes FROM g`,
      ],
    ],
    (ref) =>
      sql`SELECT t.*, tot.t_flows, tot.t_packets, tot.t_bytes FROM (SELECT * FROM ${ref('g')} ORDER BY ${raw(`n_${order} DESC, k1, k2`)} LIMIT ${Math.max(0, Math.floor(top))}) AS t CROSS JOIN ${ref('tot')} AS tot ORDER BY ${raw(`t.n_${order} DESC, t.k1, t.k2`)}`,
  );
}

/**
 * Distinct peers (columns `k1`, `k2`, `peers`) of the given keys of a
 * statistic, over the flows of `q`: the second pass of a top-N. The keys
 * are written into the query, each key column also as a plain IN list that
 * the engine can check in the scan, before reading the peer columns.
 */
export function peersQuery(
  d: Dialect,
  from: Sql,
  q: FlowQuery,
  key: StatKey,
  keys: readonly (readonly [number | bigint, number | bigint])[],
): Sql {
  const st = statDecl(q, key);
  const distinct = (i: 0 | 1) => [...new Set(keys.map((k) => BigInt(k[i]).toString()))].join(', ');
  const branches = st.sides.map((s) => {
    const tuples = keys.map((k) => (st.isAddr ? [k[0], k[1]] : [k[0]]));
    const lists = s.cols.map((c, i) => `${c} IN (${distinct(i as 0 | 1)})`).join(' AND ');
    return sql`SELECT ${raw(s.k)}${raw(st.isAddr ? '' : ', 0 AS k2')}, ${raw(s.peer[0]!)} AS p1, ${raw(s.peer[1]!)} AS p2 FROM ${from} WHERE ${st.where} AND ${raw(lists)} AND ${d.inTuples(s.cols, tuples)}`;
  });
  const src = branches.length === 1 ? branches[0]! : join(branches, ' UNION ALL ');
  return sql`SELECT k1, k2, ${raw(d.countDistinct(['p1', 'p2']))} AS peers FROM (${src}) AS s GROUP BY k1, k2`;
}

/** The totals columns of a {@link statQuery}'s rows (no rows: nothing matched). */
export function statTotals(rows: Record<string, unknown>[]): Totals {
  const r = rows[0];
  if (!r) return { flows: 0, packets: 0, bytes: 0 };
  return { flows: num(r['t_flows']), packets: num(r['t_packets']), bytes: num(r['t_bytes']) };
}

export function toStatRows(key: StatKey, rows: Record<string, unknown>[]): StatRow[] {
  const isAddr = SPECS[key][0]!.key.length === 2;
  return rows.map((r) => ({
    key: isAddr ? formatHiLo(big(r['k1']), big(r['k2'])) : String(num(r['k1'])),
    flows: num(r['n_flows']),
    packets: num(r['n_packets']),
    bytes: num(r['n_bytes']),
    peers: num(r['peers']),
    firstSeen: num(r['first_seen']),
    lastSeen: num(r['last_seen']),
  }));
}

export function listQuery(from: Sql, q: FlowQuery, limit: number): Sql {
  const cols = storageColumns()
    .map((c) => c.name)
    .join(', ');
  return sql`SELECT ${raw(cols)} FROM ${from} WHERE ${whereOf(q)} ORDER BY te, ts LIMIT ${Math.max(0, Math.floor(limit))}`;
}

/** Converts a row of storage columns into a record. */
export function rowToRecord(r: Record<string, unknown>): FlowRecord {
  const out: Record<string, unknown> = {};
  for (const def of FLOW_COLUMNS) {
    if (def.kind === 'addr') out[def.ie] = formatHiLo(big(r[`${def.col}_hi`]), big(r[`${def.col}_lo`]));
    else if (def.kind === 'str') out[def.ie] = r[def.col] ?? null;
    else out[def.ie] = num(r[def.col]);
  }
  return out as unknown as FlowRecord;
}

export function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && v !== '') return Number(v);
  return 0;
}

export function big(v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(v);
  if (typeof v === 'string' && v !== '') return BigInt(v);
  return 0n;
}
