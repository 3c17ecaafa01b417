import assert from 'node:assert/strict';
import { test } from 'node:test';
import { learnedValue, limitOf, mergeTails, modulusFor } from './baseline.js';
import { defaultThresholds } from './thresholds.js';

const B = defaultThresholds().baseline;
const desc = (n: number, from = n) => Array.from({ length: n }, (_, i) => from - i);

test('the learned value has at least minAbove host-windows above it, so a few attackers never set their own bar', () => {
  assert.equal(learnedValue({ n: 10, top: desc(10) }, B), undefined, 'ten host-windows are too few');
  assert.equal(learnedValue(undefined, B), undefined);
  // 300 host-windows: the 0.1 % tail is under one, so the 11th largest.
  assert.equal(learnedValue({ n: 300, top: desc(200, 500) }, B), 490);
  // Only five host-windows have anything: the 11th largest is 0.
  assert.equal(learnedValue({ n: 300, top: [9, 8, 7, 6, 5] }, B), 0);
  // 50,000 host-windows: 50 above it.
  assert.equal(learnedValue({ n: 50_000, top: desc(256, 1000) }, B), 950);
  // A million: past the 256 kept values the smallest kept one stands in (a higher bar, never lower).
  assert.equal(learnedValue({ n: 1_000_000, top: desc(256, 1000) }, B), 745);
});

test('a threshold is max(minimum, margin x learned), with what it was judged against', () => {
  const base = { from: 'day 2026-11-23', tails: { 'client.peers': { n: 300, top: desc(200, 500) } } };
  assert.deepEqual(limitOf(base, 'client.peers', 30, B), {
    value: 980,
    basis: { learned: 490, quantile: 0.999, margin: 2, n: 300, from: 'day 2026-11-23', minimum: 30 },
  });
  assert.equal(limitOf(base, 'client.peers', 5000, B).value, 5000);
  assert.deepEqual(limitOf(base, 'service.6.22', 30, B), {
    value: 30,
    basis: { quantile: 0.999, margin: 2, n: 0, from: 'day 2026-11-23', minimum: 30 },
  });
});

test('days merge into one tail: counts added, the largest values kept in order', () => {
  const m = mergeTails([{ a: { n: 3, top: [9, 4, 1] } }, { a: { n: 2, top: [7] }, b: { n: 1, top: [2] } }]);
  assert.deepEqual(m, { a: { n: 5, top: [9, 7, 4, 1] }, b: { n: 1, top: [2] } });
});

test('hosts are sampled one address in a power of two so that a window gives about sampleFlows flows', () => {
  assert.equal(modulusFor(400_000, 500_000), 1);
  assert.equal(modulusFor(30_000_000, 500_000), 64);
});
