/**
 * @module Detection of large-scale anomalies in 5-minute windows: rank,
 * profile, classify, track duration, report. The same code runs live in
 * `flowhunt serve` (each window when it closes) and as a replay in
 * `flowhunt detect` over stored flows, so both give the same reports.
 */

import { parseAddress, wordsToHiLo } from '../flow/address.js';
import { DAY_MS } from '../flow/batch.js';
import type { FlowStore } from '../store/types.js';
import { BaselineSource, windowFlows } from './baseline.js';
import { findCrowds } from './distributed.js';
import { advance, type TrackState, trackKey } from './duration.js';
import {
  type HostMetrics,
  type MetricKey,
  type Role,
  rankedOn,
  shownMetrics,
  zeroMetrics,
} from './metrics.js';
import { emptyProfile, type Profile, ppoText, profileHosts } from './profile.js';
import { combinedTop, rankWindow } from './rank.js';
import { newTargetShares } from './regular.js';
import { ingressOf, mitigationFor, type Report, windowId } from './report.js';
import {
  type Classification,
  classify,
  type Evidence,
  type HostView,
  kindOf,
  limitsOf,
  type Rule,
  reflectorsOf,
  viewOf,
} from './rules.js';
import { serviceTargets } from './service.js';
import type { Thresholds } from './thresholds.js';

export interface DetectOptions {
  thresholds: Thresholds;
  /** `exporter/ifIndex` or `exporter` → a name for ingress tracing. */
  interfaceNames?: Record<string, string>;
  /** Adds organisation, country, city and AS to each report. */
  enrich?: (ip: string) => NonNullable<Report['enrichment']>;
  /** Where learned baselines come from (one per detector, so each day's is read once); made if absent. */
  baselines?: BaselineSource;
}

export interface WindowResult {
  windowStart: number;
  reports: Report[];
  ranked: { sources: number; destinations: number };
}

const round = (x: number) => Math.round(x * 10_000) / 10_000;

/** Types of sources that probe targets: a source returning to known targets on a schedule is a poller. */
const PROBING = new Set(['service-scan', 'syn-scan', 'ping-sweep', 'content-attack', 'many-peers']);

/** The target of a flood whose source is reported: reported with it, whatever its other traffic. */
export const FLOOD_TARGET: Rule = {
  type: 'flood',
  role: 'destination',
  describe: 'the target of a flood reported at its source in the same window',
  check: () => null,
};

/** A crowd of probing sources, each below every per-host threshold, covering much of one /24. */
export const DISTRIBUTED_SCAN: Rule = {
  type: 'distributed-scan',
  role: 'destination',
  describe:
    'many sources, each probing a few addresses once with the same combination, covering much of one /24',
  check: () => null,
};

interface Found {
  m: HostMetrics;
  c: Classification;
  v: HostView;
}

/** Detects one window given the tracking state left by the previous one (mutated to this window's). */
export async function detectWindow(
  store: FlowStore,
  w0: number,
  state: TrackState,
  o: DetectOptions,
): Promise<WindowResult> {
  const t = o.thresholds;
  const windowMs = t.windowMinutes * 60_000;
  const w1 = w0 + windowMs;
  const base = await (o.baselines ?? new BaselineSource(store, t)).forWindow(w0);
  const judged =
    t.baseline.mode === 'pinned' ? 'pinned' : (base?.from ?? 'minimums (no flows to learn from)');
  const { sources, destinations } = await rankWindow(store, w0, w1, t);
  let found: Found[] = [];
  // Every kept host is judged on what the rules read; the hosts found are then profiled in full.
  const profiles = await profileHosts(store, sources, destinations, w0, w1, 'classify');
  // A server's most-targeted service is its clients' ephemeral ports: only clients are judged on one.
  const clients = sources.filter((s) => {
    const p = profiles.get(`source|${s.ip}`)!;
    return kindOf('source', p.exact, p.profile) === 'client';
  });
  const services = await serviceTargets(store, clients, w0, w1);
  // Ranking chose the hosts with the engine's approximate distinct counts; everything classified
  // and reported is exact, the rank too: the host's best position among the kept hosts by exact metrics.
  const exact = (list: HostMetrics[], metrics: readonly MetricKey[]) =>
    combinedTop(
      list.map((r) => ({ ...r, ...profiles.get(`${r.role}|${r.ip}`)!.exact })),
      metrics,
      list.length,
    );
  for (const m of [...exact(sources, rankedOn('source')), ...exact(destinations, rankedOn('destination'))]) {
    const p = profiles.get(`${m.role}|${m.ip}`)!;
    const v = viewOf(m, p.profile, t, base, m.role === 'source' ? services.get(m.ip) : undefined);
    const c = classify(v, t);
    if (c) found.push({ m, c, v });
  }
  // A poller returns to the same targets window after window; a scanner reaches new ones.
  const probing = found.filter((f) => f.m.role === 'source' && PROBING.has(f.c.type));
  const shares = await newTargetShares(
    store,
    probing.map((f) => f.m),
    w0,
    w1,
    t.baseline.lookbackMinutes * 60_000,
    windowMs,
  );
  found = found.filter(
    (f) =>
      !(f.m.role === 'source' && PROBING.has(f.c.type)) ||
      (shares.get(f.m.ip) ?? 1) >= t.baseline.newTargetShare,
  );
  await profileInFull(store, found, w0, w1);
  found.push(...(await floodTargets(store, found, w0, w1, t, base)));
  const crowds = await findCrowds(
    store,
    w0,
    w1,
    t,
    (proto, port) => limitsOf(t, base, 'source', 'client', { proto, port }).serviceTargets.value,
  );
  const crowdKeys = crowds.map((c) => trackKey(c.network, 'destination'));
  const durations = advance(state, w0, windowMs, [
    ...found.map((f) => trackKey(f.m.ip, f.m.role)),
    ...crowdKeys.filter((k) => !found.some((f) => trackKey(f.m.ip, f.m.role) === k)),
  ]);
  const reports = found.map(({ m, c, v }): Report => {
    const r: Report = {
      id: `${windowId(w0)}/${m.role}/${m.ip}`,
      ip: m.ip,
      role: m.role,
      type: c.type,
      hostKind: v.kind,
      windowStart: w0,
      windowEnd: w1,
      score: c.score,
      rank: m.rank,
      rule: c.rule.describe,
      exceeded: c.evidence.map((e) => ({ ...e, value: round(e.value) })),
      metrics: {
        ...shownMetrics(m),
        synOnlyShare: round(v.synShare),
        packetsPerFlow: round(v.packetsPerFlow),
        bytesPerPacket: round(v.bytesPerPacket),
      },
      profile: v.p,
      duration: durations.get(trackKey(m.ip, m.role))!,
      baseline: judged,
    };
    if (m.role === 'source' && v.service.targets > 0) r.service = v.service;
    const share = shares.get(m.ip);
    if (m.role === 'source' && share !== undefined) r.newTargetShare = round(share);
    if (o.enrich) {
      const e = o.enrich(m.ip);
      if (Object.keys(e).length) r.enrichment = e;
    }
    if (m.role === 'destination') {
      r.ingress = ingressOf(m, v.p, o.interfaceNames ?? {});
      r.mitigation = mitigationFor(m.ip, c.type, r.ingress);
      if (c.type === 'reflection-victim') r.reflectors = reflectorsOf(v.p);
      if (c.type === 'flood') {
        const by = found
          .filter((f) => f.m.role === 'source' && f.c.type === 'flood' && f.v.p.peers.top[0]?.value === m.ip)
          .map((f) => f.m.ip)
          .sort();
        if (by.length) r.floodedBy = by;
      }
    }
    return r;
  });
  for (const crowd of crowds) {
    const key = trackKey(crowd.network, 'destination');
    if (found.some((f) => trackKey(f.m.ip, f.m.role) === key)) continue;
    const sources = crowd.members.length;
    const minimum = t.distributed.minSources;
    const evidence: Evidence[] = [
      { metric: 'sources, each below the per-host thresholds', value: sources, threshold: minimum, op: '>=' },
      {
        metric: 'share of the /24 reached',
        value: round(crowd.covered / 256),
        threshold: t.distributed.minCoverage,
        op: '>=',
      },
    ];
    // Every dimension of the crowd is its one combination.
    const one = (value: string) => ({
      distinct: 1,
      top: [
        { value, flows: crowd.flows, packets: crowd.flows * crowd.packets, bytes: crowd.bytes, share: 1 },
      ],
    });
    const profile: Profile = {
      ...emptyProfile(),
      protocols: one(String(crowd.proto)),
      dstPorts: one(String(crowd.port)),
      packetsPerFlow: one(String(crowd.packets)),
      octetsPerFlow: one(String(crowd.octets)),
      ppo: one(ppoText(crowd.port, crowd.packets, crowd.octets)),
      peers: {
        distinct: sources,
        top: crowd.members.slice(0, 10).map((x) => ({
          value: x.ip,
          flows: x.flows,
          packets: x.flows * crowd.packets,
          bytes: x.flows * crowd.octets,
          share: crowd.flows > 0 ? round(x.flows / crowd.flows) : 0,
        })),
      },
      ephemeralSrcShare: 0,
    };
    const r: Report = {
      id: `${windowId(w0)}/destination/${crowd.network}`,
      ip: crowd.network,
      role: 'destination',
      type: 'distributed-scan',
      hostKind: 'client',
      windowStart: w0,
      windowEnd: w1,
      score: Math.round((sources / minimum) * 100) / 100,
      rank: 0,
      rule: DISTRIBUTED_SCAN.describe,
      exceeded: evidence,
      metrics: {
        flows: crowd.flows,
        packets: crowd.flows * crowd.packets,
        bytes: crowd.bytes,
        peers: sources,
        ports: 1,
        synOnlyShare: 0,
        packetsPerFlow: crowd.packets,
        bytesPerPacket: crowd.packets > 0 ? round(crowd.octets / crowd.packets) : 0,
      },
      profile,
      duration: durations.get(key)!,
      baseline: judged,
      crowd: { prefix: crowd.prefix, covered: crowd.covered, members: crowd.members },
    };
    if (o.enrich) {
      const e = o.enrich(crowd.network);
      if (Object.keys(e).length) r.enrichment = e;
    }
    reports.push(r);
  }
  reports.sort((a, b) => b.score - a.score || a.id.localeCompare(b.id));
  return { windowStart: w0, reports, ranked: { sources: sources.length, destinations: destinations.length } };
}

/**
 * Replaces the classifying profile of each host found by its full profile
 * (the report's): the same flows, so the same totals, distinct counts and
 * top values the rules judged, every dimension's top values, and the
 * distinct counts no rule of its role reads (a destination's source ports).
 */
async function profileInFull(store: FlowStore, found: Found[], w0: number, w1: number): Promise<void> {
  if (found.length === 0) return;
  const of = (role: Role) => found.filter((f) => f.m.role === role).map((f) => f.m);
  const full = await profileHosts(store, of('source'), of('destination'), w0, w1, 'full');
  for (const f of found) {
    const p = full.get(`${f.m.role}|${f.m.ip}`)!;
    f.m = { ...f.m, ...p.exact };
    f.v = { ...f.v, m: f.m, p: p.profile };
  }
}

/**
 * The targets of the floods reported at their source, profiled as
 * destinations and reported with them (the victim of a campus host's flood
 * is often a busy outside host whose other traffic hides the flood).
 */
async function floodTargets(
  store: FlowStore,
  found: readonly Found[],
  w0: number,
  w1: number,
  t: Thresholds,
  base: Awaited<ReturnType<BaselineSource['forWindow']>>,
): Promise<Found[]> {
  const reported = new Set(found.filter((f) => f.m.role === 'destination').map((f) => f.m.ip));
  const byTarget = new Map<string, { packets: number; limit: HostView['limits']['floodPackets'] }>();
  for (const f of found) {
    if (f.m.role !== 'source' || f.c.type !== 'flood') continue;
    const top = f.v.p.peers.top[0];
    if (!top || reported.has(top.value)) continue;
    const e = byTarget.get(top.value) ?? { packets: 0, limit: f.v.limits.floodPackets };
    e.packets += top.packets;
    byTarget.set(top.value, e);
  }
  if (byTarget.size === 0) return [];
  const targets: HostMetrics[] = [];
  for (const ip of byTarget.keys()) {
    const w = parseAddress(ip);
    if (!w) continue;
    const [hi, lo] = wordsToHiLo(w);
    targets.push({ ip, hi, lo, role: 'destination', ...zeroMetrics(), rank: 0 });
  }
  const profiles = await profileHosts(store, [], targets, w0, w1);
  const out: Found[] = [];
  for (const m0 of targets) {
    const p = profiles.get(`destination|${m0.ip}`)!;
    const m = { ...m0, ...p.exact };
    const v = viewOf(m, p.profile, t, base);
    const e = byTarget.get(m.ip)!;
    const evidence: Evidence[] = [
      {
        metric: 'packets from sources reported flooding it',
        value: e.packets,
        threshold: e.limit.value,
        op: '>=',
        ...(e.limit.basis ? { basis: e.limit.basis } : {}),
      },
    ];
    const score = Math.round(Math.max(1, e.packets / Math.max(1, e.limit.value)) * 100) / 100;
    out.push({ m, v, c: { type: 'flood', rule: FLOOD_TARGET, evidence, score } });
  }
  return out;
}

/**
 * Detects every window in [from, to) in order, storing each window's reports
 * and tracking state, so that a replay of the same windows replaces them with
 * the same result and a later run continues from the stored state.
 */
export async function detectRange(
  store: FlowStore,
  from: number,
  to: number,
  o: DetectOptions,
  onWindow?: (r: WindowResult) => void,
  onProgress?: (p: { done: number; total: number }) => void,
): Promise<WindowResult[]> {
  const windowMs = o.thresholds.windowMinutes * 60_000;
  const start = Math.floor(from / windowMs) * windowMs;
  const opts = o.baselines ? o : { ...o, baselines: new BaselineSource(store, o.thresholds) };
  // Resume from the latest state before `start` (within the quiet period that ends an episode).
  const prev = await store.getDocs<TrackState>('detect-state', {
    from: windowId(start - 288 * windowMs),
    to: windowId(start - windowMs),
  });
  const state: TrackState = structuredClone(prev.at(-1)?.docs[0] ?? {});
  const windows = await windowsToDetect(store, start, to, windowMs);
  const out: WindowResult[] = [];
  let done = 0;
  for (const w0 of windows) {
    const r = await detectWindow(store, w0, state, opts);
    await store.putDocs('reports', windowId(w0), r.reports);
    await store.putDocs('detect-state', windowId(w0), [state]);
    out.push(r);
    onWindow?.(r);
    onProgress?.({ done: ++done, total: windows.length });
  }
  return out;
}

/**
 * The windows of `[start, to)` worth detecting: those holding flows (read
 * from the stored days first, so a range of years over an hour of flows
 * costs one look at the day list), the last window of each day touched (a
 * hunter waits for it) and the last of the range (where a detector resumes).
 */
async function windowsToDetect(
  store: FlowStore,
  start: number,
  to: number,
  windowMs: number,
): Promise<number[]> {
  const last = Math.floor((to - 1) / windowMs) * windowMs;
  if (last < start) return [];
  if (last === start) return [start];
  const out = new Set<number>([last]);
  const days = (await store.days()).filter((d) => d.flows > 0).map((d) => Date.parse(`${d.day}T00:00:00Z`));
  for (const day of days) {
    const a = Math.max(day, start);
    const b = Math.min(day + DAY_MS, last + windowMs);
    if (a >= b) continue;
    for (const w of (await windowFlows(store, a, b, windowMs)).keys())
      if (w >= start && w <= last) out.add(w);
    const dayLast = day + DAY_MS - windowMs;
    if (dayLast >= start && dayLast <= last) out.add(dayLast);
  }
  return [...out].sort((x, y) => x - y);
}
