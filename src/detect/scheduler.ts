/**
 * @module Live detection: each window is detected once it has closed and a
 * grace period for late flows has passed. Progress lives in the store (the
 * last window with a stored state), so a restarted detector continues with
 * the next window and never detects one twice, and detectors on other
 * machines (the `detector` role on a ClickHouse cluster) need nothing else
 * to coordinate.
 *
 * A window's reports are stored before its state, and alerts are handed out
 * after both: a detector killed between the two writes detects the window
 * again on restart (replacing its reports with the same ones, so each
 * window's reports are stored exactly once); one killed after them hands the
 * last window's stored reports to `onResume` on restart, so its alerts are
 * not lost (the alert throttle recognises a window handled twice).
 */

import { sql } from '../store/sql.js';
import type { FlowStore } from '../store/types.js';
import { BaselineSource } from './baseline.js';
import { type DetectOptions, detectRange, type WindowResult } from './index.js';
import { Poller } from './poller.js';
import { type Report, readReports } from './report.js';

export interface SchedulerOptions extends DetectOptions {
  /** Wait this long after a window ends before detecting it (flows arrive late: export timeouts). */
  graceMs: number;
  /**
   * Windows further behind than this are skipped rather than replayed (after
   * a long outage); on a first start (no stored progress) detection begins
   * with the oldest window within it that has flows. Default 288 (a day).
   */
  maxBacklogWindows?: number;
  onWindow?: (r: WindowResult) => void | Promise<void>;
  /** On the first run after a (re)start: the reports of the last window already detected. */
  onResume?: (reports: Report[]) => void | Promise<void>;
  onError?: (e: Error) => void;
  now?: () => number;
}

export function parseWindowId(id: string): number {
  return Date.parse(`${id.slice(0, 13)}:${id.slice(14, 16)}:00Z`);
}

export class DetectScheduler extends Poller {
  private resumed = false;

  private readonly o: SchedulerOptions;

  constructor(
    private readonly store: FlowStore,
    o: SchedulerOptions,
  ) {
    super();
    // One baseline source for the detector's life: each day's stored baseline is read (or learned) once.
    this.o = o.baselines ? o : { ...o, baselines: new BaselineSource(store, o.thresholds) };
  }

  override start(pollMs = 5000): void {
    super.start(pollMs);
  }

  protected onError(e: Error): void {
    this.o.onError?.(e);
  }

  /** Detects every window that is due; returns when none is. */
  async catchUp(): Promise<void> {
    const win = this.o.thresholds.windowMinutes * 60_000;
    const now = (this.o.now ?? Date.now)();
    const lastDue = Math.floor((now - this.o.graceMs) / win) * win - win; // start of the newest closed window
    const maxBacklog = this.o.maxBacklogWindows ?? 288;
    const oldest = lastDue - (maxBacklog - 1) * win;
    if (!(await this.mayWork())) return;
    const last = await this.store.lastPartition('detect-state');
    if (last && !this.resumed) {
      const w0 = parseWindowId(last);
      await this.o.onResume?.(await readReports(this.store, w0, w0 + win));
    }
    this.resumed = true;
    let next = last ? parseWindowId(last) + win : await this.firstWindow(oldest, lastDue + win, win);
    if (next < oldest) next = oldest;
    while (next <= lastDue && (await this.mayWork())) {
      const [r] = await detectRange(this.store, next, next + win, this.o);
      if (r) await this.o.onWindow?.(r);
      next += win;
    }
  }

  /** The window of the oldest flow ending in [from, to), or the newest due window if there is none. */
  private async firstWindow(from: number, to: number, win: number): Promise<number> {
    const [row] = await this.store.queryFlows(
      { from, to },
      (f) => sql`SELECT min(te) AS t_first, count(*) AS n_flows FROM ${f} WHERE te >= ${from} AND te < ${to}`,
    );
    const n = Number(row?.['n_flows'] ?? 0);
    if (!n) return to - win;
    return Math.floor(Number(row!['t_first']) / win) * win;
  }
}
