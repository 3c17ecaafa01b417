/**
 * @module Benchmark: what one GROUP BY of a window's sources costs in
 * DuckDB, the building block of ranking and profiling, on the detect
 * bench's synthetic 30 M-flow window: counts and sums alone, then with one
 * and two approximate distinct counts. Each query's every aggregate is
 * summed in the result (an unused aggregate is pruned by DuckDB, and would
 * time nothing). Then how many of the window's Parquet row groups the
 * `dport` statistics let a filter on one port skip (files are sorted by
 * end time).
 * Run: node dist/bench/groupby.js [--flows N]
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckFlowStore } from '../src/store/duckdb/index.js';
import { num } from '../src/store/queries.js';
import { raw, sql } from '../src/store/sql.js';
import { arg, timed, writeResult } from './machine.js';
import { synthFlows } from './synth.js';

const flows = arg('flows', 30_000_000);
const W0 = Date.parse('2026-11-20T10:00:00Z');
const W1 = W0 + 300_000;
const load = () => loadavg().map((x) => Math.round(x * 100) / 100);
const loadBefore = load();
const SYN_ONLY = 'CASE WHEN proto = 6 AND (flags % 4) >= 2 AND (flags % 32) < 16 THEN 1 ELSE 0 END';
const QUERIES: Record<string, string> = {
  countsAndSums: 'count(*) AS a, sum(packets) AS b, sum(bytes) AS c',
  plusDistinctPeers: 'count(*) AS a, sum(packets) AS b, sum(bytes) AS c, approx_count_distinct(dst_lo) AS d',
  plusDistinctPorts: `count(*) AS a, sum(packets) AS b, sum(bytes) AS c, approx_count_distinct(dst_lo) AS d, approx_count_distinct(dport) AS e, sum(${SYN_ONLY}) AS f`,
};

const dir = mkdtempSync(join(tmpdir(), 'fh-bench-groupby-'));
try {
  const store = await DuckFlowStore.open(dir, { maxPendingRows: 4_000_000, compactAfterFiles: 1000 });
  await synthFlows(flows, W0, W1 - 1000, 1, (b) => store.append(b)).then(() => store.flush());
  const ms: Record<string, number[]> = {};
  let groups = 0;
  for (const [name, aggs] of Object.entries(QUERIES)) {
    const cols = aggs.split(', ').map((a) => a.split(' AS ')[1]!);
    ms[name] = [];
    for (let run = 0; run < 3; run++) {
      const t = await timed(() =>
        store.queryFlows(
          { from: W0, to: W1 },
          (from) =>
            sql`SELECT count(*) AS g, ${raw(cols.map((c) => `sum(${c}) AS s_${c}`).join(', '))} FROM (SELECT src_hi, src_lo, ${raw(aggs)} FROM ${from} WHERE te >= ${W0} AND te < ${W1} GROUP BY src_hi, src_lo) AS x`,
        ),
      );
      groups = num(t.value[0]!['g']);
      ms[name]!.push(t.ms);
    }
  }
  // Row groups whose dport statistics admit port 1433 (a filter on it cannot skip them).
  const rg = await store.queryFlows({ from: W0, to: W1 }, (from) => {
    const files = /read_parquet\((\[.*\])\)/.exec(from.parts[0]!)?.[1] ?? '[]';
    return sql`SELECT count(*) AS n, sum(CASE WHEN stats_min_value::INT <= 1433 AND stats_max_value::INT >= 1433 THEN 1 ELSE 0 END) AS may FROM parquet_metadata(${raw(files)}) WHERE path_in_schema = 'dport'`;
  });
  await store.close();
  const best = Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, Math.min(...v)]));
  const path = writeResult('groupby', {
    flows,
    sourceGroups: groups,
    groupByMs: ms,
    bestMs: best,
    rowGroups: { total: num(rg[0]!['n']), admitPort1433: num(rg[0]!['may']) },
    loadAverage: { before: loadBefore, after: load() },
    note: "one GROUP BY src_hi, src_lo over the window's flows, every aggregate summed in the result so DuckDB computes it; best of 3 each. rowGroups: the window's Parquet row groups and how many of them the dport min/max statistics admit for port 1433 (files are sorted by end time, so every row group holds every port)",
  });
  process.stdout.write(`${JSON.stringify(best)} row groups ${JSON.stringify(rg[0])} -> ${path}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
