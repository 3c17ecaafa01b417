/** @module The lease's behaviour, run on each engine (lease.test.ts, clickhouse.test.ts). */

import assert from 'node:assert/strict';
import { Lease } from '../store/lease.js';
import type { FlowStore } from '../store/types.js';

/** Two or more claimants of one lease on one store, with a shared clock. */
export async function leaseContract(store: FlowStore): Promise<void> {
  let now = 1_000_000;
  const make = (id: string) =>
    new Lease(store, 'detector', id, { ttlMs: 60_000, settleMs: 150, now: () => now });
  const a = make('a');
  const b = make('b');
  assert.equal(await a.hold(), true, 'a free lease is taken');
  assert.equal(await b.hold(), false, 'a held lease is not');
  now += 50_000;
  assert.equal(await a.hold(), true, 'the holder renews it');
  now += 50_000;
  assert.equal(await b.hold(), false, 'renewed: still not free 100 s after it was first taken');
  // The holder hangs: past the expiry the standby takes over, and the old holder learns it.
  now += 61_000;
  assert.equal(await b.hold(), true);
  assert.equal(await a.hold(), false);
  assert.equal((await b.current())?.holder, 'b');
  // A clean stop gives it up at once; a restart with the same identity takes its own back at once.
  await b.release();
  assert.equal(await a.hold(), true);
  const a2 = make('a');
  assert.equal(await a2.hold(), true, 'the same identity after a restart');
  // Claimants racing for a free lease: exactly one wins, and all agree which.
  now += 120_000;
  const racers = ['r1', 'r2', 'r3', 'r4'].map(make);
  const won = await Promise.all(racers.map((r) => r.hold()));
  assert.equal(won.filter(Boolean).length, 1, `winners: ${won.join(', ')}`);
  const holder = (await racers[0]!.current())?.holder;
  assert.equal(racers[won.indexOf(true)]!.holder, holder);
}
