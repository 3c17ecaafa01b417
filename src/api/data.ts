/**
 * @module What the API reads, kept in memory between requests.
 *
 * Reports (one partition per 5-minute window) and findings (one per day) are
 * documents in the store. Re-reading and parsing all of them on every request
 * would cost seconds with months of history, so each kind is cached per
 * partition: a refresh (at most every `ttlMs`) re-reads only the partitions
 * that can still change (the recent ones, and any new one), and a full
 * re-read every `fullMs` picks up replays of old windows or days. Reports are
 * kept as light rows (the full document is read from its one partition when
 * asked for), each row and finding tagged with its owner organisation once,
 * so scoping a list is a comparison, not a prefix look-up.
 */

import type { Report } from '../detect/report.js';
import { windowId } from '../detect/report.js';
import { DAY_MS, dayOf } from '../flow/batch.js';
import { learnSignatures, type Signature } from '../hunt/catalog.js';
import { type Family, families } from '../hunt/families.js';
import type { Finding } from '../hunt/hunt.js';
import { type SuspiciousIp, suspiciousIps } from '../hunt/master.js';
import type { DocKind, FlowStore } from '../store/types.js';
import type { OrgDirectory } from './scope.js';

/** A report without its profile: what lists, counts and the catalog need. */
export interface ReportRow {
  id: string;
  ip: string;
  org?: string;
  role: Report['role'];
  type: Report['type'];
  hostKind: Report['hostKind'];
  windowStart: number;
  windowEnd: number;
  score: number;
  rank: number;
  metrics: Report['metrics'];
  duration: Report['duration'];
  country?: string;
  /** For the signature catalog: the top protocol and the port-packets-octets entries. */
  proto: string;
  ppo: Report['profile']['ppo']['top'];
}

export type FindingRow = Finding & { org?: string };

export interface DataOptions {
  /** Least time between two refreshes. */
  ttlMs: number;
  /** Time between two full re-reads. */
  fullMs: number;
  /** Share of an attacker's flows a combination covers to be a signature. */
  minShare: number;
  now?: () => number;
}

export const DEFAULT_DATA_OPTIONS: DataOptions = { ttlMs: 5_000, fullMs: 600_000, minShare: 0.5 };

class PartitionCache<T> {
  private readonly parts = new Map<string, T[]>();
  private flat: T[] = [];
  private refreshedAt = -Infinity;
  private fullAt = -Infinity;
  private running: Promise<void> | null = null;
  /** Bumped on every refresh that changed something; derived caches key on it. */
  generation = 0;

  constructor(
    private readonly store: FlowStore,
    private readonly kind: DocKind,
    private readonly convert: (doc: unknown) => T,
    /** The first partition that may still change, given the time now. */
    private readonly unsettledFrom: (now: number) => string,
    private readonly o: DataOptions,
  ) {}

  async rows(): Promise<T[]> {
    const now = (this.o.now ?? Date.now)();
    if (now - this.refreshedAt >= this.o.ttlMs) {
      this.running ??= this.refresh(now).finally(() => {
        this.running = null;
      });
      await this.running;
    }
    return this.flat;
  }

  private async refresh(now: number): Promise<void> {
    const full = now - this.fullAt >= this.o.fullMs;
    const last = [...this.parts.keys()].at(-1);
    const boundary = this.unsettledFrom(now);
    const from = full ? undefined : last !== undefined && last < boundary ? last : boundary;
    const got = await this.store.getDocs(this.kind, from === undefined ? {} : { from });
    for (const k of [...this.parts.keys()]) if (from === undefined || k >= from) this.parts.delete(k);
    for (const p of got) this.parts.set(p.partition, p.docs.map(this.convert));
    const sorted = [...this.parts.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    this.parts.clear();
    for (const [k, v] of sorted) this.parts.set(k, v);
    this.flat = sorted.flatMap(([, v]) => v);
    this.generation++;
    this.refreshedAt = now;
    if (full) this.fullAt = now;
  }
}

/** A value computed from cached rows, recomputed only when they change. */
class Derived<T> {
  private key = '';
  private value: T | undefined;
  get(key: string, make: () => T): T {
    if (this.value === undefined || key !== this.key) {
      this.value = make();
      this.key = key;
    }
    return this.value;
  }
}

export class ApiData {
  private readonly reportCache: PartitionCache<ReportRow>;
  private readonly findingCache: PartitionCache<FindingRow>;
  private readonly catalogCache = new Derived<Signature[]>();
  private readonly familyCache = new Derived<Family[]>();
  private readonly suspectCache = new Derived<SuspiciousIp[]>();
  private readonly sortedCache = new Map<string, Derived<FindingRow[]>>();
  readonly o: DataOptions;

  constructor(
    readonly store: FlowStore,
    readonly directory: OrgDirectory,
    o: Partial<DataOptions> = {},
  ) {
    this.o = { ...DEFAULT_DATA_OPTIONS, ...o };
    const orgOf = (ip: string) => {
      const org = directory.orgOf(ip);
      return org === undefined ? {} : { org };
    };
    this.reportCache = new PartitionCache(
      store,
      'reports',
      (d) => {
        const r = d as Report;
        return {
          id: r.id,
          ip: r.ip,
          ...orgOf(r.ip),
          role: r.role,
          type: r.type,
          hostKind: r.hostKind,
          windowStart: r.windowStart,
          windowEnd: r.windowEnd,
          score: r.score,
          rank: r.rank,
          metrics: r.metrics,
          duration: r.duration,
          ...(r.enrichment?.country ? { country: r.enrichment.country } : {}),
          proto: r.profile.protocols.top[0]?.value ?? '6',
          ppo: r.profile.ppo.top.filter((v) => v.share >= this.o.minShare),
        };
      },
      // A window can be re-detected until its grace period is long over.
      (now) => windowId(now - 2 * 3600_000),
      this.o,
    );
    this.findingCache = new PartitionCache(
      store,
      'findings',
      (d) => {
        const f = d as Finding;
        return { ...f, ...orgOf(f.ip) };
      },
      // Yesterday is hunted after midnight; re-hunts of older days show at the next full read.
      (now) => dayOf(now - 2 * DAY_MS),
      this.o,
    );
  }

  reports(): Promise<ReportRow[]> {
    return this.reportCache.rows();
  }

  findings(): Promise<FindingRow[]> {
    return this.findingCache.rows();
  }

  /** The full stored report, read from its window's partition. */
  async report(id: string): Promise<Report | undefined> {
    const window = id.slice(0, id.indexOf('/'));
    const parts = await this.store.getDocs<Report>('reports', { from: window, to: window });
    return parts[0]?.docs.find((r) => r.id === id);
  }

  /** The signature catalog learned from every stored report (or those given). */
  async catalog(rows?: readonly ReportRow[]): Promise<Signature[]> {
    if (rows) return learnSignatures(rows.map(asReport), { minShare: this.o.minShare });
    const all = await this.reports();
    return this.catalogCache.get(String(this.reportCache.generation), () =>
      learnSignatures(all.map(asReport), { minShare: this.o.minShare }),
    );
  }

  async families(): Promise<Family[]> {
    const f = await this.findings();
    return this.familyCache.get(String(this.findingCache.generation), () => families(f));
  }

  /** The suspicious-IP master table over every stored finding. */
  async suspects(): Promise<SuspiciousIp[]> {
    const [f, r] = [await this.findings(), await this.reports()];
    return this.suspectCache.get(`${this.findingCache.generation}/${this.reportCache.generation}`, () =>
      suspiciousIps(f, r.map(asReport)),
    );
  }

  /** Every finding in one order, computed once per change of the findings. */
  async findingsSorted(
    key: string,
    compare: (a: FindingRow, b: FindingRow) => number,
  ): Promise<FindingRow[]> {
    const f = await this.findings();
    let d = this.sortedCache.get(key);
    if (!d) {
      d = new Derived();
      this.sortedCache.set(key, d);
    }
    return d.get(String(this.findingCache.generation), () => [...f].sort(compare));
  }
}

/**
 * The light row in the shape `learnSignatures` and `suspiciousIps` read
 * (role, type, ip, window, top protocol and port-packets-octets entries):
 * they touch nothing else of a report.
 */
function asReport(r: ReportRow): Report {
  return {
    ...r,
    profile: {
      protocols: { distinct: 1, top: [{ value: r.proto, flows: 0, packets: 0, bytes: 0, share: 1 }] },
      ppo: { distinct: r.ppo.length, top: r.ppo },
    },
  } as unknown as Report;
}
