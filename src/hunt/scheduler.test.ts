import assert from 'node:assert/strict';
import { test } from 'node:test';
import { detectRange } from '../detect/index.js';
import { defaultThresholds } from '../detect/thresholds.js';
import { FlowBatch } from '../flow/batch.js';
import { DuckFlowStore } from '../store/duckdb/index.js';
import { tempDir } from '../testing/helpers.js';
import { labelledWindow, W0, WIN } from '../testing/windows.js';
import { learnSignatures } from './catalog.js';
import { DEFAULT_HUNT } from './hunt.js';
import { HuntScheduler } from './scheduler.js';

test('the daily hunt waits for the day to end and for the detector to store its last window, then hunts the day once', async (t) => {
  const store = await DuckFlowStore.open(tempDir(t));
  try {
    const b = new FlowBatch(1 << 16);
    for (const f of labelledWindow(W0, 3).flows) b.push(f);
    await store.append(b);
    await store.flush();
    const [w] = await detectRange(store, W0, W0 + WIN, { thresholds: defaultThresholds() });
    const sigs = learnSignatures(w!.reports, { minShare: 0.5 });
    assert.ok(sigs.length > 0);

    const day = '2026-11-20';
    const dayEnd = Date.parse('2026-11-21T00:00:00Z');
    let now = dayEnd + 20 * 60_000; // 20 minutes into the next day: within the 30-minute grace
    const hunted: string[] = [];
    const make = () =>
      new HuntScheduler(store, {
        hunt: DEFAULT_HUNT,
        minShare: 0.5,
        learnDays: 30,
        graceMs: 30 * 60_000,
        windowMs: WIN,
        now: () => now,
        onDay: (d) => void hunted.push(d),
      });
    await make().catchUp();
    assert.deepEqual(hunted, [], 'within the grace period');
    now = dayEnd + 31 * 60_000;
    await make().catchUp();
    assert.deepEqual(hunted, [], 'the detector has stored only 10:00 of that day');
    await store.putDocs('detect-state', '2026-11-20T23-50', [{}]);
    await make().catchUp();
    assert.deepEqual(hunted, [], 'the 23:55 window is not detected yet');
    await store.putDocs('detect-state', '2026-11-20T23-55', [{}]);
    await make().catchUp();
    assert.deepEqual(hunted, [day]);
    const [state] = await store.getDocs<{ day: string; signatures: number }>('hunt-state');
    assert.equal(state!.partition, day);
    assert.equal(state!.docs[0]!.signatures, sigs.length, 'learned from the stored reports');
    await make().catchUp();
    assert.deepEqual(hunted, [day], 'a restarted hunter does not hunt a day twice');
  } finally {
    await store.close();
  }
});
