import assert from 'node:assert/strict';
import { test } from 'node:test';
import { liveBatches } from './live.js';
import { createSimulation } from './simulation.js';

test('live play releases each flow once its end time has passed, all of them, in order', async () => {
  const from = Date.UTC(2026, 10, 20, 8, 0);
  const opts = { scenario: 'demo', seed: 2, from, hours: 3 / 60, scale: 0.05 };
  let expected = 0;
  for (const b of createSimulation(opts).batches()) expected += b.length;
  let clock = from;
  const sleeps: number[] = [];
  let got = 0;
  let last = 0;
  let yields = 0;
  const sim = createSimulation(opts);
  for await (const b of liveBatches(sim, {
    now: () => clock,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
  })) {
    yields++;
    for (let i = 0; i < b.length; i++) {
      assert.ok(b.te[i]! <= clock, 'a flow released before it ended');
      assert.ok(b.te[i]! >= last);
      last = b.te[i]!;
    }
    got += b.length;
  }
  assert.equal(got, expected);
  assert.ok(yields >= 150, `released in ${yields} steps over 3 minutes`);
  assert.ok(sleeps.every((ms) => ms >= 1000 && ms <= 5000));
});
