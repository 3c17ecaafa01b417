/**
 * @module Runs a catch-up job now and then every `pollMs`, never two at once,
 * and stops cleanly (waiting for the run in progress). Shared by the live
 * detector and the daily hunter. With a lease, only the process holding it
 * works; the others stand by and take over when it is released or expires.
 */

import type { Lease } from '../store/lease.js';

export abstract class Poller {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  protected stopped = false;
  protected lease: Lease | undefined;

  /** Work only while holding `lease` (checked before each unit of work). */
  withLease(lease: Lease): this {
    this.lease = lease;
    return this;
  }

  /** Whether this process may do the next unit of work. */
  protected async mayWork(): Promise<boolean> {
    if (this.stopped) return false;
    return this.lease ? this.lease.hold() : true;
  }

  /** Does all the work that is due, then returns. */
  abstract catchUp(): Promise<void>;
  protected abstract onError(e: Error): void;

  start(pollMs: number): void {
    const tick = () => {
      if (this.stopped || this.running) return;
      this.running = this.catchUp()
        .catch((e: Error) => this.onError(e))
        .finally(() => {
          this.running = null;
        });
    };
    this.lease?.keepAlive();
    tick();
    this.timer = setInterval(tick, pollMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
    await this.lease?.release();
  }
}
