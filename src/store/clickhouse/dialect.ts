/**
 * @module The ClickHouse spellings of the engine-neutral queries.
 *
 * Every form here runs on 18.16 (the Debian package) and on current
 * releases: no window functions, no CTEs, no `QUALIFY`, no server-side
 * query parameters (values are inlined by `inline()` in `sql.ts`).
 */

import { join, orderItems, raw, type Sql, sql } from '../sql.js';
import type { Dialect } from '../types.js';

export const clickhouseDialect: Dialect = {
  engine: 'clickhouse',
  countDistinct: (exprs) => `uniqExact(${exprs.join(', ')})`,
  // `uniq` is an adaptive sample (≈1–2 % error), the engine's cheap distinct count.
  approxDistinct: (expr) => `uniq(${expr})`,
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
