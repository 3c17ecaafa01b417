/**
 * @module Benchmark: detection of one 5-minute window of N flows (default
 * 30 million = 100,000 flows/s) on the DuckDB engine, with peak memory; with
 * `--clickhouse`, the same flows also on a two-shard ClickHouse cluster on
 * loopback (scripts/clickhouse-cluster.sh), side by side, and the reports of
 * both must be equal.
 * Run: node dist/bench/detect.js [--flows N] [--clickhouse]
 * (results: bench/results/detect.json, or detect-cluster.json with --clickhouse)
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BaselineSource } from '../src/detect/baseline.js';
import { findCrowds } from '../src/detect/distributed.js';
import { detectWindow } from '../src/detect/index.js';
import { profileHosts } from '../src/detect/profile.js';
import { rankWindow } from '../src/detect/rank.js';
import { serviceTargets } from '../src/detect/service.js';
import { defaultThresholds } from '../src/detect/thresholds.js';
import { DuckFlowStore } from '../src/store/duckdb/index.js';
import { openStore } from '../src/store/open.js';
import type { FlowStore } from '../src/store/types.js';
import { startCluster } from '../src/testing/clickhouse.js';
import { arg, timed, writeResult } from './machine.js';
import { synthFlows } from './synth.js';

const flows = arg('flows', 30_000_000);
const withClickHouse = process.argv.includes('--clickhouse');
const W0 = Date.parse('2026-11-20T10:00:00Z');

const learned = defaultThresholds();
/** Today's figure: the thresholds as configured, no baseline. */
const pinned = { ...learned, baseline: { ...learned.baseline, mode: 'pinned' as const } };

/** One more run split into its stages, for where the time goes (`found`: the hosts reported). */
async function stages(store: FlowStore, found: readonly { ip: string; role: string }[]) {
  const t = learned;
  const w1 = W0 + 300_000;
  const rank = await timed(() => rankWindow(store, W0, w1, t));
  const { sources, destinations } = rank.value;
  const profile = await timed(() => profileHosts(store, sources, destinations, W0, w1, 'classify'));
  const reported = (list: typeof sources) =>
    list.filter((h) => found.some((f) => f.ip === h.ip && f.role === h.role));
  const [fs, fd] = [reported(sources), reported(destinations)];
  const full = await timed(() => profileHosts(store, fs, fd, W0, w1, 'full'));
  const baseline = await timed(() => new BaselineSource(store, t).forWindow(W0));
  const service = await timed(() => serviceTargets(store, sources, W0, w1));
  const crowds = await timed(() => findCrowds(store, W0, w1, t, () => t.minimum.scanPeers));
  return {
    rankSeconds: rank.ms / 1000,
    profileSeconds: profile.ms / 1000,
    profileFullSeconds: full.ms / 1000,
    profileFullHosts: fs.length + fd.length,
    baselineSeconds: baseline.ms / 1000,
    serviceTargetsSeconds: service.ms / 1000,
    distributedScanSeconds: crowds.ms / 1000,
  };
}

async function measure(store: FlowStore) {
  const load = await timed(() =>
    synthFlows(flows, W0, W0 + 299_000, 1, (b) => store.append(b)).then(() => store.flush()),
  );
  let peakRss = 0;
  const probe = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 50);
  // Side by side, alternating: pinned thresholds (the figure before the baseline) and the default,
  // learned from this window's own hosts (a first day: the costliest case; a stored day is one document).
  const runs: number[] = [];
  const pinnedRuns: number[] = [];
  let reports: { ip: string; role: string }[] = [];
  let pinnedReports = 0;
  for (let i = 0; i < 3; i++) {
    const p = await timed(() => detectWindow(store, W0, {}, { thresholds: pinned }));
    pinnedRuns.push(p.ms);
    pinnedReports = p.value.reports.length;
    const r = await timed(() => detectWindow(store, W0, {}, { thresholds: learned }));
    runs.push(r.ms);
    reports = r.value.reports;
  }
  clearInterval(probe);
  const split = await stages(store, reports);
  const best = Math.min(...runs);
  const bestPinned = Math.min(...pinnedRuns);
  return {
    reports,
    result: {
      loadSeconds: load.ms / 1000,
      detectMs: runs,
      bestSeconds: best / 1000,
      shareOfWindow: Math.round((best / 300_000) * 10_000) / 100,
      pinnedDetectMs: pinnedRuns,
      pinnedBestSeconds: bestPinned / 1000,
      pinnedShareOfWindow: Math.round((bestPinned / 300_000) * 10_000) / 100,
      baselineCostShareOfWindow: Math.round(((best - bestPinned) / 300_000) * 10_000) / 100,
      pinnedReports,
      loadAverage: loadavg().map((x) => Math.round(x * 10) / 10),
      reports: reports.length,
      peakRssMiB: Math.round(peakRss / 2 ** 20),
      ...split,
    },
  };
}

const dir = mkdtempSync(join(tmpdir(), 'fh-bench-detect-'));
const out: Record<string, unknown> = { flows };
try {
  const duck = await DuckFlowStore.open(dir, { maxPendingRows: 4_000_000, compactAfterFiles: 1000 });
  const d = await measure(duck);
  await duck.close();
  rmSync(dir, { recursive: true, force: true });
  Object.assign(out, d.result);
  process.stdout.write(
    `detect, DuckDB: ${flows} flows in ${d.result.bestSeconds.toFixed(2)} s (${d.result.shareOfWindow}% of the window), peak RSS ${d.result.peakRssMiB} MiB\n`,
  );
  if (withClickHouse) {
    const cluster = await startCluster();
    try {
      const ch = await openStore(cluster.url.replace('/default?', `/fh_bench_detect_${process.pid}?`));
      const c = await measure(ch);
      await ch.close();
      if (JSON.stringify(c.reports) !== JSON.stringify(d.reports))
        throw new Error('the cluster and DuckDB gave different reports for the same window');
      // The work happens in the servers: the flowhunt process's memory says nothing here.
      const { peakRssMiB: _notHere, ...cr } = c.result;
      out['clickhouse'] = {
        ...cr,
        serverPeakRssMiB: cluster.peakRssMiB(),
        topology: 'two clickhouse-server 18.16 shards on this one machine, through the Distributed table',
      };
      process.stdout.write(
        `detect, ClickHouse (2 shards): ${flows} flows in ${c.result.bestSeconds.toFixed(2)} s (${c.result.shareOfWindow}% of the window)\n`,
      );
    } finally {
      cluster.stop();
    }
  }
  // The side-by-side run keeps its own file, so the DuckDB-only figure at 30 M flows stays on record.
  const path = writeResult(withClickHouse ? 'detect-cluster' : 'detect', {
    ...out,
    note: 'one 5-minute window, 3 runs each with pinned thresholds (pinned*: the figure before the learned baseline) and with the default learned baseline (this window judged against its own hosts, the costliest case), alternating; the first includes cold reads; then one run timed by stage (profileSeconds: the classifying profile of every kept host; profileFullSeconds: the full profile of the reported hosts); peakRssMiB is the flowhunt process (DuckDB runs inside it), serverPeakRssMiB each ClickHouse server (VmHWM, loading included)',
  });
  process.stdout.write(`-> ${path}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
