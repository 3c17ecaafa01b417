/**
 * @module The embedded store's write stage: the flows appended and not yet
 * written, held by day in the batches they came in.
 *
 * A flush writes one day at a time, its rows sorted by end time (so each
 * Parquet row group covers a narrow span of time and a query skips the rest
 * by its statistics). The sort is an order of row numbers found here (a
 * radix sort on the end time within the day), not a sorted copy: the chunk
 * writer gathers the rows in that order on their way into DuckDB
 * (`chunk.ts`, `scan.ts`). Holding the rows here rather than in a DuckDB
 * table spares a copy of every row and DuckDB's own sort: the flush reads
 * the batches once.
 */

import { DAY_MS, FlowBatch } from '../../flow/batch.js';

/** A staged day: its batches (or parts of them), rows and span of end times. */
interface StagedDay {
  batches: FlowBatch[];
  /** The last of `batches` when it is the stage's own, still taking small runs. */
  open: FlowBatch | null;
  /** `batches` is one batch the stage merged them into (its own, reused once the day is dropped). */
  merged: boolean;
  rows: number;
  minTe: number;
  maxTe: number;
}

/** A day's rows ready to write: one batch, and the order of its rows by end time (null: already in order). */
export interface OrderedDay {
  batch: FlowBatch;
  perm: Uint32Array | null;
  rows: number;
  minTe: number;
  maxTe: number;
}

/** Below this many rows the order is found by a comparison sort (a radix sort's count tables cost more). */
const RADIX_FROM = 4096;
/**
 * A run of fewer rows than this is copied into a batch of the stage's own
 * rather than kept as an object of its own: a collector that hands over a
 * flow or two at a time, while the disk refuses writes, would otherwise
 * hold millions of little batches (their arrays cost more than their rows).
 */
const KEEP_FROM = 4096;
/** The rows a batch of the stage's own takes before the next is begun. */
const OWN_ROWS = 65_536;

export class Stage {
  private readonly byDay = new Map<number, StagedDay>();
  /** Rows held over every day. */
  rows = 0;
  /**
   * The merged batch of the last day dropped, for the next merge: a flush
   * after a flush (an import's commits, a collector's steady stream) then
   * writes its rows into memory already touched instead of new arrays each
   * time (their zeroing, page faults and collection took more CPU than the
   * copy itself). At most one batch, no larger than a day the stage held.
   */
  private spare: FlowBatch | null = null;

  /** `dayNumber`: the UTC day of an end time (every millisecond of day d is d; the store clamps what lies beyond). */
  constructor(private readonly dayNumber: (te: number) => number) {}

  get dayCount(): number {
    return this.byDay.size;
  }

  has(d: number): boolean {
    return this.byDay.has(d);
  }

  /** The staged days, in order. */
  days(): number[] {
    return [...this.byDay.keys()].sort((a, b) => a - b);
  }

  /**
   * Holds rows [start, end) of `b`, each under the day of its end time. A
   * batch wholly of one day, of at least {@link KEEP_FROM} rows, is kept as
   * it is (the stage owns it from now on); any other run of one day is
   * copied, a small one into a batch of the stage's own.
   */
  add(b: FlowBatch, start: number, end: number): void {
    let s = start;
    while (s < end) {
      const d = this.dayNumber(b.te[s]!);
      // The run of day d: a time within the day's milliseconds needs no call of dayNumber.
      const from = d * DAY_MS;
      const to = from + DAY_MS;
      let e = s + 1;
      let lo = b.te[s]!;
      let hi = lo;
      for (; e < end; e++) {
        const t = b.te[e]!;
        if (!(t >= from && t < to) && this.dayNumber(t) !== d) break;
        if (t < lo) lo = t;
        else if (t > hi) hi = t;
      }
      let day = this.byDay.get(d);
      if (!day) {
        day = { batches: [], open: null, merged: false, rows: 0, minTe: lo, maxTe: hi };
        this.byDay.set(d, day);
      }
      if (e - s >= KEEP_FROM) {
        day.batches.push(s === 0 && e === b.length ? b : b.slice(s, e));
        day.open = null;
        day.merged = false;
      } else {
        if (!day.open || day.open.length >= OWN_ROWS) {
          day.open = new FlowBatch(KEEP_FROM);
          day.batches.push(day.open);
          day.merged = false;
        }
        day.open.append(b, s, e);
      }
      day.rows += e - s;
      if (lo < day.minTe) day.minTe = lo;
      if (hi > day.maxTe) day.maxTe = hi;
      this.rows += e - s;
      s = e;
    }
  }

  /**
   * The rows of day `d` as one batch with their order by end time. The
   * day's batches are merged into that one batch, which the day then keeps
   * (a retried write does not merge again, and the parts can be freed).
   */
  ordered(d: number): OrderedDay | undefined {
    const day = this.byDay.get(d);
    if (!day) return undefined;
    if (day.batches.length > 1) {
      let all = this.spare;
      this.spare = null;
      if (all && all.capacity >= day.rows) all.clear();
      // Rounded up, so the next day of about the same size (an import's next commit) fits in it too.
      else all = new FlowBatch(Math.ceil(day.rows / OWN_ROWS) * OWN_ROWS);
      for (const b of day.batches) {
        all.append(b);
        FlowBatch.recycle(b); // copied: a reader's batch gives its arrays to the next ones (batch.ts)
      }
      day.batches = [all];
      day.open = null;
      day.merged = true;
    }
    const batch = day.batches[0]!;
    // The file holds whole milliseconds (chunk.ts truncates): its span is said the same way.
    const { rows, minTe, maxTe } = day;
    return {
      batch,
      perm: timeOrder(batch.te, batch.length, minTe, maxTe),
      rows,
      minTe: Math.floor(minTe),
      maxTe: Math.floor(maxTe),
    };
  }

  /** Removes a day (written, or given up); returns its rows. */
  drop(d: number): number {
    const day = this.byDay.get(d);
    if (!day) return 0;
    this.byDay.delete(d);
    this.rows -= day.rows;
    const own = day.merged ? day.batches[0]! : null;
    if (own && (!this.spare || own.capacity > this.spare.capacity)) this.spare = own;
    return day.rows;
  }
}

/**
 * The row numbers of `te[0..n)` in order of time (ties in the order they
 * came), or null when the rows already are in order. `min`, `max`: the
 * least and greatest value. The order is that of the whole milliseconds
 * the file holds (a fraction of a millisecond does not count, as in
 * `chunk.ts`); within a day every key is below 2^27.
 */
export function timeOrder(te: Float64Array, n: number, min: number, max: number): Uint32Array | null {
  let sorted = true;
  for (let i = 1; i < n; i++) {
    if (te[i]! < te[i - 1]!) {
      sorted = false;
      break;
    }
  }
  if (sorted) return null;
  let idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  const base = Math.floor(min);
  const span = Math.floor(max) - base;
  if (n < RADIX_FROM || span >= 2 ** 32)
    return idx.sort((a, b) => Math.floor(te[a]!) - Math.floor(te[b]!) || a - b);
  // Least significant digit first: stable, so the second pass keeps the first's order. Spans to 2^22 ms (70
  // minutes) in two passes of 11 bits, whose 2,048 counters and write positions stay in the nearest cache (a quarter
  // less CPU than 16 bits a pass for 500,000 rows over 10 minutes); one pass of 16 bits below 65 s, two of 16 to 2^32.
  const bits = span < 1 << 16 ? 16 : span < 1 << 22 ? 11 : 16;
  const passes = span < 1 << 16 ? 1 : 2;
  const mask = (1 << bits) - 1;
  const key = new Uint32Array(n);
  for (let i = 0; i < n; i++) key[i] = Math.floor(te[i]!) - base;
  let tmp = new Uint32Array(n);
  const count = new Uint32Array(1 << bits);
  for (let p = 0; p < passes; p++) {
    const shift = p * bits;
    count.fill(0);
    for (let i = 0; i < n; i++) count[(key[i]! >>> shift) & mask]!++;
    let sum = 0;
    for (let k = 0; k <= mask; k++) {
      const c = count[k]!;
      count[k] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const j = idx[i]!;
      tmp[count[(key[j]! >>> shift) & mask]!++] = j;
    }
    [idx, tmp] = [tmp, idx];
  }
  return idx;
}
