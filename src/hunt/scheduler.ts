/**
 * @module The daily hunt in `flowhunt serve`: once a UTC day is over (plus a
 * grace period for late flows and for the day's last detection windows),
 * learn the signatures from the reports of the last `learnDays` days and
 * hunt that day with all of them in one pass. Progress is stored
 * (`hunt-state`, one partition per hunted day), so a restart resumes.
 */

import { Poller } from '../detect/poller.js';
import { readReports } from '../detect/report.js';
import { DAY_MS, dayOf } from '../flow/batch.js';
import type { FlowStore } from '../store/types.js';
import { learnSignatures } from './catalog.js';
import { type Finding, type HuntOptions, huntRange } from './hunt.js';

export interface HuntSchedulerOptions {
  hunt: HuntOptions;
  minShare: number;
  learnDays: number;
  graceMs: number;
  onDay?: (day: string, findings: Finding[]) => void | Promise<void>;
  onError?: (e: Error) => void;
  now?: () => number;
}

export class HuntScheduler extends Poller {
  constructor(
    private readonly store: FlowStore,
    private readonly o: HuntSchedulerOptions,
  ) {
    super();
  }

  override start(pollMs = 60_000): void {
    super.start(pollMs);
  }

  protected onError(e: Error): void {
    this.o.onError?.(e);
  }

  async catchUp(): Promise<void> {
    const now = (this.o.now ?? Date.now)();
    const lastDue = Math.floor((now - this.o.graceMs) / DAY_MS) * DAY_MS - DAY_MS;
    const last = await this.store.lastPartition('hunt-state');
    let next = last ? Date.parse(`${last}T00:00:00Z`) + DAY_MS : lastDue;
    while (!this.stopped && next <= lastDue) {
      const from = next - this.o.learnDays * DAY_MS;
      const reports = await readReports(this.store, from, next + DAY_MS);
      const sigs = learnSignatures(reports, { minShare: this.o.minShare });
      const large = new Set(reports.filter((r) => r.role === 'source').map((r) => r.ip));
      const day = dayOf(next);
      const found = sigs.length
        ? await huntRange(this.store, next, next + DAY_MS, sigs, this.o.hunt, large)
        : [];
      await this.store.putDocs('hunt-state', day, [
        { day, signatures: sigs.length, findings: found.length, at: now },
      ]);
      await this.o.onDay?.(day, found);
      next += DAY_MS;
    }
  }
}
