/**
 * @module Takes async work in turns: both engines' writers run append and
 * flush one at a time on their connection, whatever the callers overlap.
 */

/** Runs each `fn` after the previous one settles; a failure does not stop the queue. */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}
