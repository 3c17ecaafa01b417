/**
 * @module Stage 5 — the report: one JSON document per anomalous host and
 * window. Its schema is documented in `docs/reports.md`.
 */

import type { FlowStore } from '../store/types.js';
import type { Duration } from './duration.js';
import type { HostMetrics, Role, ShownKey } from './metrics.js';
import type { Profile } from './profile.js';
import type { AnomalyType, Evidence } from './rules.js';

export interface IngressShare {
  exporter: string;
  interface: number;
  /** From the config's interface map, when named there. */
  name?: string;
  packets: number;
  bytes: number;
  packetShare: number;
  byteShare: number;
}

export interface Report {
  /** `<windowStart ISO>/<role>/<ip>`: unique, stable across replays. */
  id: string;
  ip: string;
  role: Role;
  type: AnomalyType;
  /** Client or server, from the source-port profile (sources only). */
  hostKind: 'client' | 'server';
  windowStart: number;
  windowEnd: number;
  score: number;
  /** Position on the combined ranking (1 = top). */
  rank: number;
  rule: string;
  exceeded: Evidence[];
  /** The metrics the table in `metrics.ts` shows, then these ratios. */
  metrics: Record<ShownKey, number> & {
    synOnlyShare: number;
    packetsPerFlow: number;
    bytesPerPacket: number;
  };
  profile: Profile;
  duration: Duration;
  /** Victim reports: where the attack enters, largest first, and what to do about it. */
  ingress?: IngressShare[];
  mitigation?: string;
  /** Reflection: the reflectors, abused hosts rather than attackers. */
  reflectors?: string[];
  /**
   * What the learned thresholds were judged against: `day 2026-12-01`,
   * `days 2026-11-25..2026-12-01`, `this window` (no stored day yet), or
   * `pinned` (the configured thresholds as they are).
   */
  baseline?: string;
  /** Probing sources: the share of its targets the source had not returned to on a schedule. */
  newTargetShare?: number;
  /** The most-targeted service of a source: protocol, port (ICMP: type × 256 + code) and its distinct targets. */
  service?: { proto: number; port: number; targets: number };
  /** A flood's target: the sources reported flooding it in this window. */
  floodedBy?: string[];
  /** Distributed scan: the /24 covered and the crowd, each member with its flows and targets. */
  crowd?: { prefix: string; covered: number; members: { ip: string; flows: number; targets: number }[] };
  /** Organisation (from the directory), country, city and AS of `ip`, when known. */
  enrichment?: {
    org?: string;
    contacts?: string[];
    lang?: 'en' | 'zh-TW';
    country?: string;
    city?: string;
    asn?: number;
    asOrg?: string;
  };
}

export function windowId(w0: number): string {
  return new Date(w0).toISOString().slice(0, 16).replace(':', '-');
}

export function ingressOf(m: HostMetrics, p: Profile, names: Record<string, string>): IngressShare[] {
  return p.ingress.top.map((x) => {
    const slash = x.value.lastIndexOf('/');
    const exporter = x.value.slice(0, slash);
    const iface = Number(x.value.slice(slash + 1));
    const name = names[`${exporter}/${iface}`] ?? names[exporter];
    return {
      exporter,
      interface: iface,
      ...(name ? { name } : {}),
      packets: x.packets,
      bytes: x.bytes,
      packetShare: m.packets > 0 ? Math.round((x.packets / m.packets) * 10_000) / 10_000 : 0,
      byteShare: m.bytes > 0 ? Math.round((x.bytes / m.bytes) * 10_000) / 10_000 : 0,
    };
  });
}

/** Names the few ingress points that together carry most (80%) of the attack. */
export function mitigationFor(ip: string, type: AnomalyType, ingress: IngressShare[]): string {
  const sorted = [...ingress].sort((a, b) => b.packetShare - a.packetShare);
  const pick: IngressShare[] = [];
  let share = 0;
  for (const x of sorted) {
    if (share >= 0.8 || pick.length >= 3) break;
    pick.push(x);
    share += x.packetShare;
  }
  if (pick.length === 0) return `No ingress information for traffic to ${ip}.`;
  const where = pick
    .map(
      (x) =>
        `${x.name ?? `${x.exporter} interface ${x.interface}`} (${(x.packetShare * 100).toFixed(1)}% of packets)`,
    )
    .join(', ');
  const what = type === 'reflection-victim' ? 'UDP from amplification ports' : 'the attack traffic';
  return `Filter or rate-limit ${what} toward ${ip} at ${where}: together ${(share * 100).toFixed(1)}% of it.`;
}

/** The stored reports of the windows starting in [from, to) (either end open). */
export async function readReports(store: FlowStore, from?: number, to?: number): Promise<Report[]> {
  const parts = await store.getDocs<Report>('reports', {
    ...(from !== undefined ? { from: windowId(from) } : {}),
    ...(to !== undefined ? { to: windowId(to - 1) } : {}),
  });
  return parts
    .flatMap((p) => p.docs)
    .filter((r) => (from === undefined || r.windowStart >= from) && (to === undefined || r.windowStart < to));
}
