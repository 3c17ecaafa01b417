/**
 * @module Simulated time: minutes, 5-minute windows, the daily rhythm of
 * legitimate traffic, and the schedule of events (attack periods).
 */

import type { Rng } from './rng.js';
import type { FlowWriter } from './writer.js';

export const MINUTE_MS = 60_000;
export const WINDOW_MS = 300_000;

/** One simulated minute, as every traffic source sees it. */
export interface Minute {
  /** Minutes since the start of the simulation. */
  index: number;
  start: number;
  end: number;
  /** Share of peak legitimate activity at this time of day (0.15..1). */
  diurnal: number;
}

/** Anything that generates traffic: called once per minute, in order. */
export interface Source {
  minute(m: Minute, out: FlowWriter): void;
}

/** Local time of the simulated campus: UTC+8, like the network the method comes from. */
export const UTC_OFFSET_HOURS = 8;

/**
 * Legitimate activity by local hour: lowest around 04:30, highest in the
 * afternoon, never below 15% of the peak (servers, updates, night owls).
 */
export function diurnal(ms: number): number {
  const h = (((ms / 3_600_000 + UTC_OFFSET_HOURS) % 24) + 24) % 24;
  const x = (1 - Math.cos((2 * Math.PI * (h - 4.5)) / 24)) / 2;
  return 0.15 + 0.85 * x ** 1.6;
}

export type Span = readonly [number, number];

/**
 * Places events in the simulated period. A scenario describes one *cycle*
 * (3 hours for `demo`, a day for `day`); a longer run repeats the cycle and a
 * shorter one compresses it. Periods are whole 5-minute windows, so an
 * attacker is either active for a whole window or not at all.
 */
export class Schedule {
  readonly cycleMs: number;
  /** How much shorter than designed the cycle is (1 = as designed). */
  readonly compress: number;

  constructor(
    readonly from: number,
    readonly to: number,
    cycleMinutes: number,
  ) {
    const total = to - from;
    this.cycleMs = Math.max(WINDOW_MS, Math.min(total, cycleMinutes * MINUTE_MS));
    this.compress = this.cycleMs / (cycleMinutes * MINUTE_MS);
  }

  /** Periods starting at `startFrac` of each cycle and lasting `minutes` (at least one window). */
  periods(startFrac: number, minutes: number): Span[] {
    const out: Span[] = [];
    // Window boundaries are absolute (multiples of 5 minutes since the epoch), as a detector's are.
    const down = (ms: number) => Math.floor(ms / WINDOW_MS) * WINDOW_MS;
    const up = (ms: number) => Math.ceil(ms / WINDOW_MS) * WINDOW_MS;
    const dur = Math.max(WINDOW_MS, down(Math.min(minutes * MINUTE_MS * this.compress, this.cycleMs)));
    for (let c = this.from; c < this.to; c += this.cycleMs) {
      const cycleEnd = Math.min(this.to, c + this.cycleMs);
      let s = up(c + startFrac * this.cycleMs);
      if (s + dur > cycleEnd) s = Math.max(up(c), down(cycleEnd - dur));
      const e = Math.min(cycleEnd, s + dur);
      if (e > s) out.push([s, e]);
    }
    return out;
  }
}

export function activeAt(spans: readonly Span[], t: number): boolean {
  for (const [s, e] of spans) if (t >= s && t < e) return true;
  return false;
}

/** A source port as a client operating system picks it. */
export function ephemeralPort(rng: Rng, kind: number): number {
  // 0: Linux (32768-60999), 1: Windows (49152-65535), 2: NAT / any (1024-65535).
  if (kind === 0) return 32768 + rng.int(28232);
  if (kind === 1) return 49152 + rng.int(16384);
  return 1024 + rng.int(64512);
}

/** How many hosts of a kind at a scale: at least `min`. */
export function scaled(n: number, scale: number, min = 1): number {
  return Math.max(min, Math.round(n * scale));
}

/** A flow end time in the minute, uniform. */
export function endIn(rng: Rng, m: Minute): number {
  return m.start + rng.int(MINUTE_MS);
}
