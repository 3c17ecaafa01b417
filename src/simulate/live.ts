/**
 * @module Plays a simulation in real time, for a live demo: simulated time
 * is wall-clock time, and each flow is released once its end time has
 * passed. `flowhunt serve --demo` feeds its collector this way:
 *
 * ```ts
 * const sim = createSimulation({ scenario: 'demo', from: Date.now(), hours: 24 });
 * for await (const batch of liveBatches(sim, { signal })) collector.ingest(batch);
 * ```
 */

import type { FlowBatch } from '../flow/batch.js';
import type { Simulation } from './simulation.js';

export interface LiveOptions {
  /** How often released flows are handed out, ms. Default 1000. */
  tickMs?: number;
  /** The wall clock (tests pass a fake one). */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  signal?: AbortSignal;
}

/** The first row whose end time is after `t` (rows are sorted by end time). */
function firstAfter(b: FlowBatch, t: number, from: number): number {
  let lo = from;
  let hi = b.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (b.te[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export async function* liveBatches(sim: Simulation, opts: LiveOptions = {}): AsyncGenerator<FlowBatch> {
  const tick = opts.tickMs ?? 1000;
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  for (const batch of sim.batches()) {
    let done = 0;
    while (done < batch.length) {
      if (opts.signal?.aborted) return;
      const upTo = firstAfter(batch, now(), done);
      if (upTo > done) {
        yield batch.slice(done, upTo);
        done = upTo;
      }
      // Release once a tick; wait longer when the next flow is further off (at most 5 s, to notice an abort).
      if (done < batch.length) await sleep(Math.min(5000, Math.max(tick, batch.te[done]! - now())));
    }
  }
}
