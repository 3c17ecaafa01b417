/**
 * @module The signature catalog, learned from anomaly reports: for every
 * attacker report, the port-packets-octets combinations that cover at least
 * `minShare` of its flows (half, by default) become signatures; a bot that
 * mixes exchanges so that none reaches that share gives a profile of the
 * few that together do. Each comes with the attackers that used it, when,
 * and in how many reports.
 */

import { parsePpo } from '../detect/profile.js';
import type { Report } from '../detect/report.js';
import {
  compareSignatures,
  exactSignature,
  isProfile,
  MAX_COMBOS,
  profileSignature,
  type SignatureKey,
  signatureKey,
  signatureText,
  strength,
} from './signature.js';

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
  /** Of `reports`, the distributed-scan reports it was learned from (a crowd-learned signature; absent: none). */
  crowdReports?: number;
  firstSeen: number;
  lastSeen: number;
}

export interface CatalogOptions {
  /** Share of an attacker's flows a combination (or a profile's combinations together) must cover (the paper's "at least half"). */
  minShare: number;
}

/** A profile's exchange must carry at least this share of the attacker's flows: the long tail is not the bot. */
export const MIN_EXCHANGE_SHARE = 0.1;

function topProtocol(r: Report): number {
  return Number(r.profile.protocols.top[0]?.value ?? 6);
}

interface Learned {
  key: SignatureKey;
  /** Share of the attacker's flows in this window. */
  share: number;
}

/**
 * What one attacker report teaches: every combination that covers
 * `minShare` of its flows (an exact signature); failing that, the fewest
 * exchanges on its main port, each carrying a meaningful part
 * ({@link MIN_EXCHANGE_SHARE}), that together cover `minShare` (a profile).
 */
export function learnFromReport(r: Report, minShare: number): Learned[] {
  const protocol = topProtocol(r);
  const ppo = r.profile.ppo.top.flatMap((v) => {
    const p = parsePpo(v.value);
    return p ? [{ ...p, share: v.share }] : [];
  });
  const exact = ppo.filter((v) => v.share >= minShare);
  if (exact.length)
    return exact.map((v) => ({ key: exactSignature(protocol, v.port, v.packets, v.octets), share: v.share }));
  const main = ppo[0];
  if (!main) return [];
  const onPort = ppo
    .filter((v) => v.port === main.port && v.share >= MIN_EXCHANGE_SHARE)
    .sort((a, b) => b.share - a.share);
  let covered = 0;
  for (let k = 0; k < onPort.length && k < MAX_COMBOS; k++) {
    covered += onPort[k]!.share;
    if (covered >= minShare && k >= 1) {
      const picked = onPort
        .slice(0, k + 1)
        .map((v) => ({ packets: v.packets, octets: v.octets, weight: v.share }));
      return [{ key: profileSignature(protocol, main.port, picked), share: covered }];
    }
  }
  return [];
}

export function learnSignatures(
  reports: readonly Report[],
  o: CatalogOptions = { minShare: 0.5 },
): Signature[] {
  const byKey = new Map<string, { s: Signature; weights: Map<string, number> }>();
  for (const r of reports) {
    // A distributed scan teaches its crowd's combination, its members being the attackers.
    const crowd = r.type === 'distributed-scan' ? r.crowd : undefined;
    if (!crowd && (r.role !== 'source' || !ATTACKER_TYPES.has(r.type))) continue;
    for (const { key, share } of learnFromReport(r, o.minShare)) {
      const k = signatureKey(key);
      let e = byKey.get(k);
      if (!e) {
        e = {
          s: {
            ...key,
            signature: signatureText(key),
            strength: 0,
            attackers: [],
            reports: 0,
            firstSeen: r.windowStart,
            lastSeen: r.windowEnd,
          },
          weights: new Map(),
        };
        byKey.set(k, e);
      }
      // A profile's mix is the mean of the reports' mixes.
      for (const c of key.combos) {
        const ck = `${c.packets}-${c.octets}`;
        e.weights.set(ck, (e.weights.get(ck) ?? 0) + c.weight);
      }
      const s = e.s;
      s.reports++;
      if (crowd) s.crowdReports = (s.crowdReports ?? 0) + 1;
      s.firstSeen = Math.min(s.firstSeen, r.windowStart);
      s.lastSeen = Math.max(s.lastSeen, r.windowEnd);
      for (const ip of crowd ? crowd.members.map((m) => m.ip) : [r.ip]) {
        let a = s.attackers.find((x) => x.ip === ip);
        if (!a) {
          a = { ip, reports: 0, firstSeen: r.windowStart, lastSeen: r.windowEnd, share: 0, types: [] };
          s.attackers.push(a);
        }
        a.reports++;
        a.firstSeen = Math.min(a.firstSeen, r.windowStart);
        a.lastSeen = Math.max(a.lastSeen, r.windowEnd);
        a.share = Math.max(a.share, Math.round(share * 10_000) / 10_000);
        if (!a.types.includes(r.type)) a.types.push(r.type);
      }
    }
  }
  const out: Signature[] = [];
  for (const { s, weights } of byKey.values()) {
    const key = isProfile(s)
      ? profileSignature(
          s.protocol,
          s.port,
          s.combos.map((c) => ({ ...c, weight: weights.get(`${c.packets}-${c.octets}`) ?? 0 })),
        )
      : s;
    s.attackers.sort((a, b) => b.reports - a.reports || a.ip.localeCompare(b.ip, 'en', { numeric: true }));
    out.push({
      ...s,
      combos: key.combos,
      signature: signatureText(key),
      strength: strength(key, s.attackers.length),
    });
  }
  return sortByStrength(out);
}

export function sortByStrength<T extends Signature>(sigs: T[]): T[] {
  return sigs.sort(
    (a, b) => b.strength - a.strength || b.attackers.length - a.attackers.length || compareSignatures(a, b),
  );
}
