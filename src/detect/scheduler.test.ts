import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FlowBatch } from '../flow/batch.js';
import { DuckFlowStore } from '../store/duckdb/index.js';
import { tempDir } from '../testing/helpers.js';
import { labelledWindow, W0, WIN } from '../testing/windows.js';
import type { Report } from './report.js';
import { DetectScheduler } from './scheduler.js';
import { defaultThresholds } from './thresholds.js';

test('live detection runs each closed window once, after the grace period, and resumes after a restart', async (t) => {
  const dir = tempDir(t);
  const store = await DuckFlowStore.open(dir);
  try {
    for (let w = 0; w < 4; w++) {
      const b = new FlowBatch(1 << 16);
      for (const f of labelledWindow(W0 + w * WIN, w + 1).flows) b.push(f);
      await store.append(b);
    }
    await store.flush();
    const seen: number[] = [];
    let now = W0 + 2 * WIN + 30_000; // window 1 closed 30 s ago: still within the 60 s grace
    const make = () =>
      new DetectScheduler(store, {
        thresholds: defaultThresholds(),
        graceMs: 60_000,
        now: () => now,
        onWindow: (r) => void seen.push(r.windowStart),
      });
    // First start: only the newest closed window past its grace is due (no backlog from the epoch).
    await make().catchUp();
    assert.deepEqual(seen, [W0]);
    now = W0 + 2 * WIN + 61_000;
    await make().catchUp();
    assert.deepEqual(seen, [W0, W0 + WIN]);
    // The detector was down for two windows: a new process picks up exactly where the last one stopped.
    now = W0 + 4 * WIN + 61_000;
    await make().catchUp();
    assert.deepEqual(seen, [W0, W0 + WIN, W0 + 2 * WIN, W0 + 3 * WIN]);
    await make().catchUp();
    assert.equal(seen.length, 4, 'nothing is detected twice');
    const parts = await store.getDocs<Report>('reports');
    assert.deepEqual(
      parts.map((p) => p.partition),
      ['2026-11-20T10-00', '2026-11-20T10-05', '2026-11-20T10-10', '2026-11-20T10-15'],
    );
    const scan = parts[3]!.docs.find((r) => r.ip === '203.0.113.5')!;
    assert.equal(scan.duration.streak, 4);
  } finally {
    await store.close();
  }
});
