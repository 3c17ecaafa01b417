/**
 * @module The dashboard's light report rows of each closed UTC day, kept in
 * the store as one document per day (kind `report-days`), so an API that
 * starts reads ~90 documents for three months of alerts instead of the
 * 25,920 window partitions (14-20 s on the console bench's store; every
 * full report parsed for a few fields).
 *
 * A day's document holds, per window partition, the partition's store
 * version when its rows were made and the rows without their organisation
 * (the directory may have changed since; it is looked up again). At start
 * the rows of a partition are taken from the document only when the
 * store lists the same version for it now: a window a backfill or replay
 * wrote since is read from the store as before, so what the API shows is
 * exactly what reading every partition would show.
 */

import type { DocVersion, FlowStore } from '../store/types.js';
import type { ReportRow } from './data.js';

const DAY = 86_400_000;
/** Days closed this long ago are kept as one document (detection and its replays are done with them). */
const SETTLED_MS = 60 * 60_000;

/** A window partition's rows as kept: its store version, and its rows without `org`. */
interface KeptPartition {
  partition: string;
  version: string;
  rows: Omit<ReportRow, 'org'>[];
}

interface DayDoc {
  /** The hunt's share the rows' port-packets-octets entries were cut at. */
  minShare: number;
  parts: KeptPartition[];
}

const dayOf = (partition: string) => partition.slice(0, 10);

export class ReportDays {
  /** Per day: the partitions and versions its stored document holds (what need not be written again). */
  private readonly stored = new Map<string, string>();

  constructor(
    private readonly store: FlowStore,
    private readonly minShare: number,
    private readonly orgOf: (ip: string) => { org?: string },
    private readonly now: () => number,
  ) {}

  /** The rows of every listed partition whose version a day's document holds, tagged with their organisation. */
  async load(listed: Promise<readonly DocVersion[]>): Promise<Map<string, ReportRow[]>> {
    const days = await this.store.getDocs<DayDoc>('report-days');
    const want = new Map((await listed).map((v) => [v.partition, v.version]));
    const out = new Map<string, ReportRow[]>();
    for (const p of days) {
      const doc = p.docs[0];
      if (!doc || doc.minShare !== this.minShare) continue;
      this.stored.set(p.partition, signature(doc.parts));
      for (const k of doc.parts)
        if (want.get(k.partition) === k.version)
          out.set(
            k.partition,
            k.rows.map((r) => this.tagged(r)),
          );
    }
    return out;
  }

  /**
   * A kept row with its organisation (after `ip`, as a row read from its
   * partition has it); a row of no organisation is the parsed object itself
   * (a copy of every row cost a restart's first view 0.2 s on 100 k rows).
   */
  private tagged(r: Omit<ReportRow, 'org'>): ReportRow {
    const org = this.orgOf(r.ip);
    if (org.org === undefined) return r as ReportRow;
    const { id, ip, ...rest } = r;
    return { id, ip, ...org, ...rest } as ReportRow;
  }

  private writing: Promise<void> = Promise.resolve();

  /**
   * Writes the document of each closed day whose partitions or versions
   * differ from its stored one (what `parts` holds now; one save at a time).
   */
  save(parts: ReadonlyMap<string, ReportRow[]>, versions: ReadonlyMap<string, string>): Promise<void> {
    // Each closed day's partitions and versions first: a day whose document holds them is not copied.
    const byDay = new Map<string, { partition: string; version: string; rows: readonly ReportRow[] }[]>();
    const now = this.now();
    for (const [partition, rows] of parts) {
      const day = dayOf(partition);
      const start = Date.parse(`${day}T00:00:00Z`);
      if (Number.isNaN(start) || start + DAY + SETTLED_MS > now) continue;
      const version = versions.get(partition);
      if (version === undefined) continue;
      let list = byDay.get(day);
      if (!list) {
        list = [];
        byDay.set(day, list);
      }
      list.push({ partition, version, rows });
    }
    const changed = [...byDay]
      .map(([day, list]) => ({ day, list, sig: signature(list) }))
      .filter(({ day, sig }) => this.stored.get(day) !== sig);
    const write = async () => {
      for (const { day, list, sig } of changed) {
        // An earlier save, queued before this one, may have written it since.
        if (this.stored.get(day) === sig) continue;
        const kept: KeptPartition[] = list.map((k) => ({
          ...k,
          rows: k.rows.map(({ org: _o, ...r }) => r),
        }));
        await this.store.putDocs('report-days', day, [
          { minShare: this.minShare, parts: kept } satisfies DayDoc,
        ]);
        this.stored.set(day, sig);
      }
    };
    this.writing = this.writing.then(write, write);
    return this.writing;
  }

  /** Resolves when the saves asked for so far are written. */
  written(): Promise<void> {
    return this.writing.catch(() => undefined);
  }
}

function signature(parts: readonly { partition: string; version: string }[]): string {
  return parts.map((p) => `${p.partition}@${p.version}`).join(' ');
}
