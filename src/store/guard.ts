/**
 * @module The live ingest path's gate into the store: plausible times,
 * bounded staging, and the writer's health for `/healthz` and `/metrics`.
 *
 * `serve` hands the collector a {@link GuardedStore} around the real store.
 * Every batch the collector appends is screened by
 * {@link screenTimes} against the live window (not before
 * `ingest.earliest`, not more than `ingest.maxAheadHours` ahead of this
 * machine's clock, not more than `ingest.liveMaxAgeDays` old), so one
 * datagram cannot wedge the writer nor scatter flows over thousands of day
 * partitions. Rejected flows are counted by reason and logged once a
 * minute. A failing flush (a full disk) makes the process unhealthy until a
 * flush succeeds; what the stage cannot hold is refused, counted and logged
 * once a minute (not thrown back at the collector, which would log every
 * batch), never held without bound. Reads pass straight through.
 */

import { oneLine } from '../errors.js';
import type { FlowBatch } from '../flow/batch.js';
import {
  countsText,
  countsTotal,
  liveWindow,
  screenTimes,
  TIME_REASONS,
  type TimeCounts,
  type TimePolicy,
  zeroCounts,
} from '../flow/plausible.js';
import type { Sql } from './sql.js';
import type {
  DocKind,
  DocPartition,
  FlowQuery,
  FlowStore,
  StatKey,
  StatOrder,
  TimeRange,
  WriteState,
} from './types.js';

export interface Health {
  ok: boolean;
  /** Why not, one line. */
  reason?: string;
}

const LOG_EVERY_MS = 60_000;

export class GuardedStore implements FlowStore {
  readonly rejected: TimeCounts = zeroCounts();
  /** Flows the store refused (its stage full while writes fail). */
  refusedFlows = 0;
  private lastFlushError: string | undefined;
  private lastAppendError: string | undefined;
  private unlogged: TimeCounts = zeroCounts();
  private lastLog = 0;
  private unloggedRefused = 0;
  private lastRefusedLog = 0;
  /** Flows that arrived after live detection had already run their window (an exporter's clock, a replay). */
  lateFlows = 0;
  private unloggedLate = 0;
  private lastLateLog = 0;

  constructor(
    readonly inner: FlowStore,
    private readonly policy: TimePolicy,
    private readonly log: (line: string) => void = (l) => void process.stderr.write(`flowhunt: ${l}\n`),
    /** The detector's window and grace period: a flow whose window closed more than `graceMs` ago is late. */
    private readonly detection?: { windowMs: number; graceMs: number },
  ) {}

  get engine() {
    return this.inner.engine;
  }
  get dialect() {
    return this.inner.dialect;
  }
  get location() {
    return this.inner.location;
  }

  async append(batch: FlowBatch): Promise<void> {
    if (screenTimes(batch, liveWindow(this.policy), this.rejected, (_, r) => this.unlogged[r]++) > 0)
      this.maybeLog();
    if (batch.length === 0) return;
    if (this.detection) this.countLate(batch);
    const n = batch.length;
    try {
      await this.inner.append(batch);
      this.lastAppendError = undefined;
    } catch (e) {
      if ((e as { code?: string }).code !== 'stage_full') throw e;
      // Refused for want of space: counted and said once a minute, not once per batch.
      const refused = (e as { refused?: number }).refused ?? n;
      this.refusedFlows += refused;
      this.unloggedRefused += refused;
      this.lastAppendError = oneLine(e);
      const now = Date.now();
      if (now - this.lastRefusedLog >= LOG_EVERY_MS) {
        this.lastRefusedLog = now;
        this.log(
          `refused ${this.unloggedRefused} flows: ${this.lastAppendError} (counted in /metrics as flowhunt_store_refused_flows_total)`,
        );
        this.unloggedRefused = 0;
      }
    }
  }

  /**
   * Stored, but after live detection ran their window: counted in /metrics
   * and said once a minute (`flowhunt detect` over the range detects them).
   */
  private countLate(batch: FlowBatch): void {
    const { windowMs, graceMs } = this.detection!;
    const now = Date.now();
    // Windows that ended before this had their detection run (or due).
    const detectedBefore = Math.floor((now - graceMs) / windowMs) * windowMs;
    let late = 0;
    for (let i = 0; i < batch.length; i++) if (batch.te[i]! < detectedBefore) late++;
    if (late === 0) return;
    this.lateFlows += late;
    this.unloggedLate += late;
    if (now - this.lastLateLog >= LOG_EVERY_MS) {
      this.lastLateLog = now;
      this.log(
        `${this.unloggedLate} flows arrived after their window was detected (stored; counted in /metrics as flowhunt_late_flows_total; \`flowhunt detect\` over their time detects them)`,
      );
      this.unloggedLate = 0;
    }
  }

  private maybeLog(): void {
    const now = Date.now();
    if (now - this.lastLog < LOG_EVERY_MS) return;
    this.lastLog = now;
    this.log(
      `rejected ${countsTotal(this.unlogged)} flows with implausible times (${countsText(this.unlogged)}); counted in /metrics as flowhunt_flows_rejected_total`,
    );
    this.unlogged = zeroCounts();
  }

  async flush(batchId?: string): Promise<void> {
    try {
      await this.inner.flush(batchId);
      this.lastFlushError = undefined;
      this.lastAppendError = undefined; // the stage is empty: it takes flows again
    } catch (e) {
      this.lastFlushError = oneLine(e);
      throw e;
    }
  }

  writeState(): WriteState | undefined {
    return this.inner.writeState?.();
  }

  /** Unhealthy while flushes fail or the stage refuses flows; healthy again after a flush succeeds. */
  health(): Health {
    const reason = this.lastFlushError ?? this.lastAppendError ?? this.writeState()?.lastError;
    return reason ? { ok: false, reason: `store: ${reason}` } : { ok: true };
  }

  /** Prometheus text for what the guard and the writer count. */
  metrics(): string {
    const w = this.writeState();
    const lines = [
      '# HELP flowhunt_flows_rejected_total Flows rejected before the store, by reason (implausible times).',
      '# TYPE flowhunt_flows_rejected_total counter',
      ...TIME_REASONS.map((r) => `flowhunt_flows_rejected_total{reason="${r}"} ${this.rejected[r]}`),
      '# HELP flowhunt_store_refused_flows_total Flows the store refused because its stage was full while writes failed.',
      '# TYPE flowhunt_store_refused_flows_total counter',
      `flowhunt_store_refused_flows_total ${this.refusedFlows}`,
      '# HELP flowhunt_late_flows_total Flows stored after live detection had run their window (not detected live).',
      '# TYPE flowhunt_late_flows_total counter',
      `flowhunt_late_flows_total ${this.lateFlows}`,
      '# HELP flowhunt_store_healthy 1 while the store writes, 0 while its flushes fail (see /healthz for the reason).',
      '# TYPE flowhunt_store_healthy gauge',
      `flowhunt_store_healthy ${this.health().ok ? 1 : 0}`,
    ];
    if (w) {
      lines.push(
        '# HELP flowhunt_store_staged_flows Flows staged for the next flush.',
        '# TYPE flowhunt_store_staged_flows gauge',
        `flowhunt_store_staged_flows ${w.stagedRows}`,
        '# HELP flowhunt_store_dropped_flows_total Flows the writer dropped (a time no partition holds, or rows that failed to write three times).',
        '# TYPE flowhunt_store_dropped_flows_total counter',
        `flowhunt_store_dropped_flows_total ${w.droppedRows}`,
        '# HELP flowhunt_store_failed_flushes_total Flushes that could not write every day.',
        '# TYPE flowhunt_store_failed_flushes_total counter',
        `flowhunt_store_failed_flushes_total ${w.failedFlushes}`,
      );
    }
    return `${lines.join('\n')}\n`;
  }

  close(): Promise<void> {
    return this.inner.close();
  }
  totals(q: FlowQuery) {
    return this.inner.totals(q);
  }
  stat(q: FlowQuery, key: StatKey, order: StatOrder, top: number) {
    return this.inner.stat(q, key, order, top);
  }
  statWithTotals(q: FlowQuery, key: StatKey, order: StatOrder, top: number) {
    return this.inner.statWithTotals(q, key, order, top);
  }
  list(q: FlowQuery, limit: number) {
    return this.inner.list(q, limit);
  }
  days() {
    return this.inner.days();
  }
  retain(keepDays: number, now?: number) {
    return this.inner.retain(keepDays, now);
  }
  queryFlows(range: TimeRange, build: (from: Sql) => Sql) {
    return this.inner.queryFlows(range, build);
  }
  putDocs(kind: DocKind, partition: string, docs: readonly unknown[]) {
    return this.inner.putDocs(kind, partition, docs);
  }
  getDocs<T = unknown>(kind: DocKind, range?: { from?: string; to?: string }): Promise<DocPartition<T>[]> {
    return this.inner.getDocs<T>(kind, range);
  }
  lastPartition(kind: DocKind) {
    return this.inner.lastPartition(kind);
  }
  docVersions(kind: DocKind) {
    return this.inner.docVersions(kind);
  }
}
