import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DAY_MS, FlowBatch } from './batch.js';
import {
  DEFAULT_TIME_POLICY,
  importWindow,
  liveWindow,
  screenTimes,
  type TimeReason,
  zeroCounts,
} from './plausible.js';
import { emptyRecord } from './record.js';

const NOW = Date.parse('2026-12-01T12:00:00Z');

function batch(ends: readonly number[], starts?: readonly number[]): FlowBatch {
  const b = new FlowBatch(2);
  for (const [i, te] of ends.entries()) {
    b.push({
      ...emptyRecord(),
      flowStartMilliseconds: starts?.[i] ?? 0,
      flowEndMilliseconds: te,
      sourceIPAddress: `10.0.0.${i}`,
      packetDeltaCount: i,
      label: i % 2 ? `l${i}` : null,
    });
  }
  return b;
}

test('the live window: 1990 on, at most 24 h ahead, at most 7 days old; the boundaries are kept', () => {
  const w = liveWindow(DEFAULT_TIME_POLICY, NOW);
  const ends = [
    NOW, // kept
    NOW + 24 * 3_600_000, // kept: exactly the bound
    NOW + 24 * 3_600_000 + 1, // future
    NOW - 7 * DAY_MS, // kept
    NOW - 7 * DAY_MS - 1, // stale
    Date.parse('1989-12-31T23:59:59.999Z'), // before 1990
    Number.NaN, // invalid
    -1, // invalid
    9e15, // future (beyond what Date holds)
    NOW - 1, // kept, but its start is not a time
  ];
  const b = batch(
    ends,
    ends.map((_, i) => (i === 9 ? Number.POSITIVE_INFINITY : 0)),
  );
  const counts = zeroCounts();
  const seen: [number, TimeReason][] = [];
  assert.equal(
    screenTimes(b, w, counts, (i, r) => seen.push([i, r])),
    7,
  );
  assert.deepEqual(counts, { invalid_time: 3, before_earliest: 1, future: 2, stale: 1 });
  assert.deepEqual(seen, [
    [2, 'future'],
    [4, 'stale'],
    [5, 'before_earliest'],
    [6, 'invalid_time'],
    [7, 'invalid_time'],
    [8, 'future'],
    [9, 'invalid_time'],
  ]);
  // The kept flows, in order, with their other columns and labels.
  assert.equal(b.length, 3);
  assert.deepEqual(
    b.records().map((r) => [r.flowEndMilliseconds, r.sourceIPAddress, r.packetDeltaCount, r.label]),
    [
      [NOW, '10.0.0.0', 0, null],
      [NOW + 24 * 3_600_000, '10.0.0.1', 1, 'l1'],
      [NOW - 7 * DAY_MS, '10.0.0.3', 3, 'l3'],
    ],
  );
});

test('the import window takes archives of any age since 1990 (CTU-13 is from 2011)', () => {
  const w = importWindow(DEFAULT_TIME_POLICY, NOW);
  const b = batch([
    Date.parse('2011-08-10T09:46:53Z'),
    Date.parse('1990-01-01T00:00:00Z'),
    NOW + 25 * 3_600_000,
  ]);
  const counts = zeroCounts();
  assert.equal(screenTimes(b, w, counts), 1);
  assert.deepEqual(counts, { invalid_time: 0, before_earliest: 0, future: 1, stale: 0 });
  assert.equal(b.length, 2);
});
