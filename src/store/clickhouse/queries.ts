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
 * same tie-break (the key) as `statQuery`: the tests compare the two. The
 * totals are the engine-neutral `totalsQuery`'s.
 */

import { SPECS, whereOf } from '../queries.js';
import { join, raw, type Sql, sql } from '../sql.js';
import type { FlowQuery, StatKey, StatOrder } from '../types.js';

export function statQueryClickHouse(
  from: Sql,
  q: FlowQuery,
  key: StatKey,
  order: StatOrder,
  top: number,
): Sql {
  const sides = SPECS[key];
  const isAddr = sides[0]!.key.length === 2;
  const w = whereOf(q);
  const branches = sides.map((s) => {
    const k = isAddr ? `${s.key[0]} AS k1, ${s.key[1]} AS k2` : `${s.key[0]} AS k1`;
    const g = isAddr ? 'k1, k2' : 'k1';
    return sql`SELECT ${raw(k)}, count() AS f, sum(packets) AS pk, sum(bytes) AS bt, uniqExactState(${raw(s.peer.join(', '))}) AS ps, min(ts) AS fs, max(te) AS ls FROM ${from} WHERE ${w} GROUP BY ${raw(g)}`;
  });
  // k2 is added on the entry node, after the shards answered (see the module comment).
  const k2 = isAddr ? 'k2' : '0 AS k2';
  const g = isAddr ? 'k1, k2' : 'k1';
  return sql`SELECT k1, ${raw(k2)}, sum(f) AS n_flows, sum(pk) AS n_packets, sum(bt) AS n_bytes, uniqExactMerge(ps) AS peers, min(fs) AS first_seen, max(ls) AS last_seen FROM (${join(branches, ' UNION ALL ')}) AS s GROUP BY ${raw(g)} ORDER BY ${raw(`n_${order}`)} DESC, k1, k2 LIMIT ${Math.max(0, Math.floor(top))}`;
}
