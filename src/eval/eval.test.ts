import assert from 'node:assert/strict';
import { test } from 'node:test';
import { detectRange } from '../detect/index.js';
import { defaultThresholds } from '../detect/thresholds.js';
import { learnSignatures } from '../hunt/catalog.js';
import { DEFAULT_HUNT, huntRange } from '../hunt/hunt.js';
import { allFindings } from '../hunt/master.js';
import { createSimulation } from '../simulate/simulation.js';
import { DuckFlowStore } from '../store/duckdb/index.js';
import { tempDir } from '../testing/helpers.js';
import { score } from './score.js';

test('the whole method on the demo scenario: every anomaly found with its type, no false alert, families and quiet members hunted', async (t) => {
  const store = await DuckFlowStore.open(tempDir(t));
  try {
    const sim = createSimulation({ scenario: 'demo', seed: 11 });
    for (const b of sim.batches()) if (b.length) await store.append(b);
    await store.flush();
    const truth = sim.truth();
    const results = await detectRange(store, sim.from, sim.to, { thresholds: defaultThresholds() });
    const reports = results.flatMap((r) => r.reports);
    const catalog = learnSignatures(reports);
    const large = new Set(reports.filter((r) => r.role === 'source').map((r) => r.ip));
    await huntRange(store, sim.from, sim.to, catalog, DEFAULT_HUNT, large);
    const r = score(truth, reports, catalog, await allFindings(store));

    // Detection: every labelled attacker and victim, with an expected type; nothing about legitimate hosts.
    assert.deepEqual(r.detection.missed, []);
    assert.equal(r.detection.recall, 1);
    assert.deepEqual(r.detection.falseAlerts, []);
    for (const type of r.detection.types) assert.equal(type.precision, 1, type.type);
    // Signatures: each family's found, and ranked above every bare SYN probe unless it is one.
    for (const f of r.signatures.families) {
      assert.ok(f.found, `${f.family}: signature found`);
      assert.ok(f.aboveBareProbes, `${f.family}: ${f.found} at rank ${f.rank} is above the bare probes`);
    }
    // The hunt: only members are added; a 3-hour scenario leaves a few members with under 3 targets.
    assert.equal(r.hunt.precision, 1, JSON.stringify(r.hunt.falsePositives));
    assert.ok(r.hunt.recall >= 0.85, `small-scale recall ${r.hunt.recall}`);
    assert.equal(r.hunt.decoysReported, 0);
  } finally {
    await store.close();
  }
});
