/**
 * @module Runs a catch-up job now and then every `pollMs`, never two at once,
 * and stops cleanly (waiting for the run in progress). Shared by the live
 * detector and the daily hunter.
 */

export abstract class Poller {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  protected stopped = false;

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
    tick();
    this.timer = setInterval(tick, pollMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
