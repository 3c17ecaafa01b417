/**
 * @module Plausible flow times: the one check every ingest path applies to
 * a batch before it reaches the store.
 *
 * A flow's end time picks its day partition, so one absurd time (a far-future
 * `flowEndMilliseconds`, a clock reset to 1970, thousands of records each on
 * its own day) must not reach the writer. {@link screenTimes} removes, per
 * record and in place, the flows whose end time falls outside a window and
 * counts them by reason. Callers: the live collector's path into the store
 * (`src/store/guard.ts`: window relative to the receiving machine's clock,
 * old flows dropped), every import format (`src/import/index.ts`: archives
 * of any age since {@link TimeWindow.earliest}), and the DuckDB writer itself
 * (only what a partition name cannot hold), so no path can skip it.
 */

import { DAY_MS, type FlowBatch, MAX_STORABLE_MS } from './batch.js';

/** Why a flow was rejected; the label of the `reason` series in /metrics and the import summary. */
export const TIME_REASONS = ['invalid_time', 'before_earliest', 'future', 'stale'] as const;
export type TimeReason = (typeof TIME_REASONS)[number];
export type TimeCounts = Record<TimeReason, number>;

export function zeroCounts(): TimeCounts {
  return { invalid_time: 0, before_earliest: 0, future: 0, stale: 0 };
}

/** The configuration of the window (config key `ingest`, see src/config.ts). */
export interface TimePolicy {
  /** Flows ending before this ISO date (or epoch ms) are rejected (`before_earliest`). */
  earliest: string | number;
  /** Flows ending more than this many hours after the clock are rejected (`future`). */
  maxAheadHours: number;
  /** Live collection only: flows ending more than this many days before the clock are dropped (`stale`). */
  liveMaxAgeDays: number;
}

export const DEFAULT_TIME_POLICY: TimePolicy = {
  earliest: '1990-01-01',
  maxAheadHours: 24,
  liveMaxAgeDays: 7,
};

/** A resolved window over `flowEndMilliseconds`, both ends inclusive, in epoch ms. */
export interface TimeWindow {
  /** Before this: `before_earliest`. */
  earliest: number;
  /** Before this (and not before `earliest`): `stale`. Equal to `earliest` when old flows are welcome. */
  stale: number;
  /** After this: `future`. */
  latest: number;
}

export function parseEarliest(v: string | number): number {
  const ms = typeof v === 'number' ? v : Date.parse(/T/.test(v) ? v : `${v}T00:00:00Z`);
  if (!Number.isFinite(ms) || ms < 0 || ms > MAX_STORABLE_MS)
    throw new Error(`ingest.earliest: ${JSON.stringify(v)} is not a date from 1970 on`);
  return ms;
}

/** The window for imports: any age since `earliest`, at most `maxAheadHours` ahead of `now`. */
export function importWindow(p: TimePolicy, now = Date.now()): TimeWindow {
  const earliest = parseEarliest(p.earliest);
  const latest = Math.min(MAX_STORABLE_MS, now + p.maxAheadHours * 3_600_000);
  return { earliest, stale: earliest, latest };
}

/** The window for live collection: the import window, and not older than `liveMaxAgeDays` before `now`. */
export function liveWindow(p: TimePolicy, now = Date.now()): TimeWindow {
  const w = importWindow(p, now);
  return { ...w, stale: Math.max(w.earliest, now - p.liveMaxAgeDays * DAY_MS) };
}

/** What the store itself can hold (a day name of four digits); no check of plausibility. */
export const STORABLE: TimeWindow = { earliest: 0, stale: 0, latest: MAX_STORABLE_MS };

/**
 * Removes in place the flows whose end time is outside `w`, adds them to
 * `counts` by reason, and returns how many were removed. An end time that
 * is not a number from 1970 on, or a start time that is not one from 1970
 * to 9999, is `invalid_time`; an end after the window (9999 at the latest)
 * is `future`.
 * `onReject`, when given, hears each removed flow's index in the batch as it
 * was before the call.
 */
export function screenTimes(
  b: FlowBatch,
  w: TimeWindow,
  counts: TimeCounts,
  onReject?: (index: number, reason: TimeReason) => void,
): number {
  const n = b.length;
  let keep: Uint8Array | null = null;
  for (let i = 0; i < n; i++) {
    const te = b.te[i]!;
    const ts = b.ts[i]!;
    let reason: TimeReason | undefined;
    if (!(te >= 0 && Number.isFinite(te))) reason = 'invalid_time';
    else if (te > w.latest) reason = 'future';
    else if (te < w.earliest) reason = 'before_earliest';
    else if (te < w.stale) reason = 'stale';
    else if (!(ts >= 0 && ts <= MAX_STORABLE_MS)) reason = 'invalid_time';
    if (reason === undefined) continue;
    if (!keep) keep = new Uint8Array(n).fill(1);
    keep[i] = 0;
    counts[reason]++;
    onReject?.(i, reason);
  }
  return keep ? b.compact(keep) : 0;
}

/** `future: 1, stale: 2` (only the reasons that occurred), for one-line messages. */
export function countsText(c: TimeCounts): string {
  return TIME_REASONS.filter((r) => c[r] > 0)
    .map((r) => `${r}: ${c[r]}`)
    .join(', ');
}

export function countsTotal(c: TimeCounts): number {
  return TIME_REASONS.reduce((a, r) => a + c[r], 0);
}
