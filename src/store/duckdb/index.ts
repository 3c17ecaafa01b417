/**
 * @module The embedded engine: DuckDB over Parquet files partitioned by day.
 *
 * Layout under the data directory:
 * ```
 * flows/day=2026-11-20/manifest.json      the files that make up the day
 * flows/day=2026-11-20/part-<t>-<id>.parquet
 * flows/.lock                              held while a manifest is swapped
 * ```
 * Writes are held in this process by day (`stage.ts`), then go out as one
 * Parquet file per day touched, sorted by end time (written under a
 * temporary name, renamed, then added to the day's manifest). Reads list
 * the manifests of the days a query covers and let DuckDB push the time
 * range and filters down into the files' row-group statistics. No server,
 * and any number of reading processes.
 *
 * This file is the store itself (staging, flushing, reading); beside it:
 * `layout.ts` (where files go), `manifest.ts` and `lock.ts` (a day's file
 * list and the lock that swaps it), `stage.ts` (what is held until written),
 * `scan.ts` and `chunk.ts` (held batches read by DuckDB as a table),
 * `compaction.ts` (small files merged), `documents.ts`, `retention.ts`,
 * `sweep.ts` (leftovers removed at open), `errors.ts` (the disk's failures
 * told from the rows'), `dialect.ts` (DuckDB's SQL spellings). The ClickHouse
 * folder is split the same way.
 */

import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type DuckDBConnection, DuckDBInstance, type DuckDBType, type DuckDBValue } from '@duckdb/node-api';
import { oneLine } from '../../errors.js';
import { DAY_MS, dayOf, type FlowBatch, MAX_STORABLE_MS } from '../../flow/batch.js';
import { countsTotal, STORABLE, screenTimes, zeroCounts } from '../../flow/plausible.js';
import type { FlowRecord } from '../../flow/record.js';
import { sqlType, storageColumns } from '../../flow/schema.js';
import { EngineStore } from '../engine.js';
import { Mutex } from '../mutex.js';
import { retentionCutoff } from '../partitions.js';
import {
  big,
  listQuery,
  num,
  peersQuery,
  rowToRecord,
  statQuery,
  statTotals,
  toStatRows,
  toTotals,
  totalsQuery,
} from '../queries.js';
import { literal, numbered, raw, type Sql } from '../sql.js';
import {
  type DayInfo,
  type FlowQuery,
  type FlowStore,
  type StatKey,
  type StatOrder,
  type StatRow,
  StoreError,
  type TimeRange,
  type Totals,
  type WriteState,
} from '../types.js';
import { compactDay } from './compaction.js';
import { duckDialect } from './dialect.js';
import { DuckDocs } from './documents.js';
import { isResourceError } from './errors.js';
import { dayDir, listDays, lockPath, PARQUET_OPTIONS, partName, tmpName } from './layout.js';
import { withLock } from './lock.js';
import { hasBatch, MAX_BATCH_IDS, type PartFile, readManifest, writeManifest } from './manifest.js';
import { dropDaysBefore } from './retention.js';
import { StagedScan } from './scan.js';
import { Stage } from './stage.js';
import { type SweepResult, sweepLeftovers } from './sweep.js';

export interface DuckStoreOptions {
  /**
   * Rows staged before `append` flushes by itself; also the bound on what is
   * held while flushes fail (then `append` refuses more with `STAGE_FULL`).
   */
  maxPendingRows?: number;
  /** Days staged before `append` flushes by itself: the most day partitions one flush writes. */
  maxPendingDays?: number;
  /** Where the writer says what it dropped or could not tidy (default: stderr). */
  log?: (line: string) => void;
  /** A day is compacted when it has this many files smaller than {@link smallFileBytes}. */
  compactAfterFiles?: number;
  smallFileBytes?: number;
  /** How long a file replaced by compaction stays for readers that still list it. */
  retireGraceMs?: number;
  /** DuckDB threads (default: all cores). */
  threads?: number;
  memoryLimit?: string;
  /**
   * Create the data directory when it does not exist (default). A read
   * (`flowhunt query`, `reports`...) passes false: a mistyped `--data` is
   * refused rather than created and reported as empty, which reads as clean.
   * An existing directory, even an empty one, opens as a store.
   */
  create?: boolean;
}

export { duckDialect };

/** A day's writes are given up after this many failures that are not the disk's (see {@link isResourceError}). */
const MAX_DAY_ATTEMPTS = 3;
/** The memory of the instance that writes staged days: a row group of 122,880 rows being encoded, and room. */
const WRITER_MEMORY = '256MB';
const LAST_DAY = Math.floor(MAX_STORABLE_MS / DAY_MS);

/** The day number of an end time the stage holds (screened to 0 .. MAX_STORABLE_MS). */
function dayNumber(te: number): number {
  return Math.min(Math.max(Math.floor(te / DAY_MS), 0), LAST_DAY);
}

export class DuckFlowStore extends EngineStore implements FlowStore {
  readonly engine = 'duckdb' as const;
  readonly dialect = duckDialect;
  readonly location: string;
  readonly flowsDir: string;
  private readonly opts: Required<Omit<DuckStoreOptions, 'threads' | 'memoryLimit' | 'create'>>;
  /** What the sweep at open removed. */
  swept: SweepResult = { tmpFiles: 0, unlistedFiles: 0, trashDirs: 0 };
  private conn!: DuckDBConnection;
  private instance!: DuckDBInstance;
  /** The instance that writes staged days to Parquet (one thread; see {@link writerFor}), made at the first write. */
  private writer: Promise<{ instance: DuckDBInstance; conn: DuckDBConnection; scan: StagedScan }> | undefined;
  /** The storage columns' DuckDB types, for the writer's table function. */
  private types!: DuckDBType[];
  private readonly staged = new Stage(dayNumber);
  /** The caller's id of what is staged, kept while a named flush is retried with nothing new staged. */
  private stageId: string | undefined;
  private readonly dayFailures = new Map<number, number>();
  private readonly state: Omit<WriteState, 'stagedRows' | 'stagedDays'> = {
    droppedRows: 0,
    failedFlushes: 0,
  };
  private readonly writeLock = new Mutex();
  protected readonly docs: DuckDocs;
  /** DuckDB's spill directory: `.spill.PID.RAND.tmp` under `flows/`, so the sweep knows whose it is. */
  private readonly spillDir: string;

  private constructor(
    readonly dir: string,
    opts: DuckStoreOptions,
  ) {
    super();
    this.location = `duckdb:${dir}`;
    this.flowsDir = join(dir, 'flows');
    this.docs = new DuckDocs(join(dir, 'docs'), () => this.assertOpen());
    this.spillDir = tmpName(this.flowsDir, 'spill');
    this.opts = {
      maxPendingRows: opts.maxPendingRows ?? 2_000_000,
      maxPendingDays: opts.maxPendingDays ?? 32,
      log: opts.log ?? ((line) => void process.stderr.write(`flowhunt: store: ${line}\n`)),
      compactAfterFiles: opts.compactAfterFiles ?? 16,
      smallFileBytes: opts.smallFileBytes ?? 64 * 1024 * 1024,
      retireGraceMs: opts.retireGraceMs ?? 10 * 60_000,
    };
  }

  static async open(dir: string, opts: DuckStoreOptions = {}): Promise<DuckFlowStore> {
    const s = new DuckFlowStore(resolve(dir), opts);
    await s.init(opts);
    return s;
  }

  private async init(opts: DuckStoreOptions): Promise<void> {
    if (opts.create === false && !(await isDirectory(this.dir)))
      throw new StoreError(
        `data directory ${this.dir} does not exist (nothing was imported or collected there; check --data or --store)`,
        'no_store',
      );
    try {
      await mkdir(this.flowsDir, { recursive: true });
    } catch (e) {
      throw new StoreError(`cannot create data directory ${this.dir}: ${(e as Error).message}`, 'store_dir');
    }
    const config: Record<string, string> = {};
    if (opts.threads) config['threads'] = String(opts.threads);
    if (opts.memoryLimit) config['memory_limit'] = opts.memoryLimit;
    // What DuckDB spills past its memory limit (a big sort) stays in the data directory, not `./.tmp` of
    // whatever directory the command ran in; the directory is this process's, removed at close (or by the
    // sweep of a later open, if the process was killed).
    config['temp_directory'] = this.spillDir;
    this.instance = await DuckDBInstance.create(':memory:', config);
    this.conn = await this.instance.connect();
    const cols = storageColumns()
      .map((c) => `${c.name} ${sqlType(c.def.kind, 'duckdb')}`)
      .join(', ');
    try {
      this.swept = await sweepLeftovers(this.flowsDir, join(this.dir, 'docs'));
    } catch (e) {
      // Leftovers take space but hold no data: a store that cannot sweep them still opens.
      this.opts.log(`could not remove leftover temporary files: ${oneLine(e)}`);
    }
    await this.conn.run(`CREATE TABLE empty_flows (${cols})`);
    const r = await this.conn.runAndReadAll('SELECT * FROM empty_flows LIMIT 0');
    this.types = r.columnTypes();
  }

  // ---------------------------------------------------------------- writing

  /**
   * Stages a batch. Flows whose end time no day partition can name are
   * dropped and counted ({@link WriteState.droppedRows}); the stage flushes
   * by itself once it holds `maxPendingRows` flows, and before it would hold
   * more than `maxPendingDays` days, so one flush touches a bounded number of
   * days. While flushes fail (a full disk) a full stage refuses what does
   * not fit with a `STAGE_FULL` error: it never holds more than
   * `maxPendingRows` plus one batch. The store owns `batch`: it is screened
   * in place and, when it is of one day and not small, kept as it is until
   * written (`stage.ts`).
   */
  append(batch: FlowBatch): Promise<void> {
    if (batch.length === 0) return Promise.resolve();
    return this.writeLock.run(async () => {
      this.assertOpen();
      const unstorable = zeroCounts();
      if (screenTimes(batch, STORABLE, unstorable) > 0) {
        this.state.droppedRows += countsTotal(unstorable);
        this.opts.log(`dropped ${countsTotal(unstorable)} flows whose time no day partition can hold`);
      }
      let start = 0;
      while (start < batch.length) {
        let end = this.fit(batch, start);
        if (end === start) {
          let err: unknown;
          try {
            await this.flushLocked();
          } catch (e) {
            err = e;
          }
          end = this.fit(batch, start); // a failed flush may still have written some days
          if (end === start)
            // `refused`: the flows of this batch not staged (those before `start` are).
            throw Object.assign(
              new StoreError(
                `the store's stage is full (${this.staged.rows} flows of ${this.staged.dayCount} days waiting) and cannot be written: ${oneLine(err)}; ${batch.length - start} flows refused`,
                'stage_full',
              ),
              { refused: batch.length - start },
            );
        }
        this.stage(batch, start, end);
        start = end;
      }
      if (this.staged.rows >= this.opts.maxPendingRows) {
        // Failure is kept in the write state; the next append that finds the stage full refuses.
        await this.flushLocked().catch(() => undefined);
      }
    });
  }

  /** The end of the longest run of rows from `start` that the stage can take within its row and day bounds. */
  private fit(batch: FlowBatch, start: number): number {
    // A full stage takes nothing until a flush empties it; one that is not takes the batch (bound: max + a batch).
    const stop = this.staged.rows >= this.opts.maxPendingRows ? start : batch.length;
    const added = new Set<number>();
    let end = start;
    let last = Number.NaN; // flows come in runs of one day: most need no set lookup
    for (; end < stop; end++) {
      const d = dayNumber(batch.te[end]!);
      if (d === last) continue;
      last = d;
      if (this.staged.has(d) || added.has(d)) continue;
      if (this.staged.dayCount + added.size >= this.opts.maxPendingDays) break;
      added.add(d);
    }
    return end;
  }

  private stage(batch: FlowBatch, start: number, end: number): void {
    this.staged.add(batch, start, end);
    this.stageId = undefined; // new rows: the stage is no longer one caller-named batch
  }

  /**
   * Writes the stage, one Parquet file per day. With `batchId` the write is
   * idempotent: a day whose manifest already names the batch is not written
   * again (a retry, or a rerun of an import after a crash).
   */
  flush(batchId?: string): Promise<void> {
    return this.writeLock.run(() => this.flushLocked(batchId));
  }

  /** What the writer holds and what it could not write, for /healthz and /metrics. */
  writeState(): WriteState {
    return { ...this.state, stagedRows: this.staged.rows, stagedDays: this.staged.dayCount };
  }

  private async flushLocked(batchId?: string): Promise<void> {
    if (this.staged.rows === 0) return;
    if (batchId !== undefined) this.stageId = batchId;
    // A flush retried with nothing new staged keeps the id the caller gave it.
    const named = this.stageId;
    const id = named ?? `f${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
    const days = this.staged.days();
    const failed: string[] = [];
    const written: string[] = [];
    for (const d of days) {
      const day = dayOf(d * DAY_MS);
      try {
        await this.writeDay(d, id, named !== undefined);
      } catch (e) {
        const n = (this.dayFailures.get(d) ?? 0) + 1;
        this.dayFailures.set(d, n);
        if (!isResourceError(e) && n >= MAX_DAY_ATTEMPTS) {
          // Not the disk: something in the rows themselves. Drop them with the reason, once.
          const lost = this.unstage(d);
          this.state.droppedRows += lost;
          this.opts.log(`dropped ${lost} flows of ${day} after ${n} failed writes: ${oneLine(e)}`);
          continue;
        }
        failed.push(`${day}: ${oneLine(e)}`);
        continue;
      }
      this.unstage(d);
      written.push(day);
    }
    if (failed.length > 0) {
      this.state.failedFlushes++;
      this.state.lastError = `could not write ${failed.length} of ${days.length} days (${failed[0]}${failed.length > 1 ? '; ...' : ''}); ${this.staged.rows} flows stay staged for the next flush`;
      this.state.failingSince ??= Date.now();
      // `detail`: the first day's failure alone, for callers that say it their own way (an import).
      throw Object.assign(
        new StoreError(this.state.lastError, isResourceError(failed[0]) ? 'store_full' : 'store_write'),
        { detail: failed[0] },
      );
    }
    this.stageId = undefined;
    this.state.lastError = undefined;
    this.state.failingSince = undefined;
    for (const day of written) {
      // Compaction only tidies what is committed: its failure (a full disk) loses nothing.
      await compactDay(this.conn, this.flowsDir, day, this.opts).catch((e: Error) =>
        this.opts.log(`compacting ${day}: ${oneLine(e)}`),
      );
    }
  }

  /** Removes a written (or dropped) day's rows from the stage, so no retry writes them again; returns how many. */
  private unstage(d: number): number {
    this.dayFailures.delete(d);
    return this.staged.drop(d);
  }

  /**
   * The instance that writes staged days, made at the first write (a store
   * that only reads never starts it). Staged days are written by an instance
   * of their own with one thread: the rows come from this thread a chunk at
   * a time (scan.ts), and with a second DuckDB thread the query's thread
   * polled for work while the other waited for the rows, about 1 CPU s of a
   * 3 M-flow import (4.2-4.5 against 5.4-5.6 CPU s, perf stat). Reads and
   * compaction keep every thread. Its memory is a row group or two: the rows
   * are held here, not in DuckDB.
   */
  private writerFor(): Promise<{ instance: DuckDBInstance; conn: DuckDBConnection; scan: StagedScan }> {
    if (!this.writer) {
      const start = (async () => {
        const instance = await DuckDBInstance.create(':memory:', {
          threads: '1',
          memory_limit: WRITER_MEMORY,
          temp_directory: join(this.spillDir, 'writer'),
        });
        const conn = await instance.connect();
        return { instance, conn, scan: new StagedScan(conn, this.types) };
      })();
      // A failed start is tried again at the next write.
      start.catch(() => {
        if (this.writer === start) this.writer = undefined;
      });
      this.writer = start;
    }
    return this.writer;
  }

  /**
   * Writes the staged rows of day `d` as one file and lists it in the day's
   * manifest under the lock: the rename and the listing are one step for
   * every other process, and a failure at any point leaves neither a file
   * nor a listing. A day whose manifest already names the batch
   * (`checkId`) is not written again.
   */
  private async writeDay(d: number, id: string, checkId: boolean): Promise<void> {
    const day = dayOf(d * DAY_MS);
    const staged = this.staged.ordered(d);
    if (!staged || staged.rows === 0) return;
    const dir = dayDir(this.flowsDir, day);
    if (checkId && hasBatch(await readManifest(dir, day), id)) return;
    await mkdir(dir, { recursive: true });
    const name = partName();
    const tmp = tmpName(dir, name);
    const w = await this.writerFor();
    const rows = w.scan.offer(staged.batch, staged.perm);
    try {
      await w.conn.run(`COPY (SELECT * FROM ${rows.sql}) TO ${literal(tmp, 'duckdb')} (${PARQUET_OPTIONS})`);
      const size = (await stat(tmp)).size;
      const part: PartFile = {
        name,
        rows: staged.rows,
        bytes: size,
        minTe: staged.minTe,
        maxTe: staged.maxTe,
        batch: id,
      };
      await withLock(lockPath(this.flowsDir), async () => {
        const m = await readManifest(dir, day);
        if (checkId && hasBatch(m, id)) return; // another process committed it meanwhile
        await rename(tmp, join(dir, name));
        m.files.push(part);
        if (checkId) m.batches = [...(m.batches ?? []), id].slice(-MAX_BATCH_IDS);
        try {
          await writeManifest(dir, m);
        } catch (e) {
          await rm(join(dir, name), { force: true });
          throw e;
        }
      });
    } finally {
      w.scan.withdraw(rows.token);
      await rm(tmp, { force: true });
    }
  }

  protected async release(): Promise<void> {
    const w = await this.writer?.catch(() => undefined);
    w?.conn.closeSync();
    w?.instance.closeSync();
    this.conn.closeSync();
    this.instance.closeSync();
    await rm(this.spillDir, { recursive: true, force: true }).catch(() => undefined);
  }

  // ---------------------------------------------------------------- reading

  /** The files that may hold flows ending in `range`, pruned by day and by each file's time span. */
  private async filesFor(range: TimeRange): Promise<string[]> {
    const out: string[] = [];
    for (const day of await listDays(this.flowsDir)) {
      const d0 = Date.parse(`${day}T00:00:00Z`);
      if (range.to !== undefined && d0 >= range.to) continue;
      if (range.from !== undefined && d0 + DAY_MS <= range.from && d0 !== 0) continue;
      const m = await readManifest(dayDir(this.flowsDir, day), day);
      for (const f of m.files) {
        if (range.to !== undefined && f.minTe >= range.to) continue;
        if (range.from !== undefined && f.maxTe < range.from) continue;
        out.push(join(dayDir(this.flowsDir, day), f.name));
      }
    }
    return out;
  }

  private async fromFor(range: TimeRange): Promise<Sql> {
    const files = await this.filesFor(range);
    if (files.length === 0) return raw('empty_flows');
    return raw(`read_parquet([${files.map((f) => literal(f, 'duckdb')).join(', ')}])`);
  }

  async queryFlows(range: TimeRange, build: (from: Sql) => Sql): Promise<Record<string, unknown>[]> {
    this.assertOpen();
    for (let attempt = 0; ; attempt++) {
      const q = build(await this.fromFor(range));
      try {
        return await this.run(q);
      } catch (e) {
        // A compaction or retention run in another process removed a file we listed: list again.
        const msg = (e as Error).message;
        if (attempt < 3 && /No files found|No such file|cannot open file|IO Error/i.test(msg)) continue;
        throw e;
      }
    }
  }

  private async run(q: Sql): Promise<Record<string, unknown>[]> {
    const { text, values } = numbered(q);
    const reader = await this.conn.runAndReadAll(text, values as DuckDBValue[]);
    const rows = reader.getRowObjects() as Record<string, unknown>[];
    for (const r of rows) {
      for (const k of Object.keys(r)) {
        const v = r[k];
        if (
          typeof v === 'bigint' &&
          v <= BigInt(Number.MAX_SAFE_INTEGER) &&
          v >= -BigInt(Number.MAX_SAFE_INTEGER)
        ) {
          r[k] = Number(v);
        } else if (v !== null && typeof v === 'object' && 'toDouble' in (v as object)) {
          r[k] = (v as { toDouble(): number }).toDouble();
        }
      }
    }
    return rows;
  }

  async totals(q: FlowQuery): Promise<Totals> {
    return toTotals(await this.queryFlows(q, (from) => totalsQuery(from, q)));
  }

  async stat(q: FlowQuery, key: StatKey, order: StatOrder, top: number): Promise<StatRow[]> {
    return (await this.statWithTotals(q, key, order, top)).rows;
  }

  async statWithTotals(
    q: FlowQuery,
    key: StatKey,
    order: StatOrder,
    top: number,
  ): Promise<{ rows: StatRow[]; total: Totals }> {
    // No rows shown: the totals ride on the rows, so they are asked for alone.
    if (top < 1) return { rows: [], total: await this.totals(q) };
    const rows = await this.queryFlows(q, (from) => statQuery(this.dialect, from, q, key, order, top));
    if (rows.length > 0) {
      // The second pass, for the keys shown only (none shown: no pass at all).
      const keys = rows.map((r) => [big(r['k1']), big(r['k2'])] as const);
      const peers = new Map<string, number>();
      for (const p of await this.queryFlows(q, (from) => peersQuery(this.dialect, from, q, key, keys)))
        peers.set(`${big(p['k1'])}/${big(p['k2'])}`, num(p['peers']));
      for (const r of rows) r['peers'] = peers.get(`${big(r['k1'])}/${big(r['k2'])}`) ?? 0;
    }
    return { rows: toStatRows(key, rows), total: statTotals(rows) };
  }

  async list(q: FlowQuery, limit: number): Promise<FlowRecord[]> {
    const rows = await this.queryFlows(q, (from) => listQuery(from, q, limit));
    return rows.map(rowToRecord);
  }

  async days(): Promise<DayInfo[]> {
    const out: DayInfo[] = [];
    for (const day of await listDays(this.flowsDir)) {
      const m = await readManifest(dayDir(this.flowsDir, day), day);
      out.push({
        day,
        files: m.files.length,
        flows: m.files.reduce((a, f) => a + f.rows, 0),
        bytesOnDisk: m.files.reduce((a, f) => a + f.bytes, 0),
      });
    }
    return out;
  }

  // ---------------------------------------------------------------- retention (retention.ts)

  async retain(keepDays: number, now = Date.now()): Promise<string[]> {
    return dropDaysBefore(this.flowsDir, retentionCutoff(keepDays, now));
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
