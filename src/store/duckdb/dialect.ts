/**
 * @module The DuckDB spellings of the engine-neutral queries.
 */

import { aggregateSql, branchValues, lookupNumbers } from '../fanout.js';
import { orderItems, raw, type Sql, sql, join as sqlJoin } from '../sql.js';
import type { Dialect, FanGroup, KeyLookup } from '../types.js';

/**
 * Each lookup is a VALUES table with one row per key and the key's entries
 * as a list, LEFT JOINed on the key (a hash join: one probe per row); the
 * matched lists are concatenated and unnested.
 */
function fanOut(inner: Sql, lookups: readonly KeyLookup[], names: readonly string[]): Sql {
  const used = lookups.filter((l) => l.keys.length > 0);
  if (used.length === 0)
    return sql`SELECT *, ${raw(names.map((n) => `0 AS ${n}`).join(', '))} FROM (${inner}) AS f WHERE 1 = 0`;
  const joins: string[] = [];
  const lists: string[] = [];
  used.forEach((l, i) => {
    const rows = lookupNumbers(l, names)
      .map(
        ({ key, entries }) =>
          `(${key.join(', ')}, [${entries.map((e) => `[${e.join(', ')}]`).join(', ')}]::BIGINT[][])`,
      )
      .join(', ');
    const keyNames = l.cols.map((_, k) => `k${k}`);
    const on = l.cols.map((c, k) => `f.${c} = l${i}.k${k}`).join(' AND ');
    joins.push(`LEFT JOIN (VALUES ${rows}) AS l${i}(${[...keyNames, 'e'].join(', ')}) ON ${on}`);
    lists.push(`coalesce(l${i}.e, []::BIGINT[][])`);
  });
  const matched = used.map((_, i) => `l${i}.e IS NOT NULL`).join(' OR ');
  const concat = lists.reduce((a, b) => `list_concat(${a}, ${b})`);
  const cols = names.map((n, k) => `x.e[${k + 1}] AS ${n}`).join(', ');
  return sql`SELECT x.* EXCLUDE (e), ${raw(cols)} FROM (SELECT f.*, unnest(${raw(concat)}) AS e FROM (${inner}) AS f ${raw(joins.join(' '))} WHERE ${raw(matched)}) AS x`;
}

/**
 * The window's columns (and marks) are read once into a materialized CTE;
 * each branch groups its own rows of it, and the groups are concatenated
 * (the branches share no group). Grouping each branch apart keeps every
 * hash table to one branch's keys, which measured faster than one GROUP BY
 * over all the fanned rows.
 */
function fanGroup(from: Sql, spec: FanGroup): Sql {
  const values = branchValues(spec);
  const marks = spec.marks ?? [];
  const cols = spec.columns.join(', ');
  const scan =
    marks.length === 0
      ? sql`SELECT ${raw(cols)} FROM ${from} WHERE te >= ${spec.range.from} AND te < ${spec.range.to}`
      : sql`SELECT * FROM (SELECT ${raw(cols)}, ${sqlJoin(
          marks.map(([m, test]) => sql`${test} AS ${raw(m)}`),
          ', ',
        )} FROM ${from} WHERE te >= ${spec.range.from} AND te < ${spec.range.to}) AS f WHERE ${raw(marks.map(([m]) => m).join(' OR '))}`;
  const constant = (v: string) => /^-?\d+$/.test(v);
  const branches = spec.branches.map((b, i) => {
    const vs = values[i]!;
    const value = (n: string) => vs[spec.names.indexOf(n)]!;
    const named = vs.map((v, k) => `${v} AS ${spec.names[k]}`).join(', ');
    const where = b.when ? `WHERE ${b.when}` : '';
    // A branch's constant names are written into its rows, not hashed with every one of them.
    const keyed = spec.group.filter((n) => !constant(value(n)));
    const by = keyed.length > 0 ? keyed : spec.group.slice(0, 1);
    const out = spec.group.map((n) => (by.includes(n) ? n : `${value(n)} AS ${n}`)).join(', ');
    // Nor is a sum of a name that is 0 in this branch, or a distinct count of a constant, kept for each group.
    const aggs = spec.aggregates
      .map((a) => {
        const v = a.of !== undefined && spec.names.includes(a.of) ? value(a.of) : undefined;
        if (a.fn === 'sum' && v === '0') return `0 AS ${a.as}`;
        if ((a.fn === 'approxDistinct' || a.fn === 'countDistinct') && v !== undefined && constant(v))
          return `1 AS ${a.as}`;
        return aggregateSql(duckDialect, a);
      })
      .join(', ');
    return `SELECT ${out}, ${aggs} FROM (SELECT ${named}, ${cols} FROM fan_w ${where}) AS b GROUP BY ${by.join(', ')}`;
  });
  return sql`WITH fan_w AS MATERIALIZED (${scan}) ${raw(branches.join(' UNION ALL '))}`;
}

/** A tuple value as SQL text, after checking it is a whole number (it is written, not bound). */
function wholeNumber(v: number | bigint): string {
  if (typeof v === 'bigint') return v.toString();
  if (!Number.isSafeInteger(v)) throw new Error(`inTuples: ${v} is not a whole number`);
  return String(v);
}

export const duckDialect: Dialect = {
  engine: 'duckdb',
  withTables: (tables, body) => {
    const defs = sqlJoin(
      tables.map(([name, def]) => sql`${raw(name)} AS MATERIALIZED (${def})`),
      ', ',
    );
    return sql`WITH ${defs} ${body((name) => raw(name))}`;
  },
  approxDistinct: (expr) => `approx_count_distinct(${expr})`,
  // Added as a double, returned as the unsigned 64-bit integer a sum of counters is (a double beside
  // a 64-bit address in a CASE or a UNION would round the address).
  windowSum: (expr) => `CAST(sum(CAST(${expr} AS DOUBLE)) AS UBIGINT)`,
  uint: (expr) => `CAST(${expr} AS UBIGINT)`,
  inTuples: (cols, tuples) => {
    if (tuples.length === 0) return raw('1 = 0');
    const names = cols.map((_, i) => `c${i}`).join(', ');
    // A column of values none of which is negative is compared as the unsigned 64-bit integers the
    // flow columns are: literals typed INTEGER/BIGINT made DuckDB join both sides as 128-bit values.
    const unsigned = cols.map((_, i) => tuples.every((t) => t[i]! >= 0));
    const picks = cols.map((_, i) => (unsigned[i] ? `CAST(c${i} AS UBIGINT)` : `c${i}`)).join(', ');
    // Whole numbers written into the text, not bound: DuckDB binds tens of thousands of parameters
    // in time that grows faster than their number (20,000 four-column tuples: 39 s bound, 0.7 s written).
    const rows = tuples.map((t) => `(${t.map(wholeNumber).join(', ')})`).join(', ');
    return sql`(${raw(cols.join(', '))}) IN (SELECT ${raw(picks)} FROM (VALUES ${raw(rows)}) AS t(${raw(names)}))`;
  },
  topPerGroup: (inner, partition, order, n, columns) => {
    const p = partition.join(', ');
    if (columns) {
      // One aggregate per group: the n rows with the least key, the key a
      // struct compared field by field (a descending column negated: the
      // order's first, a count; the ascending ones, often 64-bit addresses,
      // compared as they are), instead of a window sort over every row of
      // every group. One row wanted: the row itself, not a list of one.
      const key = orderItems(order)
        .map(({ col, desc }, i) => `k${i} := ${desc ? `-(${col}::HUGEINT)` : col}`)
        .join(', ');
      const row = columns.map((c) => `${c} := ${c}`).join(', ');
      const picks = columns.map((c) => `x.${c} AS ${c}`).join(', ');
      const pick =
        n === 1
          ? `min_by(struct_pack(${row}), struct_pack(${key}))`
          : `unnest(min_by(struct_pack(${row}), struct_pack(${key}), ${n}))`;
      return sql`SELECT ${raw(p)}, group_rows, ${raw(picks)} FROM (SELECT ${raw(p)}, count(*) AS group_rows, ${raw(pick)} AS x FROM (${inner}) AS g GROUP BY ${raw(p)}) AS t`;
    }
    return sql`SELECT *, count(*) OVER (PARTITION BY ${raw(p)}) AS group_rows FROM (${inner}) AS g QUALIFY row_number() OVER (PARTITION BY ${raw(p)} ORDER BY ${raw(order)}) <= ${n}`;
  },
  countDistinct: (exprs) =>
    exprs.length === 1 ? `count(DISTINCT ${exprs[0]})` : `count(DISTINCT (${exprs.join(', ')}))`,
  bitAnd: (column, value) => sql`(${raw(column)} & ${value})`,
  bitXor: (a, b) => `xor(${a}, ${b})`,
  aggIf: (fn, exprs, cond) => {
    const filter = `FILTER (WHERE ${cond})`;
    if (fn === 'count') return `count(*) ${filter}`;
    if (fn === 'countDistinct')
      return exprs.length === 1
        ? `count(DISTINCT ${exprs[0]}) ${filter}`
        : `count(DISTINCT (${exprs.join(', ')})) ${filter}`;
    return `${fn}(${exprs[0]}) ${filter}`;
  },
  fanOut,
  fanGroup,
};
