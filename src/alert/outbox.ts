/**
 * @module The persistent outbox: alerts wait on disk until delivered.
 *
 * One JSON file per message in `DIR/` (written atomically), named by the
 * message's deterministic id, so enqueuing the same thread event twice
 * queues it once. A sender loop delivers due messages oldest first; a
 * delivery that fails stays queued with an exponential backoff, and a
 * channel that fails is not tried again in the same pass (a mail server
 * that is down costs one connection attempt per pass, not one per message).
 *
 * After a delivery succeeds a receipt is written to `DIR/sent/ID.json` and
 * only then is the message file removed: the receipt is the commit point.
 * Receipts are kept `keepSentMs` (7 days) so that a late duplicate enqueue
 * is recognised. The one window for a duplicate is a crash after the
 * receiver accepted a message and before its receipt is on disk; the retry
 * carries the same id (SMTP `Message-ID`, webhook `Idempotency-Key`), so the
 * receiver can tell. Nothing is ever lost: a message leaves the queue only
 * once its receipt exists. One process owns a directory at a time.
 */

import { mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { oneLine } from '../errors.js';
import { syncDir, TMP_SUFFIX, writeFileAtomic } from './files.js';

export interface OutboxMessage<P = unknown> {
  id: string;
  channel: string;
  createdAt: number;
  attempts: number;
  nextAttemptAt: number;
  lastError?: string;
  payload: P;
}

export interface Receipt {
  id: string;
  channel: string;
  createdAt: number;
  sentAt: number;
  attempts: number;
}

/** Delivers one message or throws; must be safe to call again with the same message. */
export type Sender = (m: OutboxMessage) => Promise<void>;

export interface OutboxOptions {
  /** First retry delay; doubles per failed attempt up to `retryMaxMs`. */
  retryMinMs?: number;
  retryMaxMs?: number;
  keepSentMs?: number;
  now?: () => number;
  log?: (line: string) => void;
}

export interface PassResult {
  delivered: number;
  failed: number;
  /** Messages still queued after the pass. */
  queued: number;
  /** When the next one falls due (ms), if any is queued. */
  nextDue?: number;
}

const ID = /^[A-Za-z0-9._-]{1,200}$/;
const MAX_SLEEP_MS = 60_000;

export class Outbox {
  private readonly o: Required<Omit<OutboxOptions, 'log'>> & Pick<OutboxOptions, 'log'>;
  private readonly sentDir: string;
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Set by a kick that came during a pass, so the loop does not sleep past it. */
  private kicked = false;
  /** Serialises passes: the loop and a caller never deliver at the same time. */
  private lock: Promise<unknown> = Promise.resolve();
  private lastPrune = 0;

  private constructor(
    readonly dir: string,
    private readonly senders: Record<string, Sender>,
    o: OutboxOptions,
  ) {
    this.o = {
      retryMinMs: o.retryMinMs ?? 30_000,
      retryMaxMs: o.retryMaxMs ?? 30 * 60_000,
      keepSentMs: o.keepSentMs ?? 7 * 86_400_000,
      now: o.now ?? Date.now,
      log: o.log,
    };
    this.sentDir = join(dir, 'sent');
  }

  /** Opens (creating) the directory and clears temporary files a crash left behind. */
  static async open(dir: string, senders: Record<string, Sender>, o: OutboxOptions = {}): Promise<Outbox> {
    const box = new Outbox(dir, senders, o);
    await mkdir(box.sentDir, { recursive: true });
    for (const d of [dir, box.sentDir])
      for (const f of await readdir(d)) if (f.endsWith(TMP_SUFFIX)) await unlink(join(d, f)).catch(() => {});
    return box;
  }

  /** Queues a message unless one with this id is queued or was sent; true when queued now. */
  async enqueue<P>(id: string, channel: string, payload: P): Promise<boolean> {
    if (!ID.test(id)) throw new Error(`bad outbox message id ${JSON.stringify(id)}`);
    if (
      (await this.readJson(join(this.dir, `${id}.json`))) ||
      (await this.readJson(join(this.sentDir, `${id}.json`)))
    )
      return false;
    const now = this.o.now();
    const m: OutboxMessage<P> = { id, channel, createdAt: now, attempts: 0, nextAttemptAt: now, payload };
    await writeFileAtomic(join(this.dir, `${id}.json`), JSON.stringify(m));
    this.kick();
    return true;
  }

  /** Queued messages, oldest first. */
  async pending(): Promise<OutboxMessage[]> {
    const out: OutboxMessage[] = [];
    for (const f of await readdir(this.dir)) {
      if (!f.endsWith('.json')) continue;
      const m = await this.readJson<OutboxMessage>(join(this.dir, f));
      if (m) out.push(m);
    }
    return out.sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  }

  async receipts(): Promise<Receipt[]> {
    const out: Receipt[] = [];
    for (const f of await readdir(this.sentDir)) {
      if (!f.endsWith('.json')) continue;
      const r = await this.readJson<Receipt>(join(this.sentDir, f));
      if (r) out.push(r);
    }
    return out.sort((a, b) => a.sentAt - b.sentAt || a.id.localeCompare(b.id));
  }

  /** One delivery pass over the due messages. */
  deliverDue(): Promise<PassResult> {
    const run = this.lock.then(() => this.pass());
    this.lock = run.catch(() => {});
    return run;
  }

  private async pass(): Promise<PassResult> {
    const res: PassResult = { delivered: 0, failed: 0, queued: 0 };
    const blocked = new Map<string, number>();
    const due = (t: number) => {
      res.nextDue = res.nextDue === undefined ? t : Math.min(res.nextDue, t);
    };
    for (const m of await this.pending()) {
      if (await this.readJson(join(this.sentDir, `${m.id}.json`))) {
        // Its receipt was written but the crash came before the removal.
        await unlink(join(this.dir, `${m.id}.json`)).catch(() => {});
        continue;
      }
      const now = this.o.now();
      const wait = blocked.get(m.channel);
      if (m.nextAttemptAt > now || wait !== undefined) {
        res.queued++;
        due(Math.max(m.nextAttemptAt, wait ?? 0));
        continue;
      }
      const send = this.senders[m.channel];
      try {
        if (!send) throw new Error(`no ${m.channel} sender is configured`);
        await send(m);
      } catch (e) {
        const attempts = m.attempts + 1;
        const delay = Math.min(this.o.retryMaxMs, this.o.retryMinMs * 2 ** Math.min(30, attempts - 1));
        const next = {
          ...m,
          attempts,
          nextAttemptAt: this.o.now() + delay,
          lastError: oneLine(e).slice(0, 500),
        };
        await writeFileAtomic(join(this.dir, `${m.id}.json`), JSON.stringify(next));
        blocked.set(m.channel, next.nextAttemptAt);
        res.failed++;
        res.queued++;
        due(next.nextAttemptAt);
        this.o.log?.(
          `alert ${m.id} (${m.channel}) not delivered, attempt ${attempts}, retry in ${Math.round(delay / 1000)} s: ${next.lastError}`,
        );
        continue;
      }
      const receipt: Receipt = {
        id: m.id,
        channel: m.channel,
        createdAt: m.createdAt,
        sentAt: this.o.now(),
        attempts: m.attempts + 1,
      };
      await writeFileAtomic(join(this.sentDir, `${m.id}.json`), JSON.stringify(receipt));
      await unlink(join(this.dir, `${m.id}.json`));
      await syncDir(this.dir);
      res.delivered++;
    }
    await this.pruneReceipts();
    return res;
  }

  private async pruneReceipts(): Promise<void> {
    const now = this.o.now();
    if (now - this.lastPrune < 3_600_000) return;
    this.lastPrune = now;
    for (const r of await this.receipts())
      if (now - r.sentAt > this.o.keepSentMs)
        await unlink(join(this.sentDir, `${r.id}.json`)).catch(() => {});
  }

  /** Starts the sender loop (idempotent). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stops the loop after the delivery in progress, if any. Queued messages stay on disk. */
  async stop(): Promise<void> {
    this.running = false;
    this.kick();
    await this.loop;
    this.loop = undefined;
  }

  /** Wakes the loop now (a message was queued, or a receiver is back). */
  kick(): void {
    this.kicked = true;
    clearTimeout(this.timer);
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.kicked = false;
      let sleep = MAX_SLEEP_MS;
      try {
        const r = await this.deliverDue();
        if (r.nextDue !== undefined) sleep = Math.max(0, r.nextDue - this.o.now());
      } catch (e) {
        this.o.log?.(`alert outbox ${this.dir}: ${oneLine(e)}`);
        sleep = this.o.retryMinMs;
      }
      if (!this.running) break;
      if (this.kicked) continue;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.timer = setTimeout(resolve, Math.min(sleep, MAX_SLEEP_MS));
      });
    }
  }

  private async readJson<T>(path: string): Promise<T | undefined> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      // Written atomically, so this is damage from outside; keep it aside rather than lose or resend blindly.
      this.o.log?.(`alert outbox: ${path} is not valid JSON; left in place and skipped`);
      return undefined;
    }
  }
}
