/**
 * @module One nfdump-style question to the store: a filter in nfdump's
 * language over a time range, answered either as a top-N statistic
 * (`nfdump -s key/order -n top`) or as the first flows in time order, with
 * the totals of everything the filter matched. `flowhunt query` and the
 * console's flow explorer both ask through here, so the two can never
 * disagree on what a filter means; `within` (networks) narrows a question to
 * flows with an address in one of them (a campus token's prefixes).
 */

import type { FlowRecord } from '../flow/record.js';
import { compileFilter } from './filter/index.js';
import { type Sql, sql } from './sql.js';
import type { Dialect, FlowQuery, FlowStore, StatKey, StatOrder, StatRow, Totals } from './types.js';

export interface FlowQuestion {
  /** nfdump filter text; empty selects every flow. */
  filter: string;
  from?: number;
  to?: number;
  /** A top-N statistic; absent: list flows. */
  stat?: { key: StatKey; order: StatOrder; top: number };
  /** Flows listed without a statistic. */
  limit: number;
  /** Only flows with a source or destination in one of these networks (undefined: no limit; empty: none). */
  within?: readonly string[];
}

export type FlowAnswer =
  | { total: Totals; rows: StatRow[]; flows?: undefined }
  | { total: Totals; flows: FlowRecord[]; rows?: undefined };

/**
 * The SQL condition of a question: the filter (a {@link FilterError} when it
 * does not parse), AND'ed with its networks.
 */
export function questionWhere(q: Pick<FlowQuestion, 'filter' | 'within'>, dialect: Dialect): Sql {
  const where = compileFilter(q.filter, dialect);
  if (q.within === undefined) return where;
  const nets = compileFilter(
    q.within.length ? q.within.map((n) => `net ${n}`).join(' or ') : 'not any',
    dialect,
  );
  return where.isEmpty ? nets : sql`(${where}) AND (${nets})`;
}

/** Compiles first (a bad filter costs no query), then asks the engine for the totals and the rows. */
export async function askFlows(store: FlowStore, q: FlowQuestion): Promise<FlowAnswer> {
  const fq: FlowQuery = { from: q.from, to: q.to, where: questionWhere(q, store.dialect) };
  // A statistic's totals come from its own groups (one read); a list needs them apart.
  if (q.stat) return store.statWithTotals(fq, q.stat.key, q.stat.order, q.stat.top);
  return { total: await store.totals(fq), flows: await store.list(fq, q.limit) };
}
