import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FlowBatch } from '../flow/batch.js';
import { DEFAULT_TIME_POLICY } from '../flow/plausible.js';
import { emptyRecord } from '../flow/record.js';
import { tempDir } from '../testing/helpers.js';
import { DuckFlowStore } from './duckdb/index.js';
import { GuardedStore } from './guard.js';

test('flows arriving after live detection ran their window are stored, counted in /metrics and said once a minute', async (t) => {
  const inner = await DuckFlowStore.open(tempDir(t));
  const lines: string[] = [];
  const g = new GuardedStore(inner, DEFAULT_TIME_POLICY, (l) => lines.push(l), {
    windowMs: 300_000,
    graceMs: 60_000,
  });
  try {
    const now = Date.now();
    const batch = (ends: number[]) => {
      const b = new FlowBatch(16);
      for (const [i, end] of ends.entries())
        b.push({
          ...emptyRecord(),
          flowStartMilliseconds: end - 10,
          flowEndMilliseconds: end,
          sourceIPAddress: '192.0.2.1',
          destinationIPAddress: `198.51.100.${i + 1}`,
          packetDeltaCount: 1,
          octetDeltaCount: 40,
        });
      return b;
    };
    // Three from an hour ago (their window was detected long since), two from now (not detected yet).
    await g.append(batch([now - 3_600_000, now - 3_500_000, now - 3_400_000, now, now - 1000]));
    await g.append(batch([now - 7_200_000]));
    await g.flush();
    assert.equal(g.lateFlows, 4);
    assert.match(g.metrics(), /^flowhunt_late_flows_total 4$/m);
    assert.deepEqual(lines.length, 1, 'said once a minute');
    assert.match(lines[0]!, /^3 flows arrived after their window was detected \(stored;/);
    assert.equal((await g.totals({})).flows, 6, 'late flows are stored');
  } finally {
    await g.close();
  }
});
