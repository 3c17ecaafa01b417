import assert from 'node:assert/strict';
import { test } from 'node:test';
import { detectRange } from '../../detect/index.js';
import type { Report } from '../../detect/report.js';
import { defaultThresholds } from '../../detect/thresholds.js';
import { learnSignatures } from '../../hunt/catalog.js';
import { DEFAULT_HUNT, huntRange } from '../../hunt/hunt.js';
import { allFindings } from '../../hunt/master.js';
import { createSimulation } from '../../simulate/simulation.js';
import { startCluster } from '../../testing/clickhouse.js';
import { hasTool, requireTool, tempDir } from '../../testing/helpers.js';
import { DuckFlowStore } from '../duckdb/index.js';
import { openStore } from '../open.js';
import type { FlowStore } from '../types.js';

/** Runs the whole method over one store and returns what an operator would see. */
async function pipeline(store: FlowStore, from: number, to: number) {
  const results = await detectRange(store, from, to, { thresholds: defaultThresholds() });
  const reports = results.flatMap((r) => r.reports);
  const catalog = learnSignatures(reports);
  const large = new Set(reports.filter((r) => r.role === 'source').map((r) => r.ip));
  await huntRange(store, from, to, catalog, DEFAULT_HUNT, large);
  const stored = (await store.getDocs<Report>('reports')).flatMap((p) => p.docs);
  return { reports: stored, catalog, findings: await allFindings(store) };
}

test('the same scenario through DuckDB and a two-shard ClickHouse cluster: identical reports, signatures and findings', async (t) => {
  if (!hasTool('clickhouse-server')) {
    requireTool(t, 'clickhouse-server');
    return;
  }
  const cluster = await startCluster();
  const url = cluster.url;
  try {
    const sim = createSimulation({ scenario: 'demo', seed: 5, hours: 1 });
    const duck = await DuckFlowStore.open(tempDir(t));
    const ch = await openStore(url.replace('/default?', `/fh_pipeline_${process.pid}?`));
    try {
      for (const b of sim.batches()) {
        if (!b.length) continue;
        await duck.append(b);
        await ch.append(b);
      }
      await duck.flush();
      await ch.flush();
      assert.deepEqual(await ch.totals({}), await duck.totals({}));
      const a = await pipeline(duck, sim.from, sim.to);
      const b = await pipeline(ch, sim.from, sim.to);
      assert.ok(a.reports.length >= 8, `${a.reports.length} reports`);
      assert.deepEqual(b.reports, a.reports);
      assert.deepEqual(b.catalog, a.catalog);
      assert.ok(a.findings.length > 0);
      assert.deepEqual(b.findings, a.findings);
    } finally {
      await duck.close();
      await ch.close();
    }
  } finally {
    cluster.stop();
  }
});
