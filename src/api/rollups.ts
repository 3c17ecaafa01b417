/**
 * @module Traffic of whole closed UTC days, per scope: flows, packets and
 * bytes per 5-minute window of the day, summed once by the engine and kept
 * in the store as a document (kind `rollups`, one partition per day and
 * scope), so a month's traffic graph reads 30 small documents instead of
 * the month's flows, and a restart does not sum again.
 *
 * Each rollup records how many flows the store held for its day when it
 * was summed ({@link FlowStore.days}), read before the sum. Flows are only
 * ever added to a day (or the whole day dropped by retention; compaction
 * keeps them), so a different count means flows arrived late: the day is
 * summed again, and the graph shows them. A scope is the set of networks
 * whose flows count (every flow for an admin), named by a hash of those
 * networks: a token's organisations whose prefixes change get new rollups.
 */

import { createHash } from 'node:crypto';
import { compileFilter } from '../store/filter/index.js';
import { sql } from '../store/sql.js';
import type { FlowStore } from '../store/types.js';

const DAY = 86_400_000;
/** The rollup's resolution: the detector's window. Every traffic bucket (5 minutes, an hour, a day) is a sum of them. */
export const ROLLUP_MS = 300_000;
const SLOTS = DAY / ROLLUP_MS;
/** Days closed this long ago are rolled up (late flows arrive within the detector's grace). */
export const SETTLED_MS = 15 * 60_000;

/** Flows, packets, bytes of each 5-minute window of one day: `[f0, p0, b0, f1, p1, b1, ...]`. */
export type DayTraffic = Float64Array;

interface RollupDoc {
  scope: string;
  day: number;
  /** The day's stored flows when it was summed. */
  flows: number;
  /** {@link DayTraffic} as a plain array. */
  slots: number[];
}

/** The networks a rollup counts: `undefined` for every flow. */
export function scopeOf(networks: readonly string[] | undefined): string {
  return networks === undefined ? '*' : [...new Set(networks)].sort().join(',');
}

const dayId = (d: number) => new Date(d).toISOString().slice(0, 10);
const hashOf = (scope: string) => createHash('sha1').update(scope).digest('hex').slice(0, 12);
/** `2026-11-20.3f2a...`: in day order, one per scope. */
const partitionOf = (day: number, scope: string) => `${dayId(day)}.${hashOf(scope)}`;

/** Whether the whole UTC day starting at `day` has closed for good at `now`. */
export const dayClosed = (day: number, now: number) => day + DAY + SETTLED_MS <= now;

/** The store's flows per UTC day (day start -> flows), one listing at a time. */
export class DayCounts {
  private running: Promise<Map<number, number>> | null = null;

  constructor(private readonly store: FlowStore) {}

  get(): Promise<Map<number, number>> {
    this.running ??= this.store
      .days()
      .then((days) => new Map(days.map((d) => [Date.parse(`${d.day}T00:00:00Z`), d.flows])))
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }
}

export class DayRollups {
  private readonly kept = new Map<string, { flows: number; slots: DayTraffic }>();
  private readonly pending = new Map<string, Promise<DayTraffic>>();
  /** Queries of the flows made (for the tests and the bench: a restart reads documents, it does not sum). */
  summed = 0;

  constructor(
    private readonly store: FlowStore,
    readonly counts: DayCounts,
    /** At most this many rollups in memory (7 KB each; oldest dropped first). */
    private readonly maxKept = 4000,
  ) {}

  /**
   * The traffic of each of `days` (UTC day starts, closed, ascending) for the
   * flows with an address in `networks` (every flow when undefined): from
   * memory, else the stored rollup, else summed by the engine (one query per
   * run of consecutive days) and stored.
   */
  async get(
    days: readonly number[],
    networks: readonly string[] | undefined,
  ): Promise<Map<number, DayTraffic>> {
    const scope = scopeOf(networks);
    const counts = await this.counts.get();
    const out = new Map<number, DayTraffic>();
    const waits: Promise<void>[] = [];
    let missing: number[] = [];
    for (const d of days) {
      const flows = counts.get(d) ?? 0;
      const k = `${scope}|${d}`;
      const kept = this.kept.get(k);
      if (flows === 0 || (networks !== undefined && networks.length === 0))
        out.set(d, new Float64Array(SLOTS * 3));
      else if (kept && kept.flows === flows) out.set(d, kept.slots);
      else if (this.pending.has(`${k}|${flows}`))
        waits.push(this.pending.get(`${k}|${flows}`)!.then((s) => void out.set(d, s)));
      else missing.push(d);
    }
    if (missing.length) {
      // Stored rollups first: one read of the range's partitions, this scope's with the current count kept.
      const parts = await this.store.getDocs<RollupDoc>('rollups', {
        from: dayId(missing[0]!),
        to: `${dayId(missing.at(-1)!)}.z`,
      });
      for (const p of parts)
        for (const doc of p.docs)
          if (doc.scope === scope && missing.includes(doc.day) && counts.get(doc.day) === doc.flows) {
            const slots = Float64Array.from(doc.slots);
            this.keep(`${scope}|${doc.day}`, doc.flows, slots);
            out.set(doc.day, slots);
          }
      missing = missing.filter((d) => !out.has(d));
    }
    const runs: number[][] = [];
    for (const d of missing) {
      const last = runs.at(-1);
      if (last && last.at(-1)! + DAY === d) last.push(d);
      else runs.push([d]);
    }
    for (const run of runs) {
      const query = this.sum(run, networks);
      run.forEach((d, i) => {
        const k = `${scope}|${d}|${counts.get(d)}`;
        const p = query.then(async (all) => {
          const slots = all[i]!;
          const flows = counts.get(d)!;
          this.keep(`${scope}|${d}`, flows, slots);
          const doc: RollupDoc = { scope, day: d, flows, slots: [...slots] };
          // A store that refuses the write (read-only, full) costs a sum at the next start, no more.
          await this.store.putDocs('rollups', partitionOf(d, scope), [doc]).catch(() => undefined);
          return slots;
        });
        this.pending.set(k, p);
        waits.push(
          p
            .then((s) => void out.set(d, s))
            .finally(() => {
              this.pending.delete(k);
            }),
        );
      });
    }
    await Promise.all(waits);
    return out;
  }

  /** Makes sure the closed days of the last `lookbackDays` before `now` are rolled up for each scope. */
  async warm(
    scopes: readonly (readonly string[] | undefined)[],
    now: number,
    lookbackDays: number,
  ): Promise<void> {
    const counts = await this.counts.get();
    const days = [...counts.keys()]
      .filter((d) => dayClosed(d, now) && d >= now - lookbackDays * DAY)
      .sort((a, b) => a - b);
    if (days.length === 0) return;
    for (const networks of scopes) await this.get(days, networks);
  }

  private keep(k: string, flows: number, slots: DayTraffic): void {
    this.kept.delete(k);
    if (this.kept.size >= this.maxKept) this.kept.delete(this.kept.keys().next().value!);
    this.kept.set(k, { flows, slots });
  }

  /** One query over consecutive days: each day's slots. */
  private async sum(run: readonly number[], networks: readonly string[] | undefined): Promise<DayTraffic[]> {
    this.summed++;
    const lo = run[0]!;
    const hi = run.at(-1)! + DAY;
    const where =
      networks === undefined
        ? undefined
        : compileFilter(networks.map((n) => `net ${n}`).join(' or '), this.store.dialect);
    const rows = await this.store.queryFlows(
      { from: lo, to: hi },
      (f) =>
        sql`SELECT te - te % ${ROLLUP_MS} AS b, count(*) AS n, sum(packets) AS p, sum(bytes) AS y FROM ${f} WHERE te >= ${lo} AND te < ${hi}${where ? sql` AND (${where})` : sql``} GROUP BY b`,
    );
    const out = run.map(() => new Float64Array(SLOTS * 3));
    for (const r of rows) {
      const b = Number(r['b']);
      const slot = ((b - lo) / ROLLUP_MS) * 3;
      const day = out[Math.floor(slot / (SLOTS * 3))]!;
      const i = slot % (SLOTS * 3);
      day[i] = Number(r['n']);
      day[i + 1] = Number(r['p']);
      day[i + 2] = Number(r['y']);
    }
    return out;
  }
}
