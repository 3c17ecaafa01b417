/**
 * @module One host's traffic per UTC day for its IP page: flows, packets and
 * bytes it sent and received, per peer and per destination port, summed in
 * the engine by one query over the flows that have it on either side (its
 * flows selected once, then grouped by peer, by port and, for the IP page's
 * timeline, by bucket: the page's first view scans the range once). A
 * whole day that closed more than a grace period ago is kept in memory per
 * host, with the number of flows the store held for the day when it was
 * read: a different number (late flows) reads the day again; a range asks
 * the engine only for its days not kept yet and its partial first and last
 * days, one query per contiguous stretch. Sums over days are exact (flows,
 * packets and bytes add up), so the top peers and ports of a 30-day range
 * are those of the flows, without a scan of the month per page view.
 */

import { formatHiLo, parseAddress, wordsToHiLo } from '../flow/address.js';
import { compileFilter } from '../store/filter/index.js';
import { big, num } from '../store/queries.js';
import { raw, sql } from '../store/sql.js';
import type { FlowStore, Totals } from '../store/types.js';
import { DayCounts } from './rollups.js';
import type { HostBucket } from './timeline.js';

const DAY = 86_400_000;
/** Days closed this long ago are kept (late flows arrive within the detector's grace). */
const SETTLED_MS = 15 * 60_000;

/** A host's flows over some time: each direction's totals, per peer and per destination port. */
export interface HostSummary {
  out: Totals;
  in: Totals;
  peers: Map<string, Totals>;
  ports: Map<number, Totals>;
}

/** Buckets of a timeline the same query fills in passing (timeline.ts keeps the closed ones). */
export interface BucketSink {
  size: number;
  /** A whole bucket inside what was asked (every one, an empty one as zeros), with its day's stored flows when read. */
  put(t: number, b: HostBucket, dayFlows: number): void;
}

interface Answer {
  byDay: Map<number, HostSummary>;
  buckets: Map<number, HostBucket>;
}

export interface KeyTotals extends Totals {
  key: string;
}

const zero = (): Totals => ({ flows: 0, packets: 0, bytes: 0 });
const emptySummary = (): HostSummary => ({ out: zero(), in: zero(), peers: new Map(), ports: new Map() });

function add(into: Totals, t: Totals): void {
  into.flows += t.flows;
  into.packets += t.packets;
  into.bytes += t.bytes;
}

function addAt<K>(m: Map<K, Totals>, k: K, t: Totals): void {
  let v = m.get(k);
  if (!v) {
    v = zero();
    m.set(k, v);
  }
  add(v, t);
}

/** The `n` heaviest keys by flows (ties by key), exact over the summed days. */
export function topOf<K extends string | number>(m: Map<K, Totals>, n: number): KeyTotals[] {
  return [...m.entries()]
    .sort((a, b) => b[1].flows - a[1].flows || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, n)
    .map(([key, t]) => ({ key: String(key), ...t }));
}

export class HostDays {
  private readonly days = new Map<string, HostSummary>();
  /** Per kept day: the day's stored flows when it was read. */
  private readonly stamps = new Map<string, number>();
  private readonly pending = new Map<string, Promise<Answer>>();
  /** Peer and port entries kept over every host and day (oldest day dropped first). */
  private entries = 0;

  constructor(
    private readonly store: FlowStore,
    private readonly now: () => number = Date.now,
    private readonly maxEntries = 2_000_000,
    private readonly counts = new DayCounts(store),
  ) {}

  /**
   * The host's flows in [from, to), from the kept days and the engine; the
   * stretches asked of the engine also fill `buckets` (the IP page's
   * timeline) in the same scan.
   */
  async summary(ip: string, from: number, to: number, buckets?: BucketSink): Promise<HostSummary> {
    const now = this.now();
    // Read before the flows: a day kept with this count holds at least what the store held then.
    const counts = await this.counts.get();
    const key = (d: number) => `${ip}|${d}`;
    const out = emptySummary();
    const spans: [number, number][] = [];
    const keep = new Set<number>();
    for (let d = from - (from % DAY); d < to; d += DAY) {
      const whole = d >= from && d + DAY <= to;
      const kept = whole ? this.days.get(key(d)) : undefined;
      if (kept && this.stamps.get(key(d)) === (counts.get(d) ?? 0)) {
        merge(out, kept);
        continue;
      }
      if (whole && d + DAY + SETTLED_MS <= now) keep.add(d);
      const lo = Math.max(d, from);
      const hi = Math.min(d + DAY, to);
      const last = spans.at(-1);
      if (last && last[1] === lo) last[1] = hi;
      else spans.push([lo, hi]);
    }
    const got = await Promise.all(spans.map(([lo, hi]) => this.ask(ip, lo, hi, buckets?.size ?? 0)));
    got.forEach(({ byDay, buckets: b }, i) => {
      for (const [d, s] of byDay) {
        merge(out, s);
        if (keep.has(d) && this.stamps.get(key(d)) !== (counts.get(d) ?? 0))
          this.remember(key(d), s, counts.get(d) ?? 0);
      }
      if (!buckets) return;
      const [lo, hi] = spans[i]!;
      const size = buckets.size;
      for (let t = lo % size === 0 ? lo : lo - (lo % size) + size; t + size <= hi; t += size)
        buckets.put(
          t,
          b.get(t) ?? { flowsOut: 0, flowsIn: 0, bytesOut: 0, bytesIn: 0, peers: 0 },
          counts.get(t - (t % DAY)) ?? 0,
        );
    });
    return out;
  }

  private remember(k: string, s: HostSummary, flows: number): void {
    const stale = this.days.get(k);
    if (stale) {
      this.days.delete(k);
      this.stamps.delete(k);
      this.entries -= stale.peers.size + stale.ports.size + 1;
    }
    const size = s.peers.size + s.ports.size + 1;
    while (this.entries + size > this.maxEntries && this.days.size > 0) {
      const [oldest, v] = this.days.entries().next().value!;
      this.days.delete(oldest);
      this.stamps.delete(oldest);
      this.entries -= v.peers.size + v.ports.size + 1;
    }
    if (size > this.maxEntries) return;
    this.days.set(k, s);
    this.stamps.set(k, flows);
    this.entries += size;
  }

  /** Per day of [lo, hi): its peers with their directions and its ports, in one query (asked once at a time). */
  private ask(ip: string, lo: number, hi: number, size: number): Promise<Answer> {
    const k = `${ip}|${lo}|${hi}|${size}`;
    let p = this.pending.get(k);
    if (!p) {
      p = this.query(ip, lo, hi, size).finally(() => this.pending.delete(k));
      this.pending.set(k, p);
    }
    return p;
  }

  private async query(ip: string, lo: number, hi: number, size: number): Promise<Answer> {
    const words = parseAddress(ip);
    if (!words) throw new Error(`not an address: ${ip}`);
    const [h, l] = wordsToHiLo(words);
    const d = this.store.dialect;
    const outgoing = `(src_hi = ${h} AND src_lo = ${l})`;
    const peer = (half: 'hi' | 'lo') => `CASE WHEN ${outgoing} THEN dst_${half} ELSE src_${half} END`;
    const u = (e: string) => d.uint(e);
    // The host's flows once (DuckDB: a materialized CTE, one scan), then per day its peers with each
    // direction's share (kind 0) and its destination ports (kind 1).
    const rows = await this.store.queryFlows({ from: lo, to: hi }, (f) =>
      d.withTables(
        [
          [
            'hf',
            sql`SELECT te, src_hi, src_lo, dst_hi, dst_lo, dport, packets, bytes FROM ${f} WHERE te >= ${lo} AND te < ${hi} AND (${compileFilter(`host ${ip}`, d)})`,
          ],
        ],
        (ref) =>
          sql`SELECT ${raw(u('0'))} AS kind, ${raw(u(`te - te % ${DAY}`))} AS d, ${raw(u(peer('hi')))} AS p1, ${raw(u(peer('lo')))} AS p2, ${raw(u(d.aggIf('count', [], outgoing)))} AS o, ${raw(u('count(*)'))} AS n, ${raw(u('sum(packets)'))} AS pk, ${raw(u('sum(bytes)'))} AS bt, ${raw(u(`sum(CASE WHEN ${outgoing} THEN packets ELSE 0 END)`))} AS opk, ${raw(u(`sum(CASE WHEN ${outgoing} THEN bytes ELSE 0 END)`))} AS obt FROM ${ref('hf')} GROUP BY d, p1, p2 UNION ALL SELECT ${raw(u('1'))} AS kind, ${raw(u(`te - te % ${DAY}`))} AS d, ${raw(u('dport'))} AS p1, ${raw(u('0'))} AS p2, ${raw(u('0'))} AS o, ${raw(u('count(*)'))} AS n, ${raw(u('sum(packets)'))} AS pk, ${raw(u('sum(bytes)'))} AS bt, ${raw(u('0'))} AS opk, ${raw(u('0'))} AS obt FROM ${ref('hf')} GROUP BY d, p1${size > 0 ? sql` UNION ALL SELECT ${raw(u('2'))} AS kind, ${raw(u(`te - te % ${size}`))} AS d, ${raw(u(d.countDistinct([peer('hi'), peer('lo')])))} AS p1, ${raw(u('0'))} AS p2, ${raw(u(d.aggIf('count', [], outgoing)))} AS o, ${raw(u('count(*)'))} AS n, ${raw(u('sum(packets)'))} AS pk, ${raw(u('sum(bytes)'))} AS bt, ${raw(u('0'))} AS opk, ${raw(u(`sum(CASE WHEN ${outgoing} THEN bytes ELSE 0 END)`))} AS obt FROM ${ref('hf')} GROUP BY d` : sql``}`,
      ),
    );
    const byDay = new Map<number, HostSummary>();
    const dayOf = (r: Record<string, unknown>) => {
      const day = num(r['d']);
      let s = byDay.get(day);
      if (!s) {
        s = emptySummary();
        byDay.set(day, s);
      }
      return s;
    };
    const buckets = new Map<number, HostBucket>();
    for (const r of rows) {
      if (num(r['kind']) === 2) {
        const o = num(r['o']);
        const obt = num(r['obt']);
        buckets.set(num(r['d']), {
          flowsOut: o,
          flowsIn: num(r['n']) - o,
          bytesOut: obt,
          bytesIn: num(r['bt']) - obt,
          peers: num(r['p1']),
        });
        continue;
      }
      const s = dayOf(r);
      if (num(r['kind']) === 1) {
        addAt(s.ports, num(r['p1']), { flows: num(r['n']), packets: num(r['pk']), bytes: num(r['bt']) });
        continue;
      }
      const all = { flows: num(r['n']), packets: num(r['pk']), bytes: num(r['bt']) };
      const o = { flows: num(r['o']), packets: num(r['opk']), bytes: num(r['obt']) };
      add(s.out, o);
      add(s.in, { flows: all.flows - o.flows, packets: all.packets - o.packets, bytes: all.bytes - o.bytes });
      addAt(s.peers, formatHiLo(big(r['p1']), big(r['p2'])), all);
    }
    return { byDay, buckets };
  }
}

function merge(into: HostSummary, s: HostSummary): void {
  add(into.out, s.out);
  add(into.in, s.in);
  for (const [k, v] of s.peers) addAt(into.peers, k, v);
  for (const [k, v] of s.ports) addAt(into.ports, k, v);
}
