/**
 * @module Suppression rules: an operator's "stop alerting about this" — an
 * address or prefix, optionally one anomaly type and one organisation, an
 * optional expiry, who made it and why. Rules are documents in the store
 * (kind `suppressions`, one partition per rule, an empty partition once it is
 * removed), so every detector and API process reads the same rules. After a
 * window is detected (its reports already stored), {@link Suppressor.apply}
 * records which reports an active rule covers (kind `suppressed`, one
 * partition per window) and hands on only the others to the alerter: a
 * suppressed report is stored and listed, marked "suppressed", never mailed.
 */

import { createHash } from 'node:crypto';
import type { Report } from '../detect/report.js';
import { windowId } from '../detect/report.js';
import type { AnomalyType } from '../detect/rules.js';
import { cidrContains, parseAddress, parseCidr } from '../flow/address.js';
import type { FlowStore } from '../store/types.js';

export interface SuppressionRule {
  /** Also its partition name. */
  id: string;
  /** An address or a prefix, normalised (`140.114.9.9/32`, `2001:db8::/48`). */
  cidr: string;
  type?: AnomalyType;
  org?: string;
  /** Epoch ms after which the rule no longer applies; none: until removed. */
  expires?: number;
  by: string;
  why: string;
  created: number;
}

/** A report a rule kept from the alerter. */
export interface SuppressedReport {
  reportId: string;
  rule: string;
  by: string;
  why: string;
}

/** A rule's id: its creation time (so partitions sort in creation order) and a digest of its content. */
export function ruleId(r: Omit<SuppressionRule, 'id'>): string {
  const h = createHash('sha1').update(JSON.stringify(r)).digest('hex').slice(0, 10);
  return `${new Date(r.created).toISOString().replace(/[:.]/g, '-')}.${h}`;
}

/** Whether `rule` covers `report` at time `now`. `orgOf` gives an address's owner. */
export function covers(
  rule: SuppressionRule,
  report: Pick<Report, 'ip' | 'type'>,
  orgOf: (ip: string) => string | undefined,
  now: number,
): boolean {
  if (rule.created > now) return false;
  if (rule.expires !== undefined && now >= rule.expires) return false;
  if (rule.type !== undefined && rule.type !== report.type) return false;
  const c = parseCidr(rule.cidr);
  const w = parseAddress(report.ip);
  if (!c || !w || !cidrContains(c, w)) return false;
  return rule.org === undefined || orgOf(report.ip) === rule.org;
}

/** Every rule in the store that has not been removed (expired ones included: the list shows them). */
export async function readRules(store: FlowStore): Promise<SuppressionRule[]> {
  return (await store.getDocs<SuppressionRule>('suppressions')).flatMap((p) => p.docs);
}

export class Suppressor {
  constructor(
    private readonly store: FlowStore,
    private readonly orgOf: (ip: string) => string | undefined,
    private readonly now: () => number = Date.now,
    /** A rule list that cannot be read, or a record that cannot be written: said here, and alerting goes on. */
    private readonly onError: (message: string) => void = () => undefined,
  ) {}

  /**
   * Records the reports an active rule covers (per window) and returns the
   * others, in their order. Applying a window again (a resumed detector)
   * writes its record again, with the rules as they are then. When the rules
   * cannot be read every report is returned (an unwanted alert is better than
   * a lost one); when the record cannot be written, the suppressed reports
   * are still kept from the alerter.
   */
  async apply(reports: readonly Report[]): Promise<Report[]> {
    if (reports.length === 0) return [];
    const now = this.now();
    let all: SuppressionRule[];
    try {
      all = await readRules(this.store);
    } catch (e) {
      this.onError(`suppression rules cannot be read, alerting every report: ${(e as Error).message}`);
      return [...reports];
    }
    const rules = all.filter((r) => r.expires === undefined || now < r.expires);
    const kept: Report[] = [];
    const byWindow = new Map<string, SuppressedReport[]>();
    for (const r of reports) {
      const rule = rules.find((x) => covers(x, r, this.orgOf, now));
      const w = windowId(r.windowStart);
      const list = byWindow.get(w) ?? [];
      byWindow.set(w, list);
      if (rule) list.push({ reportId: r.id, rule: rule.id, by: rule.by, why: rule.why });
      else kept.push(r);
    }
    for (const [w, list] of byWindow) {
      try {
        if (list.length || (await this.store.getDocs('suppressed', { from: w, to: w })).length)
          await this.store.putDocs('suppressed', w, list);
      } catch (e) {
        this.onError(`window ${w}: which reports were suppressed cannot be stored: ${(e as Error).message}`);
      }
    }
    return kept;
  }
}

/**
 * What the detector calls with each window's reports (and, on a restart, the
 * last window's): suppression first, then the alerter with the rest.
 */
export function alertWindow<T>(
  suppressor: Suppressor,
  alerter: { handle(reports: readonly Report[]): Promise<T> } | null,
): (reports: readonly Report[]) => Promise<{ kept: Report[]; alerted: T | undefined }> {
  return async (reports) => {
    const kept = await suppressor.apply(reports);
    return { kept, alerted: await alerter?.handle(kept) };
  };
}
