/**
 * @module The signature catalog, learned from anomaly reports: for every
 * attacker report, the port-packets-octets combinations that cover at least
 * `minShare` of its flows (half, by default) become signatures, with the
 * attackers that used them, when, and in how many reports.
 */

import type { Report } from '../detect/report.js';
import { type SignatureKey, signatureKey, signatureText, strength } from './signature.js';

/** Report types whose subject is an attacker sending the flows (not a victim receiving them). */
export const ATTACKER_TYPES: ReadonlySet<string> = new Set([
  'content-attack',
  'service-scan',
  'syn-scan',
  'many-peers',
  'port-sweep',
]);

export interface SignatureAttacker {
  ip: string;
  reports: number;
  firstSeen: number;
  lastSeen: number;
  /** Largest share of the attacker's flows the signature covered in one window. */
  share: number;
  types: string[];
}

export interface Signature extends SignatureKey {
  signature: string;
  strength: number;
  attackers: SignatureAttacker[];
  reports: number;
  firstSeen: number;
  lastSeen: number;
}

export interface CatalogOptions {
  /** Share of an attacker's flows a combination must cover (the paper's "at least half"). */
  minShare: number;
}

function topProtocol(r: Report): number {
  return Number(r.profile.protocols.top[0]?.value ?? 6);
}

export function learnSignatures(
  reports: readonly Report[],
  o: CatalogOptions = { minShare: 0.5 },
): Signature[] {
  const byKey = new Map<string, Signature>();
  for (const r of reports) {
    if (r.role !== 'source' || !ATTACKER_TYPES.has(r.type)) continue;
    const protocol = topProtocol(r);
    for (const v of r.profile.ppo.top) {
      if (v.share < o.minShare) continue;
      const [port, packets, octets] = v.value.split('-').map(Number) as [number, number, number];
      const key: SignatureKey = { protocol, port, packets, octets };
      const k = signatureKey(key);
      let s = byKey.get(k);
      if (!s) {
        s = {
          ...key,
          signature: signatureText(key),
          strength: 0,
          attackers: [],
          reports: 0,
          firstSeen: r.windowStart,
          lastSeen: r.windowEnd,
        };
        byKey.set(k, s);
      }
      s.reports++;
      s.firstSeen = Math.min(s.firstSeen, r.windowStart);
      s.lastSeen = Math.max(s.lastSeen, r.windowEnd);
      let a = s.attackers.find((x) => x.ip === r.ip);
      if (!a) {
        a = { ip: r.ip, reports: 0, firstSeen: r.windowStart, lastSeen: r.windowEnd, share: 0, types: [] };
        s.attackers.push(a);
      }
      a.reports++;
      a.firstSeen = Math.min(a.firstSeen, r.windowStart);
      a.lastSeen = Math.max(a.lastSeen, r.windowEnd);
      a.share = Math.max(a.share, Math.round(v.share * 10_000) / 10_000);
      if (!a.types.includes(r.type)) a.types.push(r.type);
    }
  }
  const out = [...byKey.values()];
  for (const s of out) {
    s.attackers.sort((a, b) => b.reports - a.reports || a.ip.localeCompare(b.ip, 'en', { numeric: true }));
    s.strength = strength(s, s.attackers.length);
  }
  return sortByStrength(out);
}

export function sortByStrength<T extends Signature>(sigs: T[]): T[] {
  return sigs.sort(
    (a, b) =>
      b.strength - a.strength ||
      b.attackers.length - a.attackers.length ||
      a.port - b.port ||
      a.packets - b.packets ||
      a.octets - b.octets ||
      a.protocol - b.protocol,
  );
}
