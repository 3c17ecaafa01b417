/**
 * @module The master tables: suspicious IPs and signatures, folded from
 * every stored day's findings (and the reports, for what was large-scale),
 * so they are always current with what has been hunted.
 */

import type { Report } from '../detect/report.js';
import { dayOf } from '../flow/batch.js';
import type { FlowStore } from '../store/types.js';
import type { Signature } from './catalog.js';
import type { Finding } from './hunt.js';
import { keyOf, signatureKey, signatureLabel, signatureOf } from './signature.js';

export interface SuspiciousIp {
  ip: string;
  daysSeen: number;
  days: string[];
  /** The written forms with the protocol when it is not TCP (`22-4-240`, `53-1-70/udp`, `1433:5-420=60,4-320=40`). */
  signatures: string[];
  firstSeen: number;
  lastSeen: number;
  /** Largest number of distinct targets in one day on one signature. */
  maxDestinations: number;
  flows: number;
  /** Reported as a large-scale attacker in some window. */
  largeScale: boolean;
}

export interface SignatureMaster {
  signature: string;
  protocol: number;
  /** Hosts the hunt found using it, and on how many days. */
  hosts: number;
  days: number;
  flows: number;
  firstSeen: number;
  lastSeen: number;
  /** From the catalog when the signature was learned there. */
  strength?: number;
  attackers?: number;
}

/** The findings of the days that [from, to) touches (either end open). */
export function findingsBetween(store: FlowStore, from?: number, to?: number): Promise<Finding[]> {
  return allFindings(store, {
    ...(from !== undefined ? { from: dayOf(from) } : {}),
    ...(to !== undefined ? { to: dayOf(to - 1) } : {}),
  });
}

export async function allFindings(
  store: FlowStore,
  range: { from?: string; to?: string } = {},
): Promise<Finding[]> {
  return (await store.getDocs<Finding>('findings', range)).flatMap((p) => p.docs);
}

export function suspiciousIps(findings: readonly Finding[], reports: readonly Report[] = []): SuspiciousIp[] {
  const large = new Set(reports.filter((r) => r.role === 'source').map((r) => r.ip));
  const by = new Map<string, SuspiciousIp>();
  for (const f of findings) {
    let s = by.get(f.ip);
    if (!s) {
      s = {
        ip: f.ip,
        daysSeen: 0,
        days: [],
        signatures: [],
        firstSeen: f.firstSeen,
        lastSeen: f.lastSeen,
        maxDestinations: 0,
        flows: 0,
        largeScale: false,
      };
      by.set(f.ip, s);
    }
    if (!s.days.includes(f.day)) s.days.push(f.day);
    const sig = signatureOf(f);
    const label = sig ? signatureLabel(sig) : f.signature;
    if (!s.signatures.includes(label)) s.signatures.push(label);
    s.firstSeen = Math.min(s.firstSeen, f.firstSeen);
    s.lastSeen = Math.max(s.lastSeen, f.lastSeen);
    s.maxDestinations = Math.max(s.maxDestinations, f.destinations);
    s.flows += f.flows;
    s.largeScale ||= f.largeScale || large.has(f.ip);
  }
  for (const s of by.values()) {
    s.days.sort();
    s.signatures.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
    s.daysSeen = s.days.length;
  }
  return [...by.values()].sort(
    (a, b) =>
      b.daysSeen - a.daysSeen ||
      b.maxDestinations - a.maxDestinations ||
      a.ip.localeCompare(b.ip, 'en', { numeric: true }),
  );
}

export function signatureMaster(
  findings: readonly Finding[],
  catalog: readonly Signature[] = [],
): SignatureMaster[] {
  // One row per identity: a profile found under other percentages on other days is one signature,
  // written as the catalog writes it (else as on the latest day it was found).
  const by = new Map<string, SignatureMaster & { ips: Set<string>; daySet: Set<string>; latest: string }>();
  for (const f of findings) {
    const k = keyOf(f);
    let s = by.get(k);
    if (s && f.day > s.latest) {
      s.signature = f.signature;
      s.latest = f.day;
    }
    if (!s) {
      s = {
        latest: f.day,
        signature: f.signature,
        protocol: f.protocol,
        hosts: 0,
        days: 0,
        flows: 0,
        firstSeen: f.firstSeen,
        lastSeen: f.lastSeen,
        ips: new Set(),
        daySet: new Set(),
      };
      by.set(k, s);
    }
    s.ips.add(f.ip);
    s.daySet.add(f.day);
    s.flows += f.flows;
    s.firstSeen = Math.min(s.firstSeen, f.firstSeen);
    s.lastSeen = Math.max(s.lastSeen, f.lastSeen);
  }
  return [...by.values()]
    .map(({ ips, daySet, latest: _, ...s }) => {
      const k = keyOf(s);
      const c = catalog.find((x) => x.protocol === s.protocol && signatureKey(x) === k);
      return {
        ...s,
        ...(c ? { signature: c.signature } : {}),
        hosts: ips.size,
        days: daySet.size,
        ...(c ? { strength: c.strength, attackers: c.attackers.length } : {}),
      };
    })
    .sort(
      (a, b) =>
        (b.strength ?? -1) - (a.strength ?? -1) ||
        b.hosts - a.hosts ||
        a.signature.localeCompare(b.signature, 'en', { numeric: true }),
    );
}
