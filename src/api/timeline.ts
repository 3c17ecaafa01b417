/**
 * @module One host over time for its IP page: per bucket (5 minutes, an hour
 * or a day, by the length of the range) the flows and bytes it sent and
 * received and its distinct peers, summed in the engine by one grouped query
 * over the flows that have it on either side (never a query per window).
 * Buckets that closed more than a grace period ago are kept in memory per
 * host; those of a closed day with the day's stored flows when read, so a
 * late flow into the day (a different number) reads them again; only the missing
 * and the still-open buckets are asked for, one query per run of them. The
 * host's days query (hostdays.ts) fills the buckets of the stretches it
 * reads in the same scan ({@link HostTimelines.sink}).
 */

import { parseAddress, wordsToHiLo } from '../flow/address.js';
import { compileFilter } from '../store/filter/index.js';
import { raw, sql } from '../store/sql.js';
import type { FlowStore } from '../store/types.js';
import { DayCounts, dayClosed } from './rollups.js';

/** Buckets closed this long ago are cached (late flows arrive within the detector's grace). */
const SETTLED_MS = 15 * 60_000;

export interface HostBucket {
  flowsOut: number;
  flowsIn: number;
  bytesOut: number;
  bytesIn: number;
  /** Distinct addresses on the other side of its flows. */
  peers: number;
}

export interface HostPoint extends HostBucket {
  /** Bucket start, epoch ms. */
  t: number;
}

const ZERO: HostBucket = { flowsOut: 0, flowsIn: 0, bytesOut: 0, bytesIn: 0, peers: 0 };

export class HostTimelines {
  private readonly settled = new Map<string, HostBucket>();
  /** Per kept bucket: its day's stored flows when it was read. */
  private readonly stamps = new Map<string, number>();

  constructor(
    private readonly store: FlowStore,
    private readonly now: () => number = Date.now,
    /** At most this many cached buckets over every host (oldest dropped first). */
    private readonly maxEntries = 200_000,
    private readonly counts = new DayCounts(store),
  ) {}

  /** Where a host's days query (hostdays.ts) puts the buckets of `size` it summed in passing. */
  sink(ip: string, size: number): { size: number; put(t: number, b: HostBucket, dayFlows: number): void } {
    return {
      size,
      put: (t, b, dayFlows) => {
        if (t + size + SETTLED_MS <= this.now()) this.keep(`${ip}|${size}|${t}`, b, dayFlows);
      },
    };
  }

  private keep(k: string, b: HostBucket, dayFlows: number): void {
    if (this.settled.has(k)) {
      if (this.stamps.get(k) === dayFlows) return;
      this.settled.delete(k);
    }
    if (this.settled.size >= this.maxEntries) {
      const oldest = this.settled.keys().next().value!;
      this.settled.delete(oldest);
      this.stamps.delete(oldest);
    }
    this.settled.set(k, b);
    this.stamps.set(k, dayFlows);
  }

  /** Whether a kept bucket still holds what its day holds: a bucket of the open day is kept as it is. */
  private current(k: string, t: number, counts: Map<number, number>, now: number): boolean {
    if (!this.settled.has(k)) return false;
    const day = t - (t % 86_400_000);
    return !dayClosed(day, now) || this.stamps.get(k) === (counts.get(day) ?? 0);
  }

  /** The buckets of `size` covering [from, to) (rounded out to whole buckets) for one address. */
  async series(ip: string, from: number, to: number, size: number): Promise<HostPoint[]> {
    const words = parseAddress(ip);
    if (!words) throw new Error(`not an address: ${ip}`);
    const start = from - (from % size);
    const end = to % size === 0 ? to : to - (to % size) + size;
    const key = (t: number) => `${ip}|${size}|${t}`;
    // Read before the flows: a bucket kept with this count holds at least what the store held then.
    const counts = await this.counts.get();
    const asked = this.now();
    const missing: number[] = [];
    for (let t = start; t < end; t += size) if (!this.current(key(t), t, counts, asked)) missing.push(t);
    const got = new Map<number, HostBucket>();
    // Contiguous runs of missing buckets, one query each (the edges of a range whose middle is kept).
    const runs: [number, number][] = [];
    for (const t of missing) {
      const last = runs.at(-1);
      if (last && last[1] === t) last[1] = t + size;
      else runs.push([t, t + size]);
    }
    await Promise.all(runs.map(([lo, hi]) => this.ask(ip, words, lo, hi, size, got)));
    const now = this.now();
    for (const t of missing) {
      if (!got.has(t)) got.set(t, ZERO);
      if (t + size + SETTLED_MS <= now) this.keep(key(t), got.get(t)!, counts.get(t - (t % 86_400_000)) ?? 0);
    }
    const points: HostPoint[] = [];
    for (let t = start; t < end; t += size) points.push({ t, ...(got.get(t) ?? this.settled.get(key(t))!) });
    return points;
  }

  private async ask(
    ip: string,
    words: NonNullable<ReturnType<typeof parseAddress>>,
    lo: number,
    hi: number,
    size: number,
    got: Map<number, HostBucket>,
  ): Promise<void> {
    const [h, l] = wordsToHiLo(words);
    const d = this.store.dialect;
    const out = `src_hi = ${h} AND src_lo = ${l}`;
    const peer = (half: 'hi' | 'lo') => `CASE WHEN ${out} THEN dst_${half} ELSE src_${half} END`;
    const rows = await this.store.queryFlows(
      { from: lo, to: hi },
      (f) =>
        sql`SELECT te - te % ${size} AS b, ${raw(d.aggIf('count', [], out))} AS fo, count(*) AS n, ${raw(d.aggIf('sum', ['bytes'], out))} AS bo, sum(bytes) AS bt, ${raw(d.countDistinct([peer('hi'), peer('lo')]))} AS np FROM ${f} WHERE te >= ${lo} AND te < ${hi} AND (${compileFilter(`host ${ip}`, d)}) GROUP BY b`,
    );
    // A flow from the host to itself counts as sent (as hostdays.ts counts it).
    for (const r of rows) {
      const fo = Number(r['fo'] ?? 0);
      const bo = Number(r['bo'] ?? 0);
      got.set(Number(r['b']), {
        flowsOut: fo,
        flowsIn: Number(r['n'] ?? 0) - fo,
        bytesOut: bo,
        bytesIn: Number(r['bt'] ?? 0) - bo,
        peers: Number(r['np'] ?? 0),
      });
    }
  }
}
