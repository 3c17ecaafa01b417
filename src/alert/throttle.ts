/**
 * @module Dedup and throttling: one alert thread per (host, role, type).
 *
 * A thread alerts when it starts, when it escalates (its score reaches
 * `escalateFactor` × the score last alerted), and with a reminder every
 * `reminderMinutes` while it lasts; it ends after `quietMinutes` without a
 * report, and the next report starts a new thread. Time is the reports'
 * own window time, not the wall clock, so a replay of past windows throttles
 * exactly as the live run did and a window handled twice alerts once.
 *
 * The state is one JSON file written atomically after each batch, so a
 * restarted process continues the threads instead of alerting them anew.
 */

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Report } from '../detect/report.js';
import { FlowhuntError } from '../errors.js';
import { writeFileAtomic } from './files.js';
import type { AlertEvent } from './i18n.js';

export interface ThrottleOptions {
  /** Minutes between reminders of an ongoing thread; 0 sends none. */
  reminderMinutes: number;
  /** A new alert when the score reaches this multiple of the last alerted score. */
  escalateFactor: number;
  /** Minutes without a report after which a thread ends. */
  quietMinutes: number;
}

export const DEFAULT_THROTTLE: ThrottleOptions = {
  reminderMinutes: 360,
  escalateFactor: 2,
  quietMinutes: 60,
};

export interface Thread {
  key: string;
  /** Window start of the thread's first report (ms). */
  started: number;
  /** Window end of its latest report. */
  lastSeen: number;
  /** Window end of the report last alerted, and that report's score. */
  lastAlertAt: number;
  lastAlertScore: number;
  alerts: number;
  reports: number;
}

export interface ThreadEvent {
  event: AlertEvent;
  /** Deterministic: the same report of the same thread always gives the same id. */
  id: string;
  /** Identifies the thread (for mail threading: every alert of it refers to the first). */
  threadId: string;
  report: Report;
  /** The score of the previous alert (escalations and reminders). */
  previousScore?: number;
  /** Which alert of the thread this is, from 1. */
  seq: number;
}

export class ThrottleError extends FlowhuntError {
  override name = 'ThrottleError';

  constructor(message: string) {
    super('alert_state', message);
  }
}

const hash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 24);

export const threadKey = (r: Pick<Report, 'ip' | 'role' | 'type'>): string => `${r.role}|${r.ip}|${r.type}`;

export class Throttle {
  private constructor(
    private readonly file: string | undefined,
    readonly options: ThrottleOptions,
    private threads: Map<string, Thread>,
  ) {}

  /** Opens the state in `file` (created on the first save); no file keeps it in memory only. */
  static async open(file: string | undefined, o: Partial<ThrottleOptions> = {}): Promise<Throttle> {
    const options = { ...DEFAULT_THROTTLE, ...o };
    const threads = new Map<string, Thread>();
    if (file) {
      let text: string | undefined;
      try {
        text = await readFile(file, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
          throw new ThrottleError(
            `cannot read alert thread state ${file}: ${(e as NodeJS.ErrnoException).code}`,
          );
      }
      if (text !== undefined) {
        let doc: unknown;
        try {
          doc = JSON.parse(text);
        } catch {
          throw new ThrottleError(
            `alert thread state ${file} is not valid JSON; move it away to start afresh`,
          );
        }
        const list = (doc as { threads?: unknown }).threads;
        if (!Array.isArray(list)) throw new ThrottleError(`alert thread state ${file} has no threads list`);
        for (const t of list as Thread[]) threads.set(t.key, t);
      }
    }
    return new Throttle(file, options, threads);
  }

  get size(): number {
    return this.threads.size;
  }

  thread(key: string): Thread | undefined {
    const t = this.threads.get(key);
    return t ? { ...t } : undefined;
  }

  /**
   * Records one report and says whether it is alerted. Reports of a thread
   * must come in window order; one at or before the thread's latest window
   * (a window handled again) is ignored.
   */
  decide(r: Report): ThreadEvent | undefined {
    const o = this.options;
    const key = threadKey(r);
    let t = this.threads.get(key);
    if (t && r.windowEnd <= t.lastSeen) return undefined;
    if (t && r.windowStart - t.lastSeen > o.quietMinutes * 60_000) t = undefined;
    if (!t) {
      t = {
        key,
        started: r.windowStart,
        lastSeen: r.windowEnd,
        lastAlertAt: r.windowEnd,
        lastAlertScore: r.score,
        alerts: 1,
        reports: 1,
      };
      this.threads.set(key, t);
      return this.event('start', t, r);
    }
    t.lastSeen = r.windowEnd;
    t.reports += 1;
    let event: AlertEvent | undefined;
    if (r.score >= o.escalateFactor * t.lastAlertScore) event = 'escalation';
    else if (o.reminderMinutes > 0 && r.windowEnd - t.lastAlertAt >= o.reminderMinutes * 60_000)
      event = 'reminder';
    if (!event) return undefined;
    const previousScore = t.lastAlertScore;
    t.lastAlertAt = r.windowEnd;
    t.lastAlertScore = r.score;
    t.alerts += 1;
    return { ...this.event(event, t, r), previousScore };
  }

  private event(event: AlertEvent, t: Thread, r: Report): ThreadEvent {
    const threadId = hash(`${t.key}|${t.started}`);
    return {
      event,
      id: hash(`${t.key}|${t.started}|${event}|${r.windowStart}`),
      threadId,
      report: r,
      seq: t.alerts,
    };
  }

  /** Forgets threads that ended before `now` (report time), so the state stays small. */
  prune(now: number): void {
    const quiet = this.options.quietMinutes * 60_000;
    for (const [k, t] of this.threads) if (now - t.lastSeen > quiet) this.threads.delete(k);
  }

  async save(): Promise<void> {
    if (!this.file) return;
    const threads = [...this.threads.values()].sort((a, b) => a.key.localeCompare(b.key));
    await writeFileAtomic(this.file, `${JSON.stringify({ version: 1, threads }, null, 1)}\n`);
  }
}
