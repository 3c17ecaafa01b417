/**
 * @module The store interface: one contract, two engines.
 *
 * The embedded engine (DuckDB over day-partitioned Parquet files) and the
 * scale-out engine (ClickHouse MergeTree + Distributed) implement the same
 * methods with the same SQL-level work: every aggregation runs in the engine
 * and only its (small) result crosses into JavaScript. Stages that need more
 * than these methods build engine-neutral {@link Sql} and run it with
 * {@link FlowStore.queryFlows}, using {@link Dialect} for the few functions whose spelling differs.
 */

import { type ErrorCode, FlowhuntError } from '../errors.js';
import type { FlowBatch } from '../flow/batch.js';
import type { FlowRecord } from '../flow/record.js';
import type { Engine, Sql } from './sql.js';

/** Half-open time range over `flowEndMilliseconds`, in ms since the epoch. */
export interface TimeRange {
  from?: number;
  to?: number;
}

export interface FlowQuery extends TimeRange {
  /** An engine-neutral boolean expression over storage columns (see `filter/`). */
  where?: Sql;
}

export interface Totals {
  flows: number;
  packets: number;
  bytes: number;
}

export const STAT_KEYS = ['srcip', 'dstip', 'ip', 'srcport', 'dstport', 'port', 'proto', 'exporter'] as const;
export type StatKey = (typeof STAT_KEYS)[number];
export const STAT_ORDERS = ['flows', 'packets', 'bytes'] as const;
export type StatOrder = (typeof STAT_ORDERS)[number];

export interface StatRow {
  /** The key's value as text: an address, a port number or a protocol number. */
  key: string;
  flows: number;
  packets: number;
  bytes: number;
  /** Distinct other-side addresses (for an address key) or distinct sources (for a port/protocol key). */
  peers: number;
  firstSeen: number;
  lastSeen: number;
}

export interface DayInfo {
  day: string;
  flows: number;
  files: number;
  bytesOnDisk: number;
}

/**
 * A lookup of {@link Dialect.fanOut}: rows whose `cols` equal a key fan out
 * into that key's entries.
 */
export interface KeyLookup {
  /** Columns of the relation that make the key. */
  readonly cols: readonly string[];
  /** Each key once (whole numbers, one per column), with the entries it fans out into (one number per name). */
  readonly keys: readonly {
    readonly key: readonly number[];
    readonly entries: readonly (readonly number[])[];
  }[];
}

/** One way a flow is fanned out by {@link Dialect.fanGroup}: the value of each of the spec's names. */
export interface FanBranch {
  /** A mark of {@link FanGroup.marks} the flow must carry, or none: every flow read (with marks, those carrying one). */
  readonly when?: string;
  /** An expression over the flow's columns for each name (a column, a whole-number constant, a 0/1 indicator). */
  readonly values: Readonly<Record<string, string>>;
}

/** One aggregate of a {@link FanGroup}; a sum of a name that is 0 in a branch (0) or a distinct count of a constant (1) is not computed there. */
export interface FanAggregate {
  readonly as: string;
  readonly fn: 'count' | 'sum' | 'approxDistinct' | 'countDistinct';
  /** A name or a flow column (none for `count`). */
  readonly of?: string;
}

/**
 * "Fan each flow of a window out into keyed rows, then group": ranking
 * (a row for the source and one for the destination of each flow),
 * profiling (a row per role and dimension of each kept host's flow) and the
 * like, declared once for every engine.
 */
export interface FanGroup {
  /** The window; rendered into the query by the dialect, so no declaration forgets it. */
  readonly range: { readonly from: number; readonly to: number };
  /** Flow columns the values and aggregates read. */
  readonly columns: readonly string[];
  /** Flags computed once per flow (e.g. "its source is a kept host"); with any, a flow with none is dropped. */
  readonly marks?: readonly (readonly [name: string, test: Sql])[];
  /** The names every branch gives a value; none may be a flow column or a mark. */
  readonly names: readonly string[];
  /** The names grouped by; two branches never share a group (a constant name tells them apart). */
  readonly group: readonly string[];
  /** What each group sums up or counts, of a name or a flow column (`count` of the rows). */
  readonly aggregates: readonly FanAggregate[];
  readonly branches: readonly FanBranch[];
}

/** The spellings that differ between engines. */
export interface Dialect {
  readonly engine: Engine;
  /** Exact count of distinct values (tuples allowed). */
  countDistinct(exprs: readonly string[]): string;
  /**
   * Approximate count of distinct values of one expression (HyperLogLog-like;
   * a few percent off). Only for choosing candidates, never for a number
   * that is reported.
   */
  approxDistinct(expr: string): string;
  /**
   * The sum of a whole-number expression over one window's flows (a
   * {@link FanGroup}'s `sum`). DuckDB adds 64-bit integers in 128 bits,
   * which costs a fifth of a rank query; a double is exact to 2^53 (9 PB,
   * far above any host's counters in a window) and half the work. The
   * result is an unsigned 64-bit integer in both engines.
   */
  windowSum(expr: string): string;
  /** `expr` as an unsigned 64-bit integer (so that branches of a UNION ALL agree on types). */
  uint(expr: string): string;
  /**
   * `(cols) IN set of tuples`, as a hash semi-join however many tuples
   * there are (DuckDB evaluates a long literal IN list of row values one
   * comparison at a time; ClickHouse builds a set from a literal list).
   */
  inTuples(cols: readonly string[], tuples: readonly (readonly (number | bigint)[])[]): Sql;
  /**
   * An aggregate over the rows where `cond` holds: `count` (of rows; no
   * expression), `sum`, `min`, `max` of one expression, or `countDistinct`
   * (exact, tuples allowed). DuckDB `FILTER (WHERE …)`, ClickHouse `-If`.
   */
  aggIf(
    fn: 'count' | 'sum' | 'min' | 'max' | 'countDistinct',
    exprs: readonly string[],
    cond: string,
  ): string;
  /**
   * The rows of `inner` fanned out by key lookups, in one pass: a row whose
   * columns equal a key of some lookup becomes one row per entry of that key
   * (the entries of every lookup it matches, concatenated, never crossed),
   * with `inner`'s columns and the entry's numbers as columns `names`; a
   * row that matches no key is dropped. Each lookup is one hash probe per
   * row (DuckDB: a LEFT JOIN on the key; ClickHouse: `transform` of the key,
   * then `ARRAY JOIN`), however many keys there are.
   */
  fanOut(inner: Sql, lookups: readonly KeyLookup[], names: readonly string[]): Sql;
  /**
   * The groups of {@link FanGroup} over the flows of `from`, in one read of
   * the window: DuckDB a materialized scan grouped per branch (UNION ALL of
   * the branches' groups), ClickHouse 18.16 (no CTEs) one `ARRAY JOIN` of a
   * tuple per branch, masked by the marks, and one GROUP BY. Every value is
   * a whole number.
   */
  fanGroup(from: Sql, spec: FanGroup): Sql;
  /** Bitwise AND of a column and a value (DuckDB `a & b`, ClickHouse `bitAnd(a, b)`). */
  bitAnd(column: string, value: Sql): Sql;
  /** Bitwise exclusive OR of two unsigned 64-bit columns (DuckDB `xor(a, b)`, ClickHouse `bitXor(a, b)`). */
  bitXor(a: string, b: string): string;
  /**
   * Keeps the first `n` rows of each `partition` group of `inner` by
   * `order` (DuckDB: a window function; ClickHouse 18.16: `LIMIT n BY`), and
   * adds `group_rows`, the number of rows the group had before the cut.
   * `columns` names the other columns of `inner` the caller reads; `order`
   * must then be plain columns that order a group's rows totally, `DESC`
   * only on numbers below 2^63. Both engines then cut each group in one
   * aggregate (DuckDB `max_by(row, key, n)`, ClickHouse a sorted
   * `groupArray`) instead of a window sort over every row (DuckDB) or a join
   * of `inner` with a second aggregation of itself (ClickHouse).
   */
  topPerGroup(
    inner: Sql,
    partition: readonly string[],
    order: string,
    n: number,
    columns?: readonly string[],
  ): Sql;
  /**
   * `body` over named intermediate relations, each computed once where the
   * engine can (DuckDB: materialized CTEs; ClickHouse 18.16 has no CTEs, so
   * each name is replaced by its subquery).
   */
  withTables(tables: readonly [name: string, def: Sql][], body: (ref: (name: string) => Sql) => Sql): Sql;
}

/** Kinds of stored documents (JSON): reports per window, hunt findings per day, detector state... */
export const DOC_KINDS = [
  'reports',
  'detect-state',
  'findings',
  'hunt-state',
  'signatures',
  'leases',
  /** This network's learned normal, one document per day (see src/detect/baseline.ts). */
  'baseline',
  /** What each import committed (file identities, record ranges), for resuming (see src/import/resume.ts). */
  'imports',
  /** Operators' suppression rules, one partition per rule (src/alert/suppress.ts). */
  'suppressions',
  /** Per window: the reports a suppression rule kept from the alerter. */
  'suppressed',
  /** Operators' marks on reports (acknowledged, false positive), one partition per report. */
  'alert-marks',
  /** Each serve instance's per-exporter collector counters (src/collect/snapshot.ts). */
  'exporters',
  /** The API's traffic per 5-minute window of each closed day and scope (src/api/rollups.ts). */
  'rollups',
  /** The API's light report rows of each closed day, with the window versions they were read at (src/api/reportdays.ts). */
  'report-days',
] as const;
export type DocKind = (typeof DOC_KINDS)[number];

/** A partition name: sorts in time order, safe as a file name (e.g. `2026-11-20T13-05`). */
export const PARTITION_RE = /^[0-9A-Za-z][0-9A-Za-z_.-]{0,63}$/;

export interface DocVersion {
  partition: string;
  /** Opaque; equal for two listings exactly when the partition was not written in between. */
  version: string;
}

export interface DocPartition<T = unknown> {
  partition: string;
  docs: T[];
}

export interface FlowStore {
  readonly engine: Engine;
  readonly dialect: Dialect;
  /** Where the data lives, for messages (`duckdb:/path`, `clickhouse://host:port/db`). */
  readonly location: string;

  /**
   * Buffers a batch; it is durable and visible after the next {@link flush}.
   * The store owns the batch from then on (it may keep it, as it is, until
   * it is written): the caller makes a new one rather than refilling it.
   */
  append(batch: FlowBatch): Promise<void>;
  /**
   * Writes everything buffered, atomically per day partition. With
   * `batchId` (e.g. an import's file identity and chunk) the write is
   * idempotent where the engine can make it so: writing a batch again (a
   * retry, a rerun after a crash) stores nothing twice (DuckDB: the id is
   * recorded in each day's manifest; ClickHouse: see docs/reliability.md).
   */
  flush(batchId?: string): Promise<void>;
  /** What the writer holds and what it could not write (engines that stage locally). */
  writeState?(): WriteState | undefined;
  /** Flushes and releases resources. */
  close(): Promise<void>;

  totals(q: FlowQuery): Promise<Totals>;
  /** Top `top` values of `key` ordered by `order`, like `nfdump -s key/order -n top`. */
  stat(q: FlowQuery, key: StatKey, order: StatOrder, top: number): Promise<StatRow[]>;
  /** {@link stat} and {@link totals} of the same flows, in one query where the engine can (`flowhunt query --stat`). */
  statWithTotals(
    q: FlowQuery,
    key: StatKey,
    order: StatOrder,
    top: number,
  ): Promise<{ rows: StatRow[]; total: Totals }>;
  /** Flows in time order, at most `limit` of them. */
  list(q: FlowQuery, limit: number): Promise<FlowRecord[]>;
  days(): Promise<DayInfo[]>;
  /** Drops whole days older than `keepDays` before `now`; returns the days dropped. */
  retain(keepDays: number, now?: number): Promise<string[]>;

  /**
   * Runs a read query over the flows that may lie in `range`: `build` gets a
   * FROM-able relation (already pruned to the partitions of the range) and
   * returns the query. Integer results come back as JS numbers when exact,
   * else as bigint. The engine may call `build` again (e.g. after a
   * concurrent compaction), so it must be pure.
   */
  queryFlows(range: TimeRange, build: (from: Sql) => Sql): Promise<Record<string, unknown>[]>;

  /**
   * Replaces every document of one partition (a detection window, a hunted
   * day) atomically: readers see the old set or the new one, never a mix, and
   * writing the same partition again replaces it (replays are idempotent).
   */
  putDocs(kind: DocKind, partition: string, docs: readonly unknown[]): Promise<void>;
  /** The partitions in `[from, to]` (by name, inclusive) with their documents, in order. */
  getDocs<T = unknown>(kind: DocKind, range?: { from?: string; to?: string }): Promise<DocPartition<T>[]>;
  /** The last partition name of a kind, if any (where a detector or hunter resumes). */
  lastPartition(kind: DocKind): Promise<string | undefined>;
  /**
   * Every partition of a kind with a version that changes whenever the
   * partition is written again, in partition order, without reading the
   * documents: what a reader that caches partitions re-reads (a backfill's
   * old windows, a replayed day) instead of guessing which may have changed.
   */
  docVersions(kind: DocKind): Promise<DocVersion[]>;
}

/** The state of an engine's local write stage, for /healthz and /metrics. */
export interface WriteState {
  /** Flows waiting in the stage for a flush. */
  stagedRows: number;
  stagedDays: number;
  /** Flows dropped by the writer (a time no partition can hold, or rows that failed to write three times). */
  droppedRows: number;
  failedFlushes: number;
  /** The last flush's failure, one line, until a flush succeeds. */
  lastError?: string | undefined;
  /** When flushes started failing (epoch ms), until one succeeds. */
  failingSince?: number | undefined;
}

/** An error a person can act on; the CLI prints its message alone. */
export class StoreError extends FlowhuntError {
  override name = 'StoreError';

  constructor(message: string, code: ErrorCode) {
    super(code, message);
  }
}
