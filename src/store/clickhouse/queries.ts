/**
 * @module The store's own queries, shaped for ClickHouse and a `Distributed` table.
 *
 * ClickHouse lets an alias shadow a column everywhere in its query, so
 * `sum(packets) AS packets` turns a filter `packets > 2` in the same query
 * into an aggregate inside WHERE: the aliases here never reuse a column name.
 *
 * The engine-neutral `statQuery` groups a subquery, which ClickHouse runs on
 * the entry node over every matching row the shards send it; and 18.16
 * rejects its constant `0 AS k2` read through a `Distributed` table inside
 * `UNION ALL` ("Cannot convert column k2 because it is non constant in
 * source stream"). Here each side (`ip` and `port` count a flow once for
 * each side) is aggregated directly on the distributed table, so the shards
 * do the grouping, and the sides are combined with `-State`/`-Merge`, which
 * keeps the distinct peer count exact across both. Same rows, same order,
 * same tie-break (the key) as `statQuery`: the tests compare the two. Both
 * render one declaration (`statDecl`: the sides, their keys and peers; the
 * aggregates of `STAT_AGGREGATES`); the totals are the engine-neutral
 * `totalsQuery`'s.
 */

import { STAT_AGGREGATES, type StatAggregate, statAggregate, statDecl } from '../queries.js';
import { join, raw, type Sql, sql } from '../sql.js';
import type { FlowQuery, StatKey, StatOrder } from '../types.js';

export function statQueryClickHouse(
  from: Sql,
  q: FlowQuery,
  key: StatKey,
  order: StatOrder,
  top: number,
): Sql {
  const st = statDecl(q, key);
  const g = st.isAddr ? 'k1, k2' : 'k1';
  // Each side's partial aggregates (`p_n_flows`, ...) on the shards, combined on the entry node: counts and sums summed.
  const part = (a: StatAggregate) => `p_${a.as}`;
  const branches = st.sides.map(
    (s) =>
      sql`SELECT ${raw(s.k)}, ${raw(STAT_AGGREGATES.map((a) => `${statAggregate(a)} AS ${part(a)}`).join(', '))}, uniqExactState(${raw(s.peer.join(', '))}) AS ps FROM ${from} WHERE ${st.where} GROUP BY ${raw(g)}`,
  );
  const combined = STAT_AGGREGATES.map(
    (a) => `${statAggregate(a.fn === 'count' ? { fn: 'sum' } : a, part(a))} AS ${a.as}`,
  ).join(', ');
  // k2 is added on the entry node, after the shards answered (see the module comment).
  const k2 = st.isAddr ? 'k2' : '0 AS k2';
  return sql`SELECT k1, ${raw(k2)}, ${raw(combined)}, uniqExactMerge(ps) AS peers FROM (${join(branches, ' UNION ALL ')}) AS s GROUP BY ${raw(g)} ORDER BY ${raw(`n_${order}`)} DESC, k1, k2 LIMIT ${Math.max(0, Math.floor(top))}`;
}
