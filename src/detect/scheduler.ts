/**
 * @module Live detection: each window is detected once it has closed and a
 * grace period for late flows has passed. Progress lives in the store (the
 * last window with a stored state), so a restarted detector continues with
 * the next window and never detects one twice.
 */

import type { FlowStore } from '../store/types.js';
import { type DetectOptions, detectRange, type WindowResult } from './index.js';
import { Poller } from './poller.js';

export interface SchedulerOptions extends DetectOptions {
  /** Wait this long after a window ends before detecting it (flows arrive late: export timeouts). */
  graceMs: number;
  /** Windows further behind than this are skipped rather than replayed (after a long outage). */
  maxBacklogWindows?: number;
  onWindow?: (r: WindowResult) => void | Promise<void>;
  onError?: (e: Error) => void;
  now?: () => number;
}

export function parseWindowId(id: string): number {
  return Date.parse(`${id.slice(0, 13)}:${id.slice(14, 16)}:00Z`);
}

export class DetectScheduler extends Poller {
  constructor(
    private readonly store: FlowStore,
    private readonly o: SchedulerOptions,
  ) {
    super();
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
    const last = await this.store.lastPartition('detect-state');
    let next = last ? parseWindowId(last) + win : lastDue;
    const maxBacklog = this.o.maxBacklogWindows ?? 288;
    if ((lastDue - next) / win > maxBacklog) next = lastDue - (maxBacklog - 1) * win;
    while (!this.stopped && next <= lastDue) {
      const [r] = await detectRange(this.store, next, next + win, this.o);
      if (r) await this.o.onWindow?.(r);
      next += win;
    }
  }
}
