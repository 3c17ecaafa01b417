/**
 * @module What the API reads, kept in memory between requests.
 *
 * Reports (one partition per 5-minute window) and findings (one per day) are
 * documents in the store. Re-reading and parsing all of them on every request
 * would cost seconds with months of history, so each kind is cached per
 * partition: a refresh (at most every `ttlMs`) lists every partition's
 * version (no documents) and re-reads only the partitions written since — a
 * new window, an old window a backfill or replay wrote, a re-hunted day — so
 * the dashboard shows what the store holds within `ttlMs`. Reports are
 * kept as light rows (the full document is read from its one partition when
 * asked for), each row and finding tagged with its owner organisation once,
 * so scoping a list is a comparison, not a prefix look-up.
 */

import type { SuppressedReport, SuppressionRule } from '../alert/suppress.js';
import type { Report } from '../detect/report.js';
import { learnSignatures, type Signature } from '../hunt/catalog.js';
import { type Family, families } from '../hunt/families.js';
import type { Finding } from '../hunt/hunt.js';
import { type SuspiciousIp, suspiciousIps } from '../hunt/master.js';
import type { DocKind, DocVersion, FlowStore } from '../store/types.js';
import { HostDays } from './hostdays.js';
import { ReportDays } from './reportdays.js';
import { DayCounts, DayRollups } from './rollups.js';
import type { OrgDirectory } from './scope.js';
import { HostTimelines } from './timeline.js';
import { TrafficCache } from './traffic.js';

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
  /** The most-used destination ports (the profile's top list), for the port filter. */
  ports: number[];
  /** For the signature catalog: the top protocol and the port-packets-octets entries. */
  proto: string;
  ppo: Report['profile']['ppo']['top'];
}

export type FindingRow = Finding & { org?: string };

export const MARK_STATES = ['acknowledged', 'false-positive'] as const;

/** An operator's mark on one report. */
export interface AlertMark {
  reportId: string;
  state: (typeof MARK_STATES)[number];
  by: string;
  at: number;
  note?: string;
}

/** What the workflow says about a report: marked by an operator, kept from the alerter by a rule. */
export interface ReportState {
  mark?: AlertMark;
  suppressed?: SuppressedReport;
}

export interface DataOptions {
  /** Least time between two refreshes (each lists the partitions' versions and reads the changed ones). */
  ttlMs: number;
  /** Share of an attacker's flows a combination covers to be a signature. */
  minShare: number;
  now?: () => number;
}

export const DEFAULT_DATA_OPTIONS: DataOptions = { ttlMs: 5_000, minShare: 0.5 };

/** Partitions' rows kept elsewhere than their own partitions (reportdays.ts), read at the first refresh. */
interface KeptRows<T> {
  /** The kept rows of the partitions `listed` (when it resolves) names at the versions they were kept at. */
  load(listed: Promise<readonly DocVersion[]>): Promise<Map<string, T[]>>;
  save(parts: ReadonlyMap<string, T[]>, versions: ReadonlyMap<string, string>): Promise<void>;
}

class PartitionCache<T> {
  private readonly parts = new Map<string, T[]>();
  private loaded = false;
  /** The store's version of each cached partition, as listed before it was read. */
  private readonly versions = new Map<string, string>();
  private flat: T[] = [];
  private refreshedAt = -Infinity;
  private running: Promise<void> | null = null;
  /** Bumped on every refresh that changed something; derived caches key on it. */
  generation = 0;

  constructor(
    private readonly store: FlowStore,
    private readonly kind: DocKind,
    private readonly convert: (doc: unknown) => T,
    private readonly o: DataOptions,
    private readonly kept?: KeptRows<T>,
  ) {}

  async rows(): Promise<T[]> {
    const now = (this.o.now ?? Date.now)();
    if (now - this.refreshedAt >= this.o.ttlMs)
      this.running ??= this.refresh(now).finally(() => {
        this.running = null;
      });
    // A request that comes while a refresh reads waits for it: the dashboard asks for several lists at
    // once, and the ones after the first must not get the rows from before the change.
    if (this.running) await this.running;
    return this.flat;
  }

  invalidate(): void {
    this.refreshedAt = -Infinity;
  }

  /**
   * Re-reads exactly the partitions whose store version changed (new ones, a
   * backfill's old windows, a replayed day) and drops the ones gone (retention).
   */
  private async refresh(now: number): Promise<void> {
    const listing = this.store.docVersions(this.kind);
    // The first refresh takes the partitions whose listed version the kept rows were made at; they
    // are read and parsed while the listing stats the partitions.
    const kept =
      this.kept && !this.loaded ? this.kept.load(listing).catch(() => new Map<string, T[]>()) : undefined;
    const listed = await listing;
    let preloaded = 0;
    if (kept) {
      const want = new Map(listed.map((v) => [v.partition, v.version]));
      for (const [partition, rows] of await kept) {
        this.parts.set(partition, rows);
        this.versions.set(partition, want.get(partition)!);
        preloaded++;
      }
    }
    this.loaded = true;
    const names = new Set(listed.map((v) => v.partition));
    const changed = listed.filter((v) => this.versions.get(v.partition) !== v.version);
    const gone = [...this.parts.keys()].filter((k) => !names.has(k));
    if (changed.length === 0 && gone.length === 0 && preloaded === 0) {
      this.refreshedAt = now;
      return;
    }
    for (const k of gone) {
      this.parts.delete(k);
      this.versions.delete(k);
    }
    const got =
      changed.length <= 64
        ? (
            await Promise.all(
              changed.map((v) => this.store.getDocs(this.kind, { from: v.partition, to: v.partition })),
            )
          ).flat()
        : await this.store.getDocs(this.kind, {
            from: changed[0]!.partition,
            to: changed.at(-1)!.partition,
          });
    const wanted = new Map(changed.map((v) => [v.partition, v.version]));
    for (const p of got) {
      const v = wanted.get(p.partition);
      if (v === undefined) continue; // read with the range, unchanged
      this.parts.set(p.partition, p.docs.map(this.convert));
      this.versions.set(p.partition, v);
    }
    const sorted = [...this.parts.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    this.parts.clear();
    for (const [k, v] of sorted) this.parts.set(k, v);
    this.flat = sorted.flatMap(([, v]) => v);
    this.generation++;
    this.refreshedAt = now;
    // In the background: a store that refuses the write costs a full read at the next start, no more.
    this.kept?.save(this.parts, this.versions).catch(() => undefined);
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
  private readonly markCache: PartitionCache<AlertMark>;
  private readonly suppressedCache: PartitionCache<SuppressedReport>;
  private readonly ruleCache: PartitionCache<SuppressionRule>;
  private readonly stateCache = new Derived<Map<string, ReportState>>();
  private readonly catalogCache = new Derived<Signature[]>();
  private readonly familyCache = new Derived<Family[]>();
  private readonly suspectCache = new Derived<SuspiciousIp[]>();
  private readonly sortedCache = new Map<string, Derived<FindingRow[]>>();
  readonly o: DataOptions;
  /** The store's flows per day: what tells the caches of closed days that late flows arrived. */
  readonly dayCounts: DayCounts;
  /** Flows, packets and bytes over time: closed days from their rollups, the open day's closed buckets kept. */
  readonly traffic: TrafficCache;
  /** One host's flows and peers over time, closed buckets kept. */
  readonly hosts: HostTimelines;
  /** One host's totals, peers and ports per day, closed days kept. */
  readonly hostDays: HostDays;
  /** The report rows of closed days kept as one document a day, for the next start. */
  readonly reportDays: ReportDays;

  constructor(
    readonly store: FlowStore,
    readonly directory: OrgDirectory,
    o: Partial<DataOptions> = {},
  ) {
    this.o = { ...DEFAULT_DATA_OPTIONS, ...o };
    this.dayCounts = new DayCounts(store);
    this.traffic = new TrafficCache(store, new DayRollups(store, this.dayCounts), this.o.now);
    this.hosts = new HostTimelines(store, this.o.now, undefined, this.dayCounts);
    this.hostDays = new HostDays(store, this.o.now, undefined, this.dayCounts);
    const orgOf = (ip: string) => {
      const org = directory.orgOf(ip);
      return org === undefined ? {} : { org };
    };
    this.reportDays = new ReportDays(store, this.o.minShare, orgOf, this.o.now ?? Date.now);
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
          ports: (r.profile.dstPorts?.top ?? []).map((v) => Number(v.value)).filter(Number.isInteger),
          proto: r.profile.protocols.top[0]?.value ?? '6',
          ppo: r.profile.ppo.top.filter((v) => v.share >= this.o.minShare),
        };
      },
      this.o,
      this.reportDays,
    );
    this.findingCache = new PartitionCache(
      store,
      'findings',
      (d) => {
        const f = d as Finding;
        return { ...f, ...orgOf(f.ip) };
      },
      this.o,
    );
    this.markCache = new PartitionCache(store, 'alert-marks', (d) => d as AlertMark, this.o);
    this.suppressedCache = new PartitionCache(store, 'suppressed', (d) => d as SuppressedReport, this.o);
    this.ruleCache = new PartitionCache(store, 'suppressions', (d) => d as SuppressionRule, this.o);
  }

  /** Makes the next read of every kind ask the store again (after this process wrote). */
  invalidate(): void {
    for (const c of [
      this.reportCache,
      this.findingCache,
      this.markCache,
      this.suppressedCache,
      this.ruleCache,
    ])
      c.invalidate();
  }

  /** Operators' marks and suppressions by report id. */
  async states(): Promise<Map<string, ReportState>> {
    const [marks, suppressed] = [await this.markCache.rows(), await this.suppressedCache.rows()];
    return this.stateCache.get(`${this.markCache.generation}/${this.suppressedCache.generation}`, () => {
      const m = new Map<string, ReportState>();
      for (const x of marks) m.set(x.reportId, { ...m.get(x.reportId), mark: x });
      for (const x of suppressed) m.set(x.reportId, { ...m.get(x.reportId), suppressed: x });
      return m;
    });
  }

  private readonly views = new Map<string, Promise<unknown>>();

  /**
   * A value made from the reports and their marks and suppressions (the
   * episodes of one alert-list query), made once per change of any of them
   * and kept for the last 32 asked for. The versions are read after a
   * refresh and before `make` reads the rows, so a value is never kept under
   * versions newer than the rows it was made from.
   */
  async ofReports<T>(key: string, make: () => Promise<T>): Promise<T> {
    await this.reports();
    await this.states();
    const k = `${this.reportCache.generation}/${this.markCache.generation}/${this.suppressedCache.generation}|${key}`;
    let v = this.views.get(k) as Promise<T> | undefined;
    if (v) {
      this.views.delete(k);
    } else {
      v = make();
      v.catch(() => this.views.delete(k));
      if (this.views.size >= 32) this.views.delete(this.views.keys().next().value!);
    }
    this.views.set(k, v);
    return v;
  }

  /** Suppression rules not removed, oldest first. */
  rules(): Promise<SuppressionRule[]> {
    return this.ruleCache.rows();
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
