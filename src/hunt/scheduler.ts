/**
 * @module The daily hunt in `flowhunt serve`: once a UTC day is over (plus a
 * grace period for late flows) and the detector has stored its last window,
 * learn the signatures from the reports of the last `learnDays` days and
 * hunt that day with all of them in one pass. Progress is stored
 * (`hunt-state`, one partition per hunted day, written after the day's
 * findings), so a restart resumes with the first day not done, and a hunter
 * in another process than the detector (the `hunter` role) learns when a day
 * is ready from the detector's stored progress alone.
 */

import { Poller } from '../detect/poller.js';
import { readReports, windowId } from '../detect/report.js';
import { parseWindowId } from '../detect/scheduler.js';
import { DAY_MS, dayOf } from '../flow/batch.js';
import type { FlowStore } from '../store/types.js';
import type { Finding, HuntOptions } from './hunt.js';
import { learnAndHunt } from './run.js';

export interface HuntSchedulerOptions {
  hunt: HuntOptions;
  minShare: number;
  learnDays: number;
  graceMs: number;
  /** The detector's window length: a day is hunted once its last window's detection is stored. */
  windowMs: number;
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

  /** Polls often: each poll is two small document reads, and a day is hunted soon after detection reaches its end. */
  override start(pollMs = 10_000): void {
    super.start(pollMs);
  }

  protected onError(e: Error): void {
    this.o.onError?.(e);
  }

  async catchUp(): Promise<void> {
    if (!(await this.mayWork())) return;
    const now = (this.o.now ?? Date.now)();
    const lastDue = Math.floor((now - this.o.graceMs) / DAY_MS) * DAY_MS - DAY_MS;
    const last = await this.store.lastPartition('hunt-state');
    // A first start hunts the last finished day if the detector detected its last window.
    let next = last ? Date.parse(`${last}T00:00:00Z`) + DAY_MS : await this.firstDay(lastDue);
    // Detection must be past the day's last window, or its reports (and signatures) are incomplete.
    const detected = await this.store.lastPartition('detect-state');
    const detectedTo = detected ? parseWindowId(detected) + this.o.windowMs : -Infinity;
    while (next <= lastDue && next + DAY_MS <= detectedTo && (await this.mayWork())) {
      const from = next - this.o.learnDays * DAY_MS;
      const reports = await readReports(this.store, from, next + DAY_MS);
      const day = dayOf(next);
      const { hunted, findings: found } = await learnAndHunt(this.store, reports, next, next + DAY_MS, {
        minShare: this.o.minShare,
        hunt: this.o.hunt,
      });
      await this.store.putDocs('hunt-state', day, [
        { day, signatures: hunted.length, findings: found.length, at: now },
      ]);
      await this.o.onDay?.(day, found);
      next += DAY_MS;
    }
  }

  /** Re-asked at each poll until a day is hunted: one document, not the day's states. */
  private async firstDay(day: number): Promise<number> {
    const last = windowId(day + DAY_MS - this.o.windowMs);
    const seen = await this.store.getDocs('detect-state', { from: last, to: last });
    return seen.length ? day : day + DAY_MS;
  }
}
