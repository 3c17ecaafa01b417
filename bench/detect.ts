/**
 * @module Benchmark: detection of one 5-minute window of N flows (default
 * 30 million = 100,000 flows/s) on the DuckDB engine, with peak memory.
 * Run: node dist/bench/detect.js [--flows N]
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectWindow } from '../src/detect/index.js';
import { defaultThresholds } from '../src/detect/thresholds.js';
import { DuckFlowStore } from '../src/store/duckdb/index.js';
import { arg, timed, writeResult } from './machine.js';
import { synthFlows } from './synth.js';

const flows = arg('flows', 30_000_000);
const W0 = Date.parse('2026-11-20T10:00:00Z');
const dir = mkdtempSync(join(tmpdir(), 'fh-bench-detect-'));
try {
  const store = await DuckFlowStore.open(dir, { maxPendingRows: 4_000_000, compactAfterFiles: 1000 });
  const load = await timed(() =>
    synthFlows(flows, W0, W0 + 299_000, 1, (b) => store.append(b)).then(() => store.flush()),
  );
  let peakRss = 0;
  const probe = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 50);
  const runs: number[] = [];
  let reports = 0;
  for (let i = 0; i < 3; i++) {
    const r = await timed(() => detectWindow(store, W0, {}, { thresholds: defaultThresholds() }));
    runs.push(r.ms);
    reports = r.value.reports.length;
  }
  clearInterval(probe);
  await store.close();
  const best = Math.min(...runs);
  const path = writeResult('detect', {
    flows,
    loadSeconds: load.ms / 1000,
    detectMs: runs,
    bestSeconds: best / 1000,
    shareOfWindow: Math.round((best / 300_000) * 10_000) / 100,
    reports,
    peakRssMiB: Math.round(peakRss / 2 ** 20),
    note: 'one 5-minute window, DuckDB engine, 3 runs (the first includes cold Parquet reads)',
  });
  process.stdout.write(
    `detect: ${flows} flows in ${(best / 1000).toFixed(2)} s (${((best / 300_000) * 100).toFixed(2)}% of the window), peak RSS ${Math.round(peakRss / 2 ** 20)} MiB -> ${path}\n`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
