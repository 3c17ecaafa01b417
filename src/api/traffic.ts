/**
 * @module Traffic over time for the dashboard: flows, packets and bytes per
 * bucket (5 minutes, an hour or a day, by the length of the range). The
 * buckets of whole closed days are sums of the days' rollups (rollups.ts:
 * kept in the store, summed again when late flows change a day); those of
 * the day still open are summed in the engine by one grouped query over the
 * flows (`te - te % bucket`, the same in DuckDB and ClickHouse), and the
 * ones of them that closed more than a grace period ago are kept in memory
 * per scope until their day closes; only the missing and the still-open
 * buckets are asked for, each request in one query.
 */

import { compileFilter } from '../store/filter/index.js';
import { sql } from '../store/sql.js';
import type { FlowStore, Totals } from '../store/types.js';
import { type DayRollups, type DayTraffic, dayClosed, ROLLUP_MS } from './rollups.js';

export const BUCKETS = { window: 300_000, hour: 3_600_000, day: 86_400_000 } as const;

/** Buckets closed this long ago are cached (late flows arrive within the detector's grace). */
const SETTLED_MS = 15 * 60_000;

export interface TrafficPoint extends Totals {
  /** Bucket start, epoch ms. */
  t: number;
}

/** The bucket for a range: 5-minute windows up to two days, hours up to 31 days, days beyond. */
export function bucketFor(from: number, to: number): number {
  const span = to - from;
  return span <= 2 * BUCKETS.day ? BUCKETS.window : span <= 31 * BUCKETS.day ? BUCKETS.hour : BUCKETS.day;
}

export class TrafficCache {
  private readonly settled = new Map<string, Totals>();

  constructor(
    private readonly store: FlowStore,
    /** The closed days' traffic. */
    readonly rollups: DayRollups,
    private readonly now: () => number = Date.now,
    /** At most this many cached buckets (oldest dropped first). */
    private readonly maxEntries = 200_000,
  ) {}

  /**
   * Totals per bucket of `size` in [from, to) (rounded out to whole buckets)
   * for the flows with an address in `networks` (every flow when undefined);
   * `scopeKey` names that set for the cache.
   */
  async series(
    from: number,
    to: number,
    size: number,
    networks: readonly string[] | undefined,
    scopeKey: string,
  ): Promise<TrafficPoint[]> {
    const start = from - (from % size);
    const end = to % size === 0 ? to : to - (to % size) + size;
    const now = this.now();
    const key = (t: number) => `${scopeKey}|${size}|${t}`;
    const dayOf = (t: number) => t - (t % BUCKETS.day);
    const closedDays: number[] = [];
    for (let d = dayOf(start); d < end; d += BUCKETS.day) if (dayClosed(d, now)) closedDays.push(d);
    const rolled =
      closedDays.length > 0 ? await this.rollups.get(closedDays, networks) : new Map<number, DayTraffic>();
    const missing: number[] = [];
    for (let t = start; t < end; t += size)
      if (!rolled.has(dayOf(t)) && !this.settled.has(key(t))) missing.push(t);
    const got = new Map<number, Totals>();
    for (let t = start; t < end; t += size) {
      const day = rolled.get(dayOf(t));
      if (!day) continue;
      const tot = { flows: 0, packets: 0, bytes: 0 };
      for (let i = ((t - dayOf(t)) / ROLLUP_MS) * 3, n = i + (size / ROLLUP_MS) * 3; i < n; i += 3) {
        tot.flows += day[i]!;
        tot.packets += day[i + 1]!;
        tot.bytes += day[i + 2]!;
      }
      got.set(t, tot);
    }
    if (missing.length) {
      const lo = missing[0]!;
      const hi = missing.at(-1)! + size;
      if (networks !== undefined && networks.length === 0) {
        for (const t of missing) got.set(t, { flows: 0, packets: 0, bytes: 0 });
      } else {
        const where =
          networks === undefined
            ? undefined
            : compileFilter(networks.map((n) => `net ${n}`).join(' or '), this.store.dialect);
        const rows = await this.store.queryFlows(
          { from: lo, to: hi },
          (f) =>
            sql`SELECT te - te % ${size} AS b, count(*) AS n, sum(packets) AS p, sum(bytes) AS y FROM ${f} WHERE te >= ${lo} AND te < ${hi}${where ? sql` AND (${where})` : sql``} GROUP BY b`,
        );
        for (const r of rows)
          got.set(Number(r['b']), { flows: Number(r['n']), packets: Number(r['p']), bytes: Number(r['y']) });
      }
      for (const t of missing) {
        if (!got.has(t)) got.set(t, { flows: 0, packets: 0, bytes: 0 });
        if (t + size + SETTLED_MS <= now) {
          if (this.settled.size >= this.maxEntries) this.settled.delete(this.settled.keys().next().value!);
          this.settled.set(key(t), got.get(t)!);
        }
      }
    }
    const out: TrafficPoint[] = [];
    for (let t = start; t < end; t += size) out.push({ t, ...(got.get(t) ?? this.settled.get(key(t))!) });
    return out;
  }
}
