/**
 * @module This network's normal, learned from the store: for each role
 * (client, server, destination) the high end of each ranking metric over
 * host-windows, and for each service (protocol and port) the high end of
 * the distinct targets one host reaches on it. A threshold is then
 * `max(minimum, margin × learned value)`, so the same defaults fit a
 * 500-host campus and a backbone.
 *
 * Learned per day from a sample of the day's windows (hosts sampled by
 * address when a window is large), with exact counts, and stored as a
 * `baseline` document of that day: both engines read the same sample and
 * the quantiles are taken here, so a replay gives the same thresholds on
 * DuckDB and ClickHouse. A window is judged against the stored days before
 * its own; with none yet (a first day), against the other hosts of the
 * same window. The learned value is the quantile of the host-windows with
 * at least `minAbove` of them above it, so an attacker (or a few) never
 * sets its own bar.
 */

import { DAY_MS, dayOf } from '../flow/batch.js';
import { num } from '../store/queries.js';
import { raw, type Sql, sql } from '../store/sql.js';
import type { FlowStore } from '../store/types.js';
import { SYN_ONLY } from './metrics.js';
import type { Thresholds } from './thresholds.js';

/** What a source is taken for in the baseline: serving from a well-known port, or a client. */
export type BaselineRole = 'client' | 'server' | 'destination';
export const BASELINE_METRICS = [
  'peers',
  'flows',
  'packets',
  'smallPackets',
  'bytes',
  'ports',
  'synOnly',
] as const;

/** Packets of at most this many bytes are small: a flood's, a probe's, a game's; not a video call's or a download's. */
export const SMALL_PACKET_BYTES = 200;
export type BaselineMetric = (typeof BASELINE_METRICS)[number];

/** The high end of one metric: how many host-windows it was learned from and their largest values. */
export interface Tail {
  n: number;
  /** The largest values, descending (as many as a quantile of `n` needs). */
  top: number[];
}

export interface BaselineDoc {
  /** The day learned, or the window (first-day comparison). */
  of: string;
  windows: number;
  /** Hosts were sampled one address in `modulus` (1: all). */
  modulus: number;
  /** `client.peers`, `destination.packets`, … and `service.<proto>.<port>` (distinct targets on one service). */
  tails: Record<string, Tail>;
}

/** Thresholds to judge a window by, with where each learned one came from. */
export interface Baseline {
  /** `days 2026-11-25..2026-12-01`, or `this window` (no stored day yet). */
  from: string;
  tails: Record<string, Tail>;
}

/** Values kept per tail: enough for the quantile of a large sample, bounded. */
const KEEP = 256;

export const serviceKey = (proto: number, port: number) => `service.${proto}.${port}`;

/** The learned value of a tail, or undefined when it has too few host-windows to say. */
export function learnedValue(tail: Tail | undefined, b: Thresholds['baseline']): number | undefined {
  if (!tail || tail.n <= b.minAbove) return undefined;
  const above = Math.max(b.minAbove, Math.ceil((1 - b.quantile) * tail.n - 1e-9)); // (1 - 0.999) is not exact
  // The (above+1)-th largest value: at least `above` host-windows lie above or at it. Zeros are not
  // kept (a host-window past the kept values has 0); past the KEEP largest, the smallest kept value
  // stands in for it (a little high: a larger sample than a tail keeps only raises the bar).
  if (above < tail.top.length) return tail.top[above];
  return tail.top.length >= KEEP ? tail.top[KEEP - 1] : 0;
}

/** What a learned threshold was judged against, for the report and the alert. */
export interface Basis {
  /** The learned value (the quantile of host-windows), when there were enough of them. */
  learned?: number;
  quantile: number;
  margin: number;
  /** Host-windows learned from. */
  n: number;
  /** `day 2026-12-01`, `days …`, `this window`. */
  from: string;
  minimum: number;
}

/** One threshold with what it was judged against (absent: pinned). */
export interface Limit {
  value: number;
  basis?: Basis;
}

/** `max(minimum, margin × learned)`, with its basis; the minimum alone when nothing is learned. */
export function limitOf(
  base: Baseline | undefined,
  key: string,
  minimum: number,
  b: Thresholds['baseline'],
): Limit {
  const tail = base?.tails[key];
  const v = learnedValue(tail, b);
  const basis: Basis = {
    quantile: b.quantile,
    margin: b.margin,
    n: tail?.n ?? 0,
    from: base?.from ?? 'no flows',
    minimum,
  };
  if (v === undefined) return { value: minimum, basis };
  return { value: Math.max(minimum, Math.ceil(v * b.margin)), basis: { ...basis, learned: v } };
}

function pushTail(tails: Record<string, Tail>, key: string, value: number): void {
  let t = tails[key];
  if (!t) {
    t = { n: 0, top: [] };
    tails[key] = t;
  }
  t.n++;
  if (value > 0) t.top.push(value);
}

function finish(tails: Record<string, Tail>): void {
  for (const t of Object.values(tails)) {
    t.top.sort((a, b) => b - a);
    if (t.top.length > KEEP) t.top.length = KEEP;
  }
}

/** Several tails of one metric (days, windows) as one: counts added, largest values merged. */
export function mergeTails(parts: readonly Record<string, Tail>[]): Record<string, Tail> {
  const out: Record<string, Tail> = {};
  for (const p of parts)
    for (const [k, t] of Object.entries(p)) {
      let o = out[k];
      if (!o) {
        o = { n: 0, top: [] };
        out[k] = o;
      }
      o.n += t.n;
      o.top.push(...t.top);
    }
  finish(out);
  return out;
}

const LOW_PORT = '((proto = 6 OR proto = 17) AND sport > 0 AND sport < 1024)';

/**
 * The sample query's column of each learned metric: its output list is
 * made from this table and the tails are read back through it, so a metric
 * cannot be learned from a column the query does not return.
 */
const SAMPLE_COLUMN: Record<BaselineMetric, string> = {
  peers: 'peers',
  flows: 'flows',
  packets: 'packets',
  smallPackets: 'small',
  bytes: 'bytes',
  ports: 'ports',
  synOnly: 'syn_only',
};

/**
 * Per host of each role in `[w0, w1)`, sampled one address in `modulus`,
 * the exact metrics (sources: `role` 0, destinations 1), and per service
 * the distinct targets of its sampled sources (`role` 2): how many sources
 * (`flows`) and the largest `KEEP` of their counts, one row each (`peers`).
 * A source answering from a well-known port is not a client of the service
 * its answers go to (sources that do so for 80 % of their flows there are
 * left out here, not returned to be skipped: most rows of a window).
 */
function sampleQuery(store: FlowStore, from: Sql, w0: number, w1: number, modulus: number): Sql {
  const d = store.dialect;
  const sample = (lo: string) => (modulus > 1 ? `AND ${lo} % ${modulus} = 0` : '');
  const sum = (cond: string) => `sum(CASE WHEN ${cond} THEN 1 ELSE 0 END)`;
  const list = (role: number, cols: Record<string, string>) =>
    ['role', 'proto', 'port', ...Object.values(SAMPLE_COLUMN), 'low_port']
      // Output names of their own: ClickHouse substitutes a SELECT's aliases into its other expressions.
      .map((c) => `${d.uint(c === 'role' ? String(role) : (cols[c] ?? '0'))} AS b_${c}`)
      .join(', ');
  const branch = (sampled: Sql, role: number, cols: Record<string, string>, where: string, group: string) =>
    sql`SELECT ${raw(list(role, cols))} FROM ${sampled} WHERE 1 = 1 ${raw(where)} GROUP BY ${raw(group)}`;
  const common = {
    flows: 'count(*)',
    packets: 'sum(packets)',
    small: `sum(CASE WHEN bytes <= ${SMALL_PACKET_BYTES} * packets THEN packets ELSE 0 END)`,
    bytes: 'sum(bytes)',
    syn_only: sum(SYN_ONLY),
  };
  const services = (sampled: Sql) =>
    sql`SELECT ${raw(list(2, { proto: 'proto', port: 'port', flows: 'group_rows', peers: 'peers' }))} FROM (${d.topPerGroup(
      sql`SELECT src_hi, src_lo, proto, dport AS port, ${raw(d.uint(d.countDistinct(['dst_hi', 'dst_lo'])))} AS peers
        FROM ${sampled} WHERE 1 = 1 ${raw(sample('src_lo'))} GROUP BY src_hi, src_lo, proto, dport
        HAVING ${raw(sum(LOW_PORT))} * 5 < count(*) * 4`,
      ['proto', 'port'],
      'peers DESC, src_hi, src_lo',
      KEEP,
      ['peers'],
    )}) AS s`;
  const union = (sampled: Sql) => sql`${branch(
    sampled,
    0,
    {
      ...common,
      peers: d.countDistinct(['dst_hi', 'dst_lo']),
      ports: d.countDistinct(['dport']),
      low_port: sum(LOW_PORT),
    },
    sample('src_lo'),
    'src_hi, src_lo',
  )}
    UNION ALL ${branch(
      sampled,
      1,
      { ...common, peers: d.countDistinct(['src_hi', 'src_lo']), ports: d.countDistinct(['sport']) },
      sample('dst_lo'),
      'dst_hi, dst_lo',
    )}
    UNION ALL ${services(sampled)}`;
  // The window's sampled hosts' flows are read once; each branch groups them.
  const either = modulus > 1 ? `AND (src_lo % ${modulus} = 0 OR dst_lo % ${modulus} = 0)` : '';
  return d.withTables(
    [
      [
        'sampled',
        sql`SELECT src_hi, src_lo, dst_hi, dst_lo, proto, sport, dport, flags, packets, bytes FROM ${from} WHERE te >= ${w0} AND te < ${w1} ${raw(either)}`,
      ],
    ],
    (ref) => union(ref('sampled')),
  );
}

/** How many flows each window of `[from, to)` holds (windows with none are absent). */
export async function windowFlows(
  store: FlowStore,
  from: number,
  to: number,
  windowMs: number,
): Promise<Map<number, number>> {
  const rows = await store.queryFlows(
    { from, to },
    (rel) =>
      sql`SELECT te - te % ${windowMs} AS w, count(*) AS n FROM ${rel} WHERE te >= ${from} AND te < ${to} GROUP BY w`,
  );
  return new Map(rows.map((r) => [num(r['w']), num(r['n'])]));
}

/** One address in a power of two, so that a window's sample holds about `sampleFlows` flows. */
export function modulusFor(flows: number, sampleFlows: number): number {
  let m = 1;
  while (flows / m > sampleFlows && m < 1 << 20) m *= 2;
  return m;
}

/** The tails of the sampled host-windows of the given windows. */
export async function learnTails(
  store: FlowStore,
  windows: readonly { w0: number; flows: number }[],
  windowMs: number,
  t: Thresholds,
): Promise<{ tails: Record<string, Tail>; modulus: number }> {
  const tails: Record<string, Tail> = {};
  let modulus = 1;
  for (const { w0, flows } of windows) {
    const m = modulusFor(flows, t.baseline.sampleFlows);
    modulus = Math.max(modulus, m);
    const w1 = w0 + windowMs;
    const rows = await store.queryFlows({ from: w0, to: w1 }, (from) => sampleQuery(store, from, w0, w1, m));
    // Sources that answer from a well-known port are servers; the others clients (ICMP has no ports: a client).
    for (const r of rows) {
      const role = num(r['b_role']);
      if (role === 2) continue;
      const flowsOf = num(r['b_flows']);
      const kind: BaselineRole =
        role === 1 ? 'destination' : num(r['b_low_port']) >= 0.8 * flowsOf ? 'server' : 'client';
      for (const m of BASELINE_METRICS) pushTail(tails, `${kind}.${m}`, num(r[`b_${SAMPLE_COLUMN[m]}`]));
    }
    // A service's rows: its sources' count on each, the largest target counts one a row.
    const counted = new Set<string>();
    for (const r of rows) {
      if (num(r['b_role']) !== 2) continue;
      const key = serviceKey(num(r['b_proto']), num(r['b_port']));
      let t = tails[key];
      if (!t) {
        t = { n: 0, top: [] };
        tails[key] = t;
      }
      if (!counted.has(key)) {
        counted.add(key);
        t.n += num(r['b_flows']);
      }
      const peers = num(r['b_peers']);
      if (peers > 0) t.top.push(peers);
    }
  }
  finish(tails);
  return { tails, modulus };
}

/** Up to `n` windows of `have`, spread evenly over them. */
function spread(have: readonly number[], n: number): number[] {
  if (have.length <= n) return [...have];
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(have[Math.floor(((i + 0.5) * have.length) / n)]!);
  return out;
}

/** Learns the baseline of one UTC day from its stored flows and stores it; undefined when the day has none. */
export async function learnDay(
  store: FlowStore,
  day: number,
  t: Thresholds,
): Promise<BaselineDoc | undefined> {
  const windowMs = t.windowMinutes * 60_000;
  const counts = await windowFlows(store, day, day + DAY_MS, windowMs);
  if (counts.size === 0) return undefined;
  const chosen = spread(
    [...counts.keys()].sort((a, b) => a - b),
    t.baseline.windowsPerDay,
  );
  const { tails, modulus } = await learnTails(
    store,
    chosen.map((w0) => ({ w0, flows: counts.get(w0)! })),
    windowMs,
    t,
  );
  const doc: BaselineDoc = { of: dayOf(day), windows: chosen.length, modulus, tails };
  await store.putDocs('baseline', dayOf(day), [doc]);
  return doc;
}

/**
 * The baseline a window is judged by: the stored days of the last
 * `baseline.days` before its day (the day just before is learned first if
 * it has flows and no baseline yet), else the window's own hosts.
 */
export class BaselineSource {
  private readonly byDay = new Map<number, Baseline | undefined>();

  constructor(
    private readonly store: FlowStore,
    private readonly t: Thresholds,
  ) {}

  async forWindow(w0: number, windowFlowCount?: number): Promise<Baseline | undefined> {
    if (this.t.baseline.mode === 'pinned') return undefined;
    const day = Math.floor(w0 / DAY_MS) * DAY_MS;
    if (!this.byDay.has(day)) this.byDay.set(day, await this.fromDays(day));
    const stored = this.byDay.get(day);
    if (stored) return stored;
    const windowMs = this.t.windowMinutes * 60_000;
    // Only the count (the end times read), not the totals: it sets the sample's modulus.
    const flows =
      windowFlowCount ?? (await windowFlows(this.store, w0, w0 + windowMs, windowMs)).get(w0) ?? 0;
    if (flows === 0) return undefined;
    const { tails } = await learnTails(this.store, [{ w0, flows }], windowMs, this.t);
    return { from: 'this window', tails };
  }

  private async fromDays(day: number): Promise<Baseline | undefined> {
    const first = day - this.t.baseline.days * DAY_MS;
    const docs = await this.store.getDocs<BaselineDoc>('baseline', {
      from: dayOf(first),
      to: dayOf(day - DAY_MS),
    });
    const have = new Set(docs.map((p) => p.partition));
    if (!have.has(dayOf(day - DAY_MS))) {
      const learned = await learnDay(this.store, day - DAY_MS, this.t);
      if (learned) docs.push({ partition: learned.of, docs: [learned] });
    }
    const parts = docs.flatMap((p) => p.docs);
    if (parts.length === 0) return undefined;
    const names = parts.map((p) => p.of).sort();
    const from = names.length === 1 ? `day ${names[0]}` : `days ${names[0]}..${names.at(-1)}`;
    return { from, tails: mergeTails(parts.map((p) => p.tails)) };
  }
}
