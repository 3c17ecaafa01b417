import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DAY_MS, FlowBatch } from '../../flow/batch.js';
import { rng } from '../../testing/rng.js';
import { Stage, timeOrder } from './stage.js';

/** The order a plain stable sort of the whole milliseconds gives. */
function reference(te: Float64Array): number[] {
  return [...te.keys()].sort((a, b) => Math.floor(te[a]!) - Math.floor(te[b]!) || a - b);
}

test('timeOrder: the stable order by time, by radix and by comparison, and null when already in order', () => {
  const r = rng(7);
  for (const [n, span] of [
    [10, 5],
    [4095, 1000], // comparison sort
    [5000, 50_000], // one radix pass (span below 2^16 ms)
    [30_000, (1 << 22) - 1], // two passes of 11 bits (span below 2^22 ms), the highest bit used
    [20_000, DAY_MS - 1], // two passes of 16 bits, many ties
    [20_000, 3], // nearly all ties: stability decides
    [6000, 2.5], // fractions of a millisecond: ordered by the whole milliseconds stored
  ] as const) {
    const te = new Float64Array(n);
    const base = 1_790_000_000_000 + (Number.isInteger(span) ? 0 : 0.5);
    for (let i = 0; i < n; i++) te[i] = base + (Number.isInteger(span) ? Math.floor(r() * span) : r() * span);
    const got = timeOrder(
      te,
      n,
      te.reduce((a, t) => Math.min(a, t), Infinity),
      te.reduce((a, t) => Math.max(a, t), -Infinity),
    );
    assert.ok(got, `n=${n}: not in order, so an order is returned`);
    assert.deepEqual([...got], reference(te), `n=${n} span=${span}`);
  }
  const inOrder = Float64Array.from([1, 2, 2, 3, 9]);
  assert.equal(timeOrder(inOrder, 5, 1, 9), null);
  // Only the first n values count.
  assert.equal(timeOrder(Float64Array.from([1, 2, 0]), 2, 1, 2), null);
});

test('stage: rows held by the day of their end time, a big batch kept whole, small runs copied together', () => {
  const stage = new Stage((te) => Math.floor(te / DAY_MS));
  const day = (d: number, ms: number) => d * DAY_MS + ms;
  const mixed = new FlowBatch(8);
  for (const [te, port] of [
    [day(3, 500), 1],
    [day(3, 100), 2],
    [day(4, 7), 3],
    [day(3, 900.6), 4],
  ] as const) {
    const i = mixed.add();
    mixed.te[i] = te;
    mixed.dport[i] = port;
  }
  stage.add(mixed, 1, 4); // rows 1..3: day 3, day 4, day 3
  const whole = new FlowBatch(2);
  for (const te of [day(4, 50), day(4, 1)]) whole.te[whole.add()] = te;
  stage.add(whole, 0, 2);
  assert.equal(stage.rows, 5);
  assert.deepEqual(stage.days(), [3, 4]);

  const d3 = stage.ordered(3)!;
  assert.deepEqual([d3.rows, d3.minTe, d3.maxTe], [2, day(3, 100), day(3, 900)], 'whole milliseconds');
  assert.equal(d3.perm, null, 'its rows came in order');
  assert.deepEqual([...d3.batch.dport.subarray(0, 2)], [2, 4]);
  const d4 = stage.ordered(4)!;
  assert.deepEqual(
    [...d4.perm!],
    [2, 0, 1],
    'day 4: the mixed batch row, then the whole batch, ordered by time',
  );
  assert.deepEqual([...d4.batch.te.subarray(0, 3)], [day(4, 7), day(4, 50), day(4, 1)]);
  assert.equal(stage.ordered(4)!.batch, d4.batch, 'merged once, kept for a retry');

  assert.equal(stage.drop(3), 2);
  assert.equal(stage.drop(3), 0);
  assert.deepEqual([stage.rows, stage.dayCount], [3, 1]);
  assert.equal(stage.ordered(3), undefined);
});

test('stage: a flow at a time is held in a few batches of its own, not one object a flow', () => {
  const stage = new Stage((te) => Math.floor(te / DAY_MS));
  const big = new FlowBatch(5000);
  for (let k = 0; k < 5000; k++) big.te[big.add()] = DAY_MS + k;
  stage.add(big, 0, big.length);
  const one = new FlowBatch(1);
  for (let k = 0; k < 200_000; k++) {
    one.clear();
    const i = one.add();
    one.te[i] = DAY_MS + 5000 + k;
    one.dport[i] = k % 65536;
    stage.add(one, 0, 1); // the caller may reuse its batch: small runs are copied
  }
  stage.add(big, 0, big.length);
  const held = (stage as unknown as { byDay: Map<number, { batches: FlowBatch[] }> }).byDay.get(1)!.batches;
  assert.equal(held[0], big, 'the big batch itself');
  assert.equal(held.at(-1), big);
  assert.equal(held.length, 2 + Math.ceil(200_000 / 65_536), 'the small runs in batches of 65,536');
  const day = stage.ordered(1)!;
  assert.equal(day.rows, 210_000);
  const order = day.perm!;
  // In time order: the two big batches' rows (the same times, ties in the order staged), then the single flows.
  assert.deepEqual([order[0], order[1]], [0, 205_000]);
  assert.equal(day.batch.dport[order[10_000 + 4999]!], 4999, 'a copied flow keeps its fields');
  for (let k = 1; k < order.length; k++) assert.ok(day.batch.te[order[k]!]! >= day.batch.te[order[k - 1]!]!);
});

test('stage: a merge recycles the reader batches it copied, keeps others, and reuses its own batch for the next day', () => {
  const stage = new Stage((te) => Math.floor(te / DAY_MS));
  const make = (recyclable: boolean, day: number) => {
    const b = new FlowBatch(4096);
    for (let k = 0; k < 4096; k++) {
      const i = b.add();
      b.te[i] = day * DAY_MS + 4096 - k;
      b.dport[i] = k;
    }
    b.recyclable = recyclable;
    return b;
  };
  const read = make(true, 1);
  const kept = make(false, 1);
  stage.add(read, 0, read.length);
  stage.add(kept, 0, kept.length);
  const d1 = stage.ordered(1)!;
  assert.equal(d1.rows, 8192);
  assert.equal(read.length, 0, "the reader's batch gave its arrays back");
  assert.equal(kept.length, 4096, 'a batch not marked recyclable is left as it was');
  assert.equal(kept.dport[4095], 4095);
  assert.equal(d1.batch.dport[d1.perm![0]!], 4095, 'the merged rows are whole');
  const merged = d1.batch;
  stage.drop(1);
  stage.add(make(false, 2), 0, 4096);
  stage.add(make(false, 2), 0, 4096);
  const d2 = stage.ordered(2)!;
  assert.equal(d2.batch, merged, 'the next merge writes into the last one');
  assert.equal(d2.rows, 8192);
  assert.equal(d2.batch.te[0], 2 * DAY_MS + 4096);
});
