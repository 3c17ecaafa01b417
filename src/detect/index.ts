/**
 * @module Detection of large-scale anomalies in 5-minute windows: rank,
 * profile, classify, track duration, report. The same code runs live in
 * `flowhunt serve` (each window when it closes) and as a replay in
 * `flowhunt detect` over stored flows, so both give the same reports.
 */

import type { FlowStore } from '../store/types.js';
import { advance, type TrackState, trackKey } from './duration.js';
import { profileHosts } from './profile.js';
import { combinedTop, DESTINATION_METRICS, type HostMetrics, rankWindow, SOURCE_METRICS } from './rank.js';
import { ingressOf, mitigationFor, type Report, windowId } from './report.js';
import { classify, reflectorsOf, viewOf } from './rules.js';
import type { Thresholds } from './thresholds.js';

export interface DetectOptions {
  thresholds: Thresholds;
  /** `exporter/ifIndex` or `exporter` → a name for ingress tracing. */
  interfaceNames?: Record<string, string>;
  /** Adds organisation, country, city and AS to each report. */
  enrich?: (ip: string) => NonNullable<Report['enrichment']>;
}

export interface WindowResult {
  windowStart: number;
  reports: Report[];
  ranked: { sources: number; destinations: number };
}

const round = (x: number) => Math.round(x * 10_000) / 10_000;

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
  const { sources, destinations } = await rankWindow(store, w0, w1, t);
  const found: {
    m: HostMetrics;
    c: NonNullable<ReturnType<typeof classify>>;
    v: ReturnType<typeof viewOf>;
  }[] = [];
  const profiles = await profileHosts(store, sources, destinations, w0, w1);
  // Ranking chose the hosts with the engine's approximate distinct counts; everything classified
  // and reported is exact, the rank too: the host's best position among the kept hosts by exact metrics.
  const exact = (list: HostMetrics[], metrics: (keyof HostMetrics)[]) =>
    combinedTop(
      list.map((r) => ({ ...r, ...profiles.get(`${r.role}|${r.ip}`)!.exact })),
      metrics,
      list.length,
    );
  for (const m of [...exact(sources, SOURCE_METRICS), ...exact(destinations, DESTINATION_METRICS)]) {
    const p = profiles.get(`${m.role}|${m.ip}`)!;
    const v = viewOf(m, p.profile);
    const c = classify(v, t);
    if (c) found.push({ m, c, v });
  }
  const durations = advance(
    state,
    w0,
    windowMs,
    found.map((f) => trackKey(f.m.ip, f.m.role)),
  );
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
        flows: m.flows,
        packets: m.packets,
        bytes: m.bytes,
        peers: m.peers,
        ports: m.ports,
        synOnlyShare: round(v.synShare),
        packetsPerFlow: round(v.packetsPerFlow),
        bytesPerPacket: round(v.bytesPerPacket),
      },
      profile: v.p,
      duration: durations.get(trackKey(m.ip, m.role))!,
    };
    if (o.enrich) {
      const e = o.enrich(m.ip);
      if (Object.keys(e).length) r.enrichment = e;
    }
    if (m.role === 'destination') {
      r.ingress = ingressOf(m, v.p, o.interfaceNames ?? {});
      r.mitigation = mitigationFor(m.ip, c.type, r.ingress);
      if (c.type === 'reflection-victim') r.reflectors = reflectorsOf(v.p);
    }
    return r;
  });
  reports.sort((a, b) => b.score - a.score || a.id.localeCompare(b.id));
  return { windowStart: w0, reports, ranked: { sources: sources.length, destinations: destinations.length } };
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
): Promise<WindowResult[]> {
  const windowMs = o.thresholds.windowMinutes * 60_000;
  const start = Math.floor(from / windowMs) * windowMs;
  // Resume from the state as it was after the window just before `start`.
  // Resume from the latest state before `start` (within the quiet period that ends an episode).
  const prev = await store.getDocs<TrackState>('detect-state', {
    from: windowId(start - 288 * windowMs),
    to: windowId(start - windowMs),
  });
  const state: TrackState = structuredClone(prev.at(-1)?.docs[0] ?? {});
  const out: WindowResult[] = [];
  for (let w0 = start; w0 < to; w0 += windowMs) {
    const r = await detectWindow(store, w0, state, o);
    await store.putDocs('reports', windowId(w0), r.reports);
    await store.putDocs('detect-state', windowId(w0), [state]);
    out.push(r);
    onWindow?.(r);
  }
  return out;
}
