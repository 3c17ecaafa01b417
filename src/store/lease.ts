/**
 * @module A lease in the store, so that of several processes started for one
 * role (two detectors, by mistake or as a hot standby) one works and the
 * others wait, whatever the engine, with nothing but the store's documents.
 *
 * Neither engine offers compare-and-set here (ClickHouse 18.16 without
 * ZooKeeper has no transactions), so a lease is taken in two steps: write a
 * claim, wait `settleMs`, read back. Every claimant reads the same newest
 * version of the one `leases` document, so at most one finds its own claim
 * and goes on. A claim is only written over a lease that has expired or is
 * the claimant's own; the holder renews it in the background every third of
 * `ttlMs`, and a holder that finds someone else's claim (it hung past its
 * expiry and was replaced) stops at its next check. A restarted process
 * with the same identity (the data directory's `instance-id`) takes its own
 * lease back at once.
 */

import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { type FlowStore, StoreError } from './types.js';

export interface LeaseDoc {
  holder: string;
  host: string;
  pid: number;
  /** Epoch ms after which the lease is free. */
  until: number;
}

export interface LeaseOptions {
  /** How long a lease lasts without renewal. Default 60 s. */
  ttlMs?: number;
  /** Time between writing a claim and reading it back. Default 2 s. */
  settleMs?: number;
  now?: () => number;
  onChange?: (held: boolean, current: LeaseDoc | undefined) => void;
}

/** A stable identity for this installation: `DATA/instance-id`, created once. */
export async function instanceId(dataDir: string): Promise<string> {
  const file = join(dataDir, 'instance-id');
  try {
    const id = (await readFile(file, 'utf8')).trim();
    if (/^[0-9a-f-]{36}$/.test(id)) return id;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const id = randomUUID();
  try {
    await mkdir(dataDir, { recursive: true });
    await writeFile(file, `${id}\n`, { flag: 'w' });
  } catch (e) {
    throw new StoreError(`cannot write ${file}: ${(e as Error).message}`, 'store_dir');
  }
  return id;
}

export class Lease {
  /** Undefined until the first decision, so that one is reported too. */
  private held: boolean | undefined;
  private timer: NodeJS.Timeout | null = null;
  private readonly ttlMs: number;
  private readonly settleMs: number;
  private readonly now: () => number;

  constructor(
    private readonly store: FlowStore,
    /** The role: `detector`, `hunter`. */
    readonly name: string,
    readonly holder: string,
    private readonly o: LeaseOptions = {},
  ) {
    this.ttlMs = o.ttlMs ?? 60_000;
    this.settleMs = o.settleMs ?? 2_000;
    this.now = o.now ?? Date.now;
  }

  /** The lease as stored now. */
  async current(): Promise<LeaseDoc | undefined> {
    const [p] = await this.store.getDocs<LeaseDoc>('leases', { from: this.name, to: this.name });
    return p?.docs[0];
  }

  private write(): Promise<void> {
    const doc: LeaseDoc = {
      holder: this.holder,
      host: hostname(),
      pid: process.pid,
      until: this.now() + this.ttlMs,
    };
    return this.store.putDocs('leases', this.name, [doc]);
  }

  private set(held: boolean, cur: LeaseDoc | undefined): boolean {
    if (held !== this.held) this.o.onChange?.(held, cur);
    this.held = held;
    return held;
  }

  /**
   * Says whether this process may work now: renews a lease it holds, or
   * claims one that is free (expired, never taken, or its own from before a
   * restart). Call before each unit of work.
   */
  async hold(): Promise<boolean> {
    const cur = await this.current();
    if (cur && cur.holder !== this.holder && cur.until > this.now()) return this.set(false, cur);
    if (cur?.holder === this.holder && this.held) {
      if (cur.until - this.now() < (this.ttlMs * 2) / 3) await this.write();
      return true;
    }
    await this.write();
    await new Promise((r) => setTimeout(r, this.settleMs));
    const after = await this.current();
    return this.set(after?.holder === this.holder, after);
  }

  /** Renews in the background while held (long units of work outlast a lease). */
  keepAlive(): void {
    if (this.timer) return;
    this.timer = setInterval(
      () => {
        if (!this.held) return;
        void this.current()
          .then(async (cur) => {
            if (cur?.holder !== this.holder) return void this.set(false, cur);
            await this.write();
          })
          .catch(() => undefined);
      },
      Math.max(1000, this.ttlMs / 3),
    );
    this.timer.unref();
  }

  /** Stops renewing and gives the lease up at once, so a standby need not wait for it to expire. */
  async release(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (!this.held) return;
    this.held = false;
    const cur = await this.current().catch(() => undefined);
    if (cur?.holder === this.holder)
      await this.store.putDocs('leases', this.name, [{ ...cur, until: 0 }]).catch(() => undefined);
  }
}
