/**
 * @module The ground truth of a simulation: who is who, what each attacker
 * does and when, and how much traffic was emitted. Written as JSON by
 * `flowhunt simulate --truth FILE`; the format is documented in README.md.
 */

import { formatWords } from '../flow/address.js';
import type { Span } from './clock.js';
import type { Addr } from './network.js';

/** The anomaly types a detector reports (ARCHITECTURE §4). */
export const ANOMALY_TYPES = [
  'many-peers',
  'service-scan',
  'syn-scan',
  'port-sweep',
  'content-attack',
  'ddos-victim',
  'reflection-victim',
  'flood',
] as const;
export type AnomalyType = (typeof ANOMALY_TYPES)[number];

/** Legitimate roles, then the roles of attackers and their victims. */
export const ROLES = [
  'client',
  'server',
  'nat',
  'proxy',
  'resolver',
  'cdn',
  'mail',
  'monitor',
  'research-scanner',
  'reflector',
  'attacker',
  'bot',
  'victim',
] as const;
export type Role = (typeof ROLES)[number];

/** Why a legitimate host is there: to look like an attack in some way. */
export type Decoy = 'near-miss' | 'attacked-port' | 'fan-out' | 'many-peers';

export interface Period {
  /** ISO 8601, inclusive. */
  from: string;
  /** ISO 8601, exclusive. */
  to: string;
}

export interface TruthHost {
  ip: string;
  role: Role;
  /** `campus` (the monitored network) or `outside`. */
  side: 'campus' | 'outside';
  /** What the host does, in a few words (e.g. `web server`, `SSH brute-forcer`). */
  what: string;
  family?: string;
  /** The port-packets-octets signature the host's attack flows carry. */
  signature?: string;
  /** Share of the host's attack flows that carry the signature. */
  signatureShare?: number;
  scale?: 'large' | 'small';
  /** Anomaly types a correct detector may report for this host; the first is the main one. */
  expectedTypes?: AnomalyType[];
  decoy?: Decoy;
  /** For a near-miss decoy: the signature it resembles and its own. */
  nearMiss?: { resembles: string; uses: string };
  /** For an attacker or a victim: when it is active. Legitimate hosts are active throughout. */
  active?: Period[];
}

export interface TruthFamily {
  name: string;
  port: number;
  protocol: 'tcp' | 'udp';
  /** The family's signature first, then the other port-packets-octets its bots send. */
  signatures: string[];
  kind: 'content-attack' | 'syn-scan' | 'service-scan';
  members: string[];
  large: string[];
  small: string[];
}

export interface Totals {
  flows: number;
  packets: number;
  bytes: number;
}

export interface Truth {
  format: 'flowhunt-truth/1';
  scenario: string;
  seed: number;
  from: string;
  to: string;
  scale: number;
  /** Flows, packets and bytes actually emitted (final once generation has finished). */
  totals: Totals;
  network: ReturnType<typeof import('./network.js').describeNetwork>;
  /** Per anomaly type, the hosts that carry it (their `expectedTypes[0]`). */
  anomalies: Record<AnomalyType, string[]>;
  hosts: TruthHost[];
  families: TruthFamily[];
  /** Populations too large to list host by host, counted. */
  unlisted: { role: Role; side: 'campus' | 'outside'; what: string; count: number }[];
  notes: string[];
}

export function addrText(a: Addr): string {
  return typeof a === 'number' ? formatWords(0, 0, 0xffff, a) : formatWords(a[0], a[1], a[2], a[3]);
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** A host's active periods as the truth file writes them. */
export function activePeriods(spans: readonly Span[]): { from: string; to: string }[] {
  return spans.map(([s, e]) => ({ from: iso(s), to: iso(e) }));
}

/** Collects hosts and families while the scenario is built. */
export class TruthBuilder {
  readonly hosts: TruthHost[] = [];
  readonly families: TruthFamily[] = [];
  readonly unlisted: Truth['unlisted'] = [];
  readonly notes: string[] = [];
  private readonly seen = new Map<string, TruthHost>();

  host(a: Addr, h: Omit<TruthHost, 'ip'>): TruthHost {
    const ip = addrText(a);
    const prev = this.seen.get(ip);
    if (prev) throw new Error(`simulator bug: ${ip} labelled twice (${prev.what}, ${h.what})`);
    const entry: TruthHost = { ip, ...h };
    this.seen.set(ip, entry);
    this.hosts.push(entry);
    return entry;
  }

  has(a: Addr): boolean {
    return this.seen.has(addrText(a));
  }

  build(meta: Pick<Truth, 'scenario' | 'seed' | 'from' | 'to' | 'scale' | 'network'>, totals: Totals): Truth {
    const anomalies = {} as Record<AnomalyType, string[]>;
    for (const t of ANOMALY_TYPES) anomalies[t] = [];
    for (const h of this.hosts) {
      const main = h.expectedTypes?.[0];
      if (main) anomalies[main].push(h.ip);
    }
    return {
      format: 'flowhunt-truth/1',
      ...meta,
      totals,
      anomalies,
      hosts: this.hosts,
      families: this.families,
      unlisted: this.unlisted,
      notes: this.notes,
    };
  }
}
