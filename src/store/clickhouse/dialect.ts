/**
 * @module The ClickHouse spellings of the engine-neutral queries.
 *
 * Every form here runs on 18.16 (the Debian package) and on current
 * releases: no window functions, no CTEs, no `QUALIFY`, no server-side
 * query parameters (values are inlined by `inline()` in `sql.ts`).
 */

import { aggregateSql, branchValues, lookupNumbers } from '../fanout.js';
import { join, orderItems, raw, type Sql, sql } from '../sql.js';
import type { Dialect, FanGroup, KeyLookup } from '../types.js';

/**
 * Rows no key matches are dropped by `IN` sets first; each lookup then maps
 * the row's key, as text, to its position in a constant array of entry
 * lists (`transform` builds a hash table of the keys once per query); the
 * lists found are concatenated and `ARRAY JOIN`ed.
 */
function fanOut(inner: Sql, lookups: readonly KeyLookup[], names: readonly string[]): Sql {
  const used = lookups.filter((l) => l.keys.length > 0);
  if (used.length === 0)
    return sql`SELECT *, ${raw(names.map((n) => `0 AS ${n}`).join(', '))} FROM (${inner}) AS f WHERE 1 = 0`;
  const sets: string[] = [];
  const lists = used.map((l) => {
    const nums = lookupNumbers(l, names);
    // The IN set first: a cheap hash test drops the rows no key matches before any text is built.
    sets.push(`(${l.cols.join(', ')}) IN (${nums.map((k) => `(${k.key.join(', ')})`).join(', ')})`);
    const keyText = `concat(${l.cols.map((c) => `toString(${c})`).join(", '-', ")})`;
    const keys = nums.map((k) => `'${k.key.join('-')}'`).join(', ');
    const pos = nums.map((_, i) => String(i + 1)).join(', ');
    const entries = nums.map((k) => `[${k.entries.map((e) => `[${e.join(', ')}]`).join(', ')}]`).join(', ');
    return `arrayElement([${entries}], transform(${keyText}, [${keys}], [${pos}], 0))`;
  });
  const cols = names.map((n, k) => `arrayElement(fan_e, ${k + 1}) AS ${n}`).join(', ');
  return sql`SELECT *, ${raw(cols)} FROM (SELECT *, arrayConcat(${raw(lists.join(', '))}) AS fan_es FROM (${inner}) AS f WHERE ${raw(sets.join(' OR '))}) AS x ARRAY JOIN fan_es AS fan_e`;
}

/**
 * One scan: each flow becomes a tuple per branch (every value a UInt64, so
 * the array has one type), the tuples of branches whose mark the flow lacks
 * filtered out (a mask: 18.16's lambdas cannot read columns), `ARRAY JOIN`ed
 * into rows, and one GROUP BY makes every branch's groups.
 */
function fanGroup(from: Sql, spec: FanGroup): Sql {
  const values = branchValues(spec);
  const marks = spec.marks ?? [];
  const tuples = values.map((vs) => `(${vs.map((v) => `toUInt64(${v})`).join(', ')})`);
  const picks = spec.names.map((n, k) => `tupleElement(fan_r, ${k + 1}) AS ${n}`).join(', ');
  const cols = spec.columns.join(', ');
  const range = sql`te >= ${spec.range.from} AND te < ${spec.range.to}`;
  const scan =
    marks.length === 0
      ? sql`SELECT ${raw(cols)} FROM ${from} WHERE ${range}`
      : sql`SELECT ${raw(cols)}, ${join(
          marks.map(([m, test]) => sql`${test} AS ${raw(m)}`),
          ', ',
        )} FROM ${from} WHERE ${range} AND (${raw(marks.map(([m]) => m).join(' OR '))})`;
  const array =
    marks.length === 0
      ? `[${tuples.join(', ')}]`
      : `arrayFilter((t, m) -> m, [${tuples.join(', ')}], [${spec.branches.map((b) => b.when ?? '1').join(', ')}])`;
  const group = spec.group.join(', ');
  return sql`SELECT ${raw(group)}, ${raw(spec.aggregates.map((a) => aggregateSql(clickhouseDialect, a)).join(', '))}
    FROM (SELECT ${raw(picks)}, ${raw(cols)} FROM (${scan}) AS f ARRAY JOIN ${raw(array)} AS fan_r) AS x
    GROUP BY ${raw(group)}`;
}

export const clickhouseDialect: Dialect = {
  engine: 'clickhouse',
  countDistinct: (exprs) => `uniqExact(${exprs.join(', ')})`,
  // `uniq` is an adaptive sample (≈1–2 % error), the engine's cheap distinct count.
  approxDistinct: (expr) => `uniq(${expr})`,
  windowSum: (expr) => `sum(${expr})`,
  uint: (expr) => `toUInt64(${expr})`,
  inTuples: (cols, tuples) => {
    if (tuples.length === 0) return raw('1 = 0');
    // A literal IN list becomes a hash set in ClickHouse, however long.
    const rows = join(
      tuples.map(
        (t) =>
          sql`(${join(
            t.map((v) => sql`${v}`),
            ', ',
          )})`,
      ),
      ', ',
    );
    return sql`(${raw(cols.join(', '))}) IN (${rows})`;
  },
  bitAnd: (column, value) => sql`bitAnd(${raw(column)}, ${value})`,
  bitXor: (a, b) => `bitXor(${a}, ${b})`,
  aggIf: (fn, exprs, cond) => {
    if (fn === 'count') return `countIf(${cond})`;
    const f = fn === 'countDistinct' ? 'uniqExact' : fn;
    return `${f}If(${exprs.join(', ')}, ${cond})`;
  },
  fanOut,
  fanGroup,
  topPerGroup: (inner, partition, order, n, columns) => {
    const p = partition.join(', ');
    if (columns) {
      // One pass: each group's rows as tuples led by the order keys, sorted
      // (tuples compare element by element), cut to n, unfolded again.
      const keys = orderItems(order).map(({ col, desc }) => (desc ? `negate(toInt64(${col}))` : col));
      const picks = columns.map((c, i) => `tupleElement(x, ${keys.length + i + 1}) AS ${c}`).join(', ');
      return sql`SELECT ${raw(p)}, group_rows, ${raw(picks)} FROM (SELECT ${raw(p)}, count() AS group_rows, arraySlice(arraySort(groupArray(tuple(${raw([...keys, ...columns].join(', '))}))), 1, ${n}) AS top FROM (${inner}) AS g GROUP BY ${raw(p)}) AS t ARRAY JOIN top AS x`;
    }
    // No window functions in 18.16: LIMIT n BY keeps the first rows of each
    // group, and the group sizes come from a second aggregation of the same
    // rows joined back. `g.*` (not `*`) so the joined columns appear once
    // whatever the release's asterisk rules.
    return sql`SELECT g.*, n.group_rows AS group_rows FROM (${inner}) AS g ALL INNER JOIN (SELECT ${raw(p)}, count() AS group_rows FROM (${inner}) AS c GROUP BY ${raw(p)}) AS n USING (${raw(p)}) ORDER BY ${raw(order)} LIMIT ${n} BY ${raw(p)}`;
  },
  // No CTEs in 18.16: each name becomes its subquery (computed once per use).
  withTables: (tables, body) => {
    const defs = new Map<string, Sql>(tables);
    return body((name) => {
      const def = defs.get(name);
      if (!def) throw new Error(`withTables: no table ${name}`);
      return sql`(${def})`;
    });
  },
};
