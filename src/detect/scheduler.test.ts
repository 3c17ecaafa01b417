import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FlowBatch } from '../flow/batch.js';
import { DuckFlowStore } from '../store/duckdb/index.js';
import type { FlowStore } from '../store/types.js';
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
    // First start: the oldest stored flows within the backlog (a day) begin it; later ones are not due yet.
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

async function fourWindows(dir: string): Promise<DuckFlowStore> {
  const store = await DuckFlowStore.open(dir);
  for (let w = 0; w < 4; w++) {
    const b = new FlowBatch(1 << 16);
    for (const f of labelledWindow(W0 + w * WIN, w + 1).flows) b.push(f);
    await store.append(b);
  }
  await store.flush();
  return store;
}

test('a first start catches up from the oldest flows within the backlog, not from the epoch nor only the newest window', async (t) => {
  const store = await fourWindows(tempDir(t));
  try {
    const seen: number[] = [];
    const now = W0 + 4 * WIN + 61_000; // every stored window is closed and past its grace
    await new DetectScheduler(store, {
      thresholds: defaultThresholds(),
      graceMs: 60_000,
      now: () => now,
      onWindow: (r) => void seen.push(r.windowStart),
    }).catchUp();
    assert.deepEqual(seen, [W0, W0 + WIN, W0 + 2 * WIN, W0 + 3 * WIN]);
    // A backlog of two windows: older windows are skipped, even on a first start.
    const other = await fourWindows(tempDir(t));
    const later: number[] = [];
    await new DetectScheduler(other, {
      thresholds: defaultThresholds(),
      graceMs: 60_000,
      maxBacklogWindows: 2,
      now: () => now,
      onWindow: (r) => void later.push(r.windowStart),
    }).catchUp();
    await other.close();
    assert.deepEqual(later, [W0 + 2 * WIN, W0 + 3 * WIN]);
  } finally {
    await store.close();
  }
});

test('a detector that dies between storing a window and alerting it, or between its reports and its state, loses nothing and repeats nothing', async (t) => {
  const store = await fourWindows(tempDir(t));
  const reference = await fourWindows(tempDir(t));
  try {
    const now = W0 + 4 * WIN + 61_000;
    const o = { thresholds: defaultThresholds(), graceMs: 60_000, now: () => now };
    await new DetectScheduler(reference, o).catchUp();
    const want = await reference.getDocs<Report>('reports');
    assert.ok(want.every((p) => p.docs.length > 0));

    // Dies after window 1's reports are stored, before its state is: a store whose next write fails.
    let failOn = '2026-11-20T10-05';
    const crashing = new Proxy(store, {
      get(target, key, receiver) {
        if (key === 'putDocs')
          return async (kind: string, part: string, docs: unknown[]) => {
            if (kind === 'detect-state' && part === failOn) throw new Error('killed');
            return target.putDocs(kind as 'reports', part, docs);
          };
        const v = Reflect.get(target, key, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    }) as FlowStore;
    const alerted: string[] = [];
    const resumed: string[][] = [];
    const run = (s: FlowStore, dieAlerting?: number) =>
      new DetectScheduler(s, {
        ...o,
        onWindow: (r) => {
          if (r.windowStart === dieAlerting) throw new Error('killed while alerting');
          alerted.push(...r.reports.map((x) => x.id));
        },
        onResume: (reports) => void resumed.push(reports.map((x) => x.id)),
      }).catchUp();
    await assert.rejects(run(crashing), /killed/);
    assert.equal(await store.lastPartition('detect-state'), '2026-11-20T10-00');
    assert.equal(
      (await store.getDocs('reports')).length,
      2,
      "window 1's reports are stored, its state is not",
    );
    // Restarted: window 1 again (its reports replaced by the same), then dies alerting window 2.
    failOn = '';
    await assert.rejects(run(store, W0 + 2 * WIN), /killed while alerting/);
    assert.equal(await store.lastPartition('detect-state'), '2026-11-20T10-10');
    // Restarted again: window 2's alerts are handed out on resume, then window 3 is detected.
    await run(store);
    assert.deepEqual(await store.getDocs<Report>('reports'), want, 'each window once, as a clean run');
    const ids = (w: number) => want[w]!.docs.map((r) => r.id);
    assert.deepEqual(resumed, [ids(0), ids(2)]);
    const delivered = new Set([...alerted, ...resumed.flat()]);
    assert.deepEqual([...delivered].sort(), want.flatMap((p) => p.docs.map((r) => r.id)).sort());
  } finally {
    await store.close();
    await reference.close();
  }
});
