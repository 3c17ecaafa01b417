/**
 * @module Scores what flowhunt found — reports, signatures, hunt findings —
 * against a simulator truth file (`flowhunt-truth/1`, src/simulate/README.md).
 *
 * Detection: a labelled attacker or victim is found when some report names
 * its address with one of its `expectedTypes`; a report about a legitimate
 * host (or one the truth does not list) is a false alert, counted by the
 * host's role. Signatures: each family's best-ranked signature in the
 * catalog (exact, or a profile whose exchanges are all the family's), its
 * rank, and whether it ranks above every bare probe. Hunt: small-scale
 * members found (recall, also per family) and, of the hosts the hunt
 * reported that were not themselves large-scale attackers, how many were
 * members (precision).
 */

import type { Report } from '../detect/report.js';
import { ANOMALY_TYPES } from '../detect/rules.js';
import { normalizeAddress } from '../flow/address.js';
import type { Signature } from '../hunt/catalog.js';
import type { Finding } from '../hunt/hunt.js';
import { isBareProbe, parseSignature, type SignatureKey } from '../hunt/signature.js';
import type { Truth, TruthHost } from '../simulate/truth.js';

export interface TypeScore {
  type: string;
  /** Labelled hosts whose main type this is. */
  expected: number;
  found: number;
  recall: number;
  /** Distinct hosts reported with this type, and how many of them carry it in the truth. */
  reported: number;
  correct: number;
  precision: number;
}

export interface FamilyScore {
  family: string;
  signature: string;
  found: string | null;
  rank: number | null;
  /** The family's signature is itself a bare probe (then it cannot outrank bare probes). */
  bare: boolean;
  aboveBareProbes: boolean;
}

export interface EvalResult {
  scenario: string;
  seed: number;
  from: string;
  to: string;
  detection: {
    types: TypeScore[];
    labelled: number;
    found: number;
    recall: number;
    missed: { ip: string; role: string; what: string; expected: string[] }[];
    falseAlerts: { ip: string; role: string; type: string; what: string }[];
    falseAlertsByRole: Record<string, number>;
  };
  signatures: { families: FamilyScore[]; catalog: number };
  hunt: {
    smallMembers: number;
    found: number;
    recall: number;
    reportedSmallScale: number;
    precision: number;
    falsePositives: { ip: string; role: string; what: string; signature: string }[];
    decoysReported: number;
    /** Per family: its small-scale members and how many the hunt found. */
    families: { family: string; smallMembers: number; found: number; recall: number }[];
  };
}

const round = (x: number) => Math.round(x * 10_000) / 10_000;

/**
 * Whether a catalog signature is one of the family's: same protocol and
 * port, and every exchange of it one the family's signatures list (an exact
 * one of them, or a profile learned from part of the family's mix).
 */
function ofFamily(f: Truth['families'][number], s: SignatureKey): boolean {
  const proto = f.protocol === 'udp' ? 17 : 6;
  if (s.port !== f.port || s.protocol !== proto) return false;
  const known = new Set<string>();
  for (const text of f.signatures)
    for (const c of parseSignature(text, proto)?.combos ?? []) known.add(`${c.packets}-${c.octets}`);
  return s.combos.every((c) => known.has(`${c.packets}-${c.octets}`));
}

export function score(
  truth: Truth,
  reports: readonly Report[],
  catalog: readonly Signature[],
  findings: readonly Finding[],
): EvalResult {
  const hosts = new Map<string, TruthHost>();
  for (const h of truth.hosts) hosts.set(normalizeAddress(h.ip) ?? h.ip, h);
  const labelled = truth.hosts.filter((h) => h.expectedTypes?.length);

  // ---- detection
  const byIp = new Map<string, Set<string>>();
  for (const r of reports) {
    let s = byIp.get(r.ip);
    if (!s) {
      s = new Set();
      byIp.set(r.ip, s);
    }
    s.add(r.type);
  }
  const hit = (h: TruthHost) =>
    [...(byIp.get(normalizeAddress(h.ip) ?? h.ip) ?? [])].some((t) => h.expectedTypes!.includes(t as never));
  const types: TypeScore[] = ANOMALY_TYPES.map((type) => {
    const exp = labelled.filter((h) => h.expectedTypes![0] === type);
    const found = exp.filter(hit).length;
    const reportedIps = [...byIp.entries()].filter(([, ts]) => ts.has(type)).map(([ip]) => ip);
    const correct = reportedIps.filter((ip) => hosts.get(ip)?.expectedTypes?.includes(type as never)).length;
    return {
      type,
      expected: exp.length,
      found,
      recall: exp.length ? round(found / exp.length) : 1,
      reported: reportedIps.length,
      correct,
      precision: reportedIps.length ? round(correct / reportedIps.length) : 1,
    };
  });
  const missed = labelled
    .filter((h) => !hit(h))
    .map((h) => ({ ip: h.ip, role: h.role, what: h.what, expected: h.expectedTypes! }));
  const falseAlerts: EvalResult['detection']['falseAlerts'] = [];
  for (const [ip, ts] of byIp) {
    const h = hosts.get(ip);
    if (h?.expectedTypes?.length) continue;
    for (const type of ts)
      falseAlerts.push({
        ip,
        role: h?.role ?? 'unlisted',
        type,
        what: h?.what ?? 'not in the truth (background)',
      });
  }
  const falseAlertsByRole: Record<string, number> = {};
  for (const f of falseAlerts) falseAlertsByRole[f.role] = (falseAlertsByRole[f.role] ?? 0) + 1;

  // ---- signatures
  const families: FamilyScore[] = truth.families.map((f) => {
    const main = f.signatures[0]!;
    const idx = catalog.findIndex((s) => ofFamily(f, s));
    const found = idx >= 0 ? catalog[idx]! : null;
    const key = parseSignature(main, f.protocol === 'udp' ? 17 : 6);
    const bare = key !== undefined && isBareProbe(key);
    const firstBare = catalog.findIndex((s) => isBareProbe(s));
    const above = found !== null && (bare || firstBare < 0 || idx < firstBare);
    return {
      family: f.name,
      signature: main,
      found: found?.signature ?? null,
      rank: found ? idx + 1 : null,
      bare,
      aboveBareProbes: above,
    };
  });

  // ---- hunt
  const small = new Set(
    truth.hosts
      .filter((h) => h.role === 'bot' && h.scale === 'small')
      .map((h) => normalizeAddress(h.ip) ?? h.ip),
  );
  const large = new Set(
    truth.hosts.filter((h) => h.scale === 'large').map((h) => normalizeAddress(h.ip) ?? h.ip),
  );
  const reportedIps = new Set(reports.filter((r) => r.role === 'source').map((r) => r.ip));
  const foundIps = new Set(findings.map((f) => f.ip));
  const foundSmall = [...small].filter((ip) => foundIps.has(ip)).length;
  // What the hunt adds: hosts it found that were not large-scale attackers (by the truth or by a report).
  const added = [...foundIps].filter((ip) => !large.has(ip) && !reportedIps.has(ip));
  const addedCorrect = added.filter((ip) => small.has(ip)).length;
  const falsePositives = added
    .filter((ip) => !small.has(ip))
    .map((ip) => {
      const h = hosts.get(ip);
      return {
        ip,
        role: h?.role ?? 'unlisted',
        what: h?.what ?? 'not in the truth',
        signature: findings.find((f) => f.ip === ip)!.signature,
      };
    });
  return {
    scenario: truth.scenario,
    seed: truth.seed,
    from: truth.from,
    to: truth.to,
    detection: {
      types,
      labelled: labelled.length,
      found: labelled.length - missed.length,
      recall: labelled.length ? round((labelled.length - missed.length) / labelled.length) : 1,
      missed,
      falseAlerts,
      falseAlertsByRole,
    },
    signatures: { families, catalog: catalog.length },
    hunt: {
      smallMembers: small.size,
      found: foundSmall,
      recall: small.size ? round(foundSmall / small.size) : 1,
      reportedSmallScale: added.length,
      precision: added.length ? round(addedCorrect / added.length) : 1,
      falsePositives,
      decoysReported: falsePositives.filter((f) => hosts.get(f.ip)?.decoy).length,
      families: truth.families.map((f) => {
        const members = f.small.map((ip) => normalizeAddress(ip) ?? ip);
        const found = members.filter((ip) => foundIps.has(ip)).length;
        return {
          family: f.name,
          smallMembers: members.length,
          found,
          recall: members.length ? round(found / members.length) : 1,
        };
      }),
    },
  };
}
