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

export const STAT_KEYS = ['srcip', 'dstip', 'ip', 'srcport', 'dstport', 'port', 'proto'] as const;
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
   * `(cols) IN set of tuples`, as a hash semi-join however many tuples
   * there are (DuckDB evaluates a long literal IN list of row values one
   * comparison at a time; ClickHouse builds a set from a literal list).
   */
  inTuples(cols: readonly string[], tuples: readonly (readonly (number | bigint)[])[]): Sql;
  /** Bitwise AND of a column and a value (DuckDB `a & b`, ClickHouse `bitAnd(a, b)`). */
  bitAnd(column: string, value: Sql): Sql;
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
] as const;
export type DocKind = (typeof DOC_KINDS)[number];

/** A partition name: sorts in time order, safe as a file name (e.g. `2026-11-20T13-05`). */
export const PARTITION_RE = /^[0-9A-Za-z][0-9A-Za-z_.-]{0,63}$/;

export interface DocPartition<T = unknown> {
  partition: string;
  docs: T[];
}

export interface FlowStore {
  readonly engine: Engine;
  readonly dialect: Dialect;
  /** Where the data lives, for messages (`duckdb:/path`, `clickhouse://host:port/db`). */
  readonly location: string;

  /** Buffers a batch; it is durable and visible after the next {@link flush}. */
  append(batch: FlowBatch): Promise<void>;
  /** Writes everything buffered, atomically per day partition. */
  flush(): Promise<void>;
  /** Flushes and releases resources. */
  close(): Promise<void>;

  totals(q: FlowQuery): Promise<Totals>;
  /** Top `top` values of `key` ordered by `order`, like `nfdump -s key/order -n top`. */
  stat(q: FlowQuery, key: StatKey, order: StatOrder, top: number): Promise<StatRow[]>;
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
}

/** An error a person can act on; the CLI prints its message alone. */
export class StoreError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}
