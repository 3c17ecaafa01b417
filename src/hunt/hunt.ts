/**
 * @module The hunt: every stored day, one scan of that day's flows against
 * all signatures at once — never one query per signature per day, the
 * paper's main lesson on cost. Each flow is fanned out to the signatures
 * whose exchange it has; the engine groups by (signature, source) and
 * returns, per pair, distinct destinations, flows, distinct source ports,
 * visits, the flows of each exchange and first/last seen. A profile's few
 * candidates that pass every other rule then get their flows to the port
 * (any exchange) from one narrow count, for the coverage rule. A hit is
 * kept when the host behaves like a probing client (docs/hunt.md), whatever
 * its size:
 * - it visits each target about once, a fresh ephemeral source port per
 *   session; a brute forcer's few retries fall in the same visit, while a
 *   client or a monitoring poller comes back on a schedule;
 * - for a profile, most of its flows to the port use the profile's
 *   exchanges, mixed about as the profile mixes them.
 */

import { formatHiLo } from '../flow/address.js';
import { DAY_MS, dayOf } from '../flow/batch.js';
import { EPHEMERAL_PORT_MIN } from '../flow/names.js';
import { big, num } from '../store/queries.js';
import { raw, type Sql, sql } from '../store/sql.js';
import type { FlowStore, KeyLookup } from '../store/types.js';
import { isProfile, keyOf, MAX_COMBOS, type SignatureKey, signatureKey, signatureText } from './signature.js';

export interface HuntOptions {
  /** Distinct targets a host needs on a signature in a day. */
  minTargets: number;
  /** At most this many sessions per target: a brute forcer retries a few times, not dozens. */
  maxSessionsPerTarget: number;
  /** At most this many visits per target (a visit: one target's sessions within {@link visitMinutes}). */
  maxVisitsPerTarget: number;
  /** A target's sessions this close together are one visit (retries), farther apart a return. */
  visitMinutes: number;
  /** Distinct source ports per flow at least (a new ephemeral port per session). */
  minSourcePortRatio: number;
  /** Share of flows from ephemeral source ports at least (a client, not a server answering). */
  minEphemeralShare: number;
  /** Profiles: share of the host's flows to the port that use the profile's exchanges, at least. */
  minCoverage: number;
  /**
   * Profiles: similarity (1 − total variation distance) of the host's mix of
   * the exchanges to the profile's, at least, less 1/√n for a host with n
   * such flows (a handful of flows cannot show a mix).
   */
  minSimilarity: number;
}

export const DEFAULT_HUNT: HuntOptions = {
  minTargets: 3,
  maxSessionsPerTarget: 6,
  maxVisitsPerTarget: 1.5,
  visitMinutes: 10,
  minSourcePortRatio: 0.5,
  minEphemeralShare: 0.9,
  minCoverage: 0.5,
  minSimilarity: 0.75,
};

/** The hunt's own settings out of a larger object (the config's `hunt:` section). */
export function huntOptionsOf(h: HuntOptions): HuntOptions {
  return {
    minTargets: h.minTargets,
    maxSessionsPerTarget: h.maxSessionsPerTarget,
    maxVisitsPerTarget: h.maxVisitsPerTarget,
    visitMinutes: h.visitMinutes,
    minSourcePortRatio: h.minSourcePortRatio,
    minEphemeralShare: h.minEphemeralShare,
    minCoverage: h.minCoverage,
    minSimilarity: h.minSimilarity,
  };
}

export interface Finding {
  day: string;
  /** The signature's written form (docs/hunt.md); a profile's with the catalog's percentages. */
  signature: string;
  protocol: number;
  ip: string;
  destinations: number;
  flows: number;
  sourcePorts: number;
  firstSeen: number;
  lastSeen: number;
  /** `client` for a probing client; hits kept are always clients, the field says why. */
  role: 'client' | 'server';
  sessionsPerTarget: number;
  /** Visits per target: 1 for a probe or a brute forcer whose retries come together. */
  visitsPerTarget?: number;
  /** Profiles: share of the host's flows to the port on the profile's exchanges. */
  coverage?: number;
  /** Profiles: 1 − total variation distance between the host's mix and the profile's. */
  similarity?: number;
  /** Whether the host was itself reported as a large-scale attacker. */
  largeScale: boolean;
}

/**
 * Signatures per query: bounds the lookups' size; a day is still one scan
 * per batch of this many (one scan for any catalog below it).
 */
const SIGNATURES_PER_SCAN = 5000;

const COMBO_COLS = ['proto', 'dport', 'packets', 'bytes'] as const;

/**
 * The day's flows fanned out to the signatures (`sid`: 1-based position in
 * `sigs`) by exchange (`cidx`: 1-based position in the signature's
 * exchanges), grouped by (signature, source). One scan; only flows on some
 * signature's exchange take part (a profile's port totals come after, for
 * its candidates only: {@link portTotalsQuery}).
 */
export function huntQuery(
  store: FlowStore,
  from: Sql,
  sigs: readonly SignatureKey[],
  d0: number,
  d1: number,
  o: Pick<HuntOptions, 'minTargets' | 'visitMinutes'>,
): Sql {
  const d = store.dialect;
  const byCombo = new Map<string, { key: number[]; entries: number[][] }>();
  sigs.forEach((s, i) => {
    s.combos.forEach((c, j) => {
      const key = [s.protocol, s.port, c.packets, c.octets];
      const k = key.join('-');
      const e = byCombo.get(k) ?? { key, entries: [] };
      e.entries.push([i + 1, j + 1]);
      byCombo.set(k, e);
    });
  });
  const lookups: KeyLookup[] = [{ cols: COMBO_COLS, keys: [...byCombo.values()] }];
  const visitMs = Math.round(o.visitMinutes * 60_000);
  // Visits are counted on two grids of slots, the second shifted by half a slot, and the smaller
  // count kept: sessions closer than half a slot always share a slot on one of them, so where the
  // day's grid happens to fall does not split a burst of retries.
  const half = Math.round(visitMs / 2);
  const inner = sql`SELECT proto, dport, packets, bytes, src_hi, src_lo, dst_hi, dst_lo, sport, ts, te,
      floor(te / ${raw(String(visitMs))}) AS visit, floor((te + ${raw(String(half))}) / ${raw(String(visitMs))}) AS visit2
    FROM ${from} WHERE te >= ${d0} AND te < ${d1}`;
  const destinations = d.countDistinct(['dst_hi', 'dst_lo']);
  const combos = Array.from({ length: MAX_COMBOS }, (_, k) => `c${k + 1}`);
  const perCombo = combos.map((c, k) => `${d.aggIf('count', [], `cidx = ${k + 1}`)} AS ${c}`).join(', ');
  return sql`SELECT sid, src_hi, src_lo,
      ${raw(destinations)} AS destinations,
      count(*) AS flows,
      ${raw(d.countDistinct(['sport']))} AS source_ports,
      ${raw(d.aggIf('count', [], `sport >= ${EPHEMERAL_PORT_MIN}`))} AS ephemeral,
      ${raw(d.countDistinct(['dst_hi', 'dst_lo', 'visit']))} AS visits,
      ${raw(d.countDistinct(['dst_hi', 'dst_lo', 'visit2']))} AS visits2,
      ${raw(perCombo)},
      min(ts) AS first_seen,
      max(te) AS last_seen
    FROM (${d.fanOut(inner, lookups, ['sid', 'cidx'])}) AS x
    GROUP BY sid, src_hi, src_lo
    HAVING ${raw(destinations)} >= ${o.minTargets}`;
}

/** Hosts a query of {@link portTotalsQuery} asks about at most (bounds the lookup's size). */
const HOSTS_PER_TOTALS = 20_000;

/**
 * Each (protocol, port, source) of `hosts`: its flows to the port that day,
 * on any exchange. Asked only for the profile candidates that passed every
 * other rule (a handful of hosts, not every client of a busy port), so a
 * profile on port 443 costs one narrow count, not a row per flow to 443
 * through the hunt's grouping.
 */
export function portTotalsQuery(
  store: FlowStore,
  from: Sql,
  hosts: readonly (readonly [number, number, bigint, bigint])[],
  d0: number,
  d1: number,
): Sql {
  const cols = ['proto', 'dport', 'src_hi', 'src_lo'];
  return sql`SELECT proto, dport, src_hi, src_lo, count(*) AS n FROM ${from}
    WHERE te >= ${d0} AND te < ${d1} AND ${store.dialect.inTuples(cols, hosts)}
    GROUP BY proto, dport, src_hi, src_lo`;
}

/**
 * How a host mixes a profile's exchanges against the profile: 1 − the total
 * variation distance between the two distributions (1 the same mix, 0
 * disjoint).
 */
export function mixSimilarity(s: SignatureKey, counts: readonly number[]): number {
  const n = counts.reduce((a, b) => a + b, 0);
  if (n === 0) return 0;
  let tvd = 0;
  s.combos.forEach((c, k) => {
    tvd += Math.abs((counts[k] ?? 0) / n - c.weight);
  });
  return 1 - tvd / 2;
}

/** Hunts one day (UTC) against all signatures; returns the kept findings. */
export async function huntDay(
  store: FlowStore,
  day: string,
  sigs: readonly SignatureKey[],
  o: HuntOptions = DEFAULT_HUNT,
  largeScale: ReadonlySet<string> = new Set(),
): Promise<Finding[]> {
  const d0 = Date.parse(`${day}T00:00:00Z`);
  const d1 = d0 + DAY_MS;
  const out: Finding[] = [];
  const r3 = (x: number) => Math.round(x * 1000) / 1000;
  const range = { from: d0, to: d1 };
  for (let i = 0; i < sigs.length; i += SIGNATURES_PER_SCAN) {
    const batch = sigs.slice(i, i + SIGNATURES_PER_SCAN);
    const rows = await store.queryFlows(range, (from) => huntQuery(store, from, batch, d0, d1, o));
    // Profile hits that pass every rule but coverage wait for their hosts' flows to the port.
    const waiting: { f: Finding; hi: bigint; lo: bigint; sig: SignatureKey }[] = [];
    for (const r of rows) {
      const sig = batch[num(r['sid']) - 1];
      if (!sig) continue;
      const flows = num(r['flows']);
      const destinations = num(r['destinations']);
      const sourcePorts = num(r['source_ports']);
      const ephemeralShare = flows > 0 ? num(r['ephemeral']) / flows : 0;
      const sessionsPerTarget = destinations > 0 ? flows / destinations : 0;
      const visits = Math.min(num(r['visits']), num(r['visits2']));
      const visitsPerTarget = destinations > 0 ? visits / destinations : 0;
      const client = ephemeralShare >= o.minEphemeralShare && sourcePorts / flows >= o.minSourcePortRatio;
      if (!client || sessionsPerTarget > o.maxSessionsPerTarget || visitsPerTarget > o.maxVisitsPerTarget)
        continue;
      let similarity: number | undefined;
      if (isProfile(sig)) {
        similarity = mixSimilarity(
          sig,
          sig.combos.map((_, k) => num(r[`c${k + 1}`])),
        );
        if (similarity < o.minSimilarity - 1 / Math.sqrt(flows)) continue;
      }
      const hi = big(r['src_hi']);
      const lo = big(r['src_lo']);
      const ip = formatHiLo(hi, lo);
      const f: Finding = {
        day,
        signature: signatureText(sig),
        protocol: sig.protocol,
        ip,
        destinations,
        flows,
        sourcePorts,
        firstSeen: num(r['first_seen']),
        lastSeen: num(r['last_seen']),
        role: 'client',
        sessionsPerTarget: r3(sessionsPerTarget),
        visitsPerTarget: r3(visitsPerTarget),
        largeScale: largeScale.has(ip),
      };
      if (similarity === undefined) out.push(f);
      else waiting.push({ f: { ...f, similarity: r3(similarity) }, hi, lo, sig });
    }
    const totals = await portTotals(store, range, waiting);
    for (const w of waiting) {
      const portFlows = totals.get(hostPortKey(w.sig.protocol, w.sig.port, w.hi, w.lo)) ?? 0;
      const coverage = portFlows > 0 ? w.f.flows / portFlows : 0;
      if (coverage < o.minCoverage) continue;
      // Same field order as an exact finding's, then the mix.
      const { similarity, largeScale: ls, ...rest } = w.f;
      out.push({ ...rest, coverage: r3(coverage), similarity: similarity!, largeScale: ls });
    }
  }
  return sortFindings(out);
}

function hostPortKey(protocol: number, port: number, hi: bigint, lo: bigint): string {
  return `${protocol}/${port}/${hi}/${lo}`;
}

/** The flows to the port of each waiting (protocol, port, host), in batches of {@link HOSTS_PER_TOTALS}. */
async function portTotals(
  store: FlowStore,
  range: { from: number; to: number },
  waiting: readonly { hi: bigint; lo: bigint; sig: SignatureKey }[],
): Promise<Map<string, number>> {
  const hosts = new Map<string, [number, number, bigint, bigint]>();
  for (const w of waiting)
    hosts.set(hostPortKey(w.sig.protocol, w.sig.port, w.hi, w.lo), [w.sig.protocol, w.sig.port, w.hi, w.lo]);
  const list = [...hosts.values()];
  const out = new Map<string, number>();
  for (let i = 0; i < list.length; i += HOSTS_PER_TOTALS) {
    const part = list.slice(i, i + HOSTS_PER_TOTALS);
    const rows = await store.queryFlows(range, (from) =>
      portTotalsQuery(store, from, part, range.from, range.to),
    );
    for (const r of rows)
      out.set(hostPortKey(num(r['proto']), num(r['dport']), big(r['src_hi']), big(r['src_lo'])), num(r['n']));
  }
  return out;
}

export function sortFindings(f: Finding[]): Finding[] {
  return f.sort(
    (a, b) =>
      a.day.localeCompare(b.day) ||
      a.signature.localeCompare(b.signature, 'en', { numeric: true }) ||
      a.protocol - b.protocol ||
      b.destinations - a.destinations ||
      a.ip.localeCompare(b.ip, 'en', { numeric: true }),
  );
}

/**
 * Hunts each day of [from, to) and stores the findings per day. A day hunted
 * again replaces its findings for the signatures hunted; findings of other
 * signatures that day are kept.
 */
export async function huntRange(
  store: FlowStore,
  from: number,
  to: number,
  sigs: readonly SignatureKey[],
  o: HuntOptions = DEFAULT_HUNT,
  largeScale: ReadonlySet<string> = new Set(),
  onDay?: (day: string, findings: Finding[]) => void,
): Promise<Finding[]> {
  const hunted = new Set(sigs.map(signatureKey));
  const all: Finding[] = [];
  const stored = new Set((await store.days()).map((d) => d.day));
  for (let d = Math.floor(from / DAY_MS) * DAY_MS; d < to; d += DAY_MS) {
    const day = dayOf(d);
    if (!stored.has(day)) continue;
    const found = sigs.length ? await huntDay(store, day, sigs, o, largeScale) : [];
    const prev = (await store.getDocs<Finding>('findings', { from: day, to: day }))[0]?.docs ?? [];
    const kept = prev.filter((f) => !hunted.has(keyOf(f)));
    await store.putDocs('findings', day, sortFindings([...kept, ...found]));
    all.push(...found);
    onDay?.(day, found);
  }
  return all;
}
