/**
 * @module The embedded engine: DuckDB over Parquet files partitioned by day.
 *
 * Layout under the data directory:
 * ```
 * flows/day=2026-11-20/manifest.json      the files that make up the day
 * flows/day=2026-11-20/part-<t>-<id>.parquet
 * flows/.lock                              held while a manifest is swapped
 * ```
 * Writes go to an in-memory staging table, then out as one Parquet file per
 * day touched (written under a temporary name, renamed, then added to the
 * day's manifest). Reads list the manifests of the days a query covers and
 * let DuckDB push the time range and filters down into the files' row-group
 * statistics. No server, and any number of reading processes.
 */

import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  type DuckDBAppender,
  type DuckDBConnection,
  DuckDBInstance,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import { DAY_MS, dayOf, type FlowBatch } from '../../flow/batch.js';
import type { FlowRecord } from '../../flow/record.js';
import { sqlType, storageColumns } from '../../flow/schema.js';
import { listQuery, num, rowToRecord, statQuery, toStatRows, toTotals, totalsQuery } from '../queries.js';
import { literal, numbered, orderItems, raw, type Sql, sql, join as sqlJoin } from '../sql.js';
import {
  type DayInfo,
  type Dialect,
  type DocKind,
  type DocPartition,
  type FlowQuery,
  type FlowStore,
  PARTITION_RE,
  type StatKey,
  type StatOrder,
  type StatRow,
  StoreError,
  type TimeRange,
  type Totals,
} from '../types.js';
import { appendBatch } from './chunk.js';
import { withLock } from './lock.js';
import { type Manifest, type PartFile, readManifest, writeManifest } from './manifest.js';

export interface DuckStoreOptions {
  /** Rows buffered before `append` flushes by itself. */
  maxPendingRows?: number;
  /** A day is compacted when it has this many files smaller than {@link smallFileBytes}. */
  compactAfterFiles?: number;
  smallFileBytes?: number;
  /** How long a file replaced by compaction stays for readers that still list it. */
  retireGraceMs?: number;
  /** DuckDB threads (default: all cores). */
  threads?: number;
  memoryLimit?: string;
}

export const duckDialect: Dialect = {
  engine: 'duckdb',
  withTables: (tables, body) => {
    const defs = sqlJoin(
      tables.map(([name, def]) => sql`${raw(name)} AS MATERIALIZED (${def})`),
      ', ',
    );
    return sql`WITH ${defs} ${body((name) => raw(name))}`;
  },
  approxDistinct: (expr) => `approx_count_distinct(${expr})`,
  inTuples: (cols, tuples) => {
    if (tuples.length === 0) return raw('1 = 0');
    const names = cols.map((_, i) => `c${i}`).join(', ');
    const rows = sqlJoin(
      tuples.map(
        (t) =>
          sql`(${sqlJoin(
            t.map((v) => sql`${v}`),
            ', ',
          )})`,
      ),
      ', ',
    );
    return sql`(${raw(cols.join(', '))}) IN (SELECT ${raw(names)} FROM (VALUES ${rows}) AS t(${raw(names)}))`;
  },
  topPerGroup: (inner, partition, order, n, columns) => {
    const p = partition.join(', ');
    if (columns) {
      // One aggregate per group: the n rows with the greatest key, the key a
      // struct compared field by field (an ascending column negated), instead
      // of a window sort over every row of every group.
      const key = orderItems(order)
        .map(({ col, desc }, i) => `k${i} := ${desc ? col : `-(${col}::HUGEINT)`}`)
        .join(', ');
      const row = columns.map((c) => `${c} := ${c}`).join(', ');
      const picks = columns.map((c) => `x.${c} AS ${c}`).join(', ');
      return sql`SELECT ${raw(p)}, group_rows, ${raw(picks)} FROM (SELECT ${raw(p)}, count(*) AS group_rows, unnest(max_by(struct_pack(${raw(row)}), struct_pack(${raw(key)}), ${raw(String(n))})) AS x FROM (${inner}) AS g GROUP BY ${raw(p)}) AS t`;
    }
    return sql`SELECT *, count(*) OVER (PARTITION BY ${raw(p)}) AS group_rows FROM (${inner}) AS g QUALIFY row_number() OVER (PARTITION BY ${raw(p)} ORDER BY ${raw(order)}) <= ${n}`;
  },
  countDistinct: (exprs) =>
    exprs.length === 1 ? `count(DISTINCT ${exprs[0]})` : `count(DISTINCT (${exprs.join(', ')}))`,
  bitAnd: (column, value) => sql`(${raw(column)} & ${value})`,
};

const DAY_DIR = /^day=(\d{4}-\d{2}-\d{2})$/;

/** Serialises async work on one connection (DuckDB runs one statement at a time per connection anyway). */
class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

export class DuckFlowStore implements FlowStore {
  readonly engine = 'duckdb' as const;
  readonly dialect = duckDialect;
  readonly location: string;
  readonly flowsDir: string;
  private readonly opts: Required<Omit<DuckStoreOptions, 'threads' | 'memoryLimit'>>;
  private conn!: DuckDBConnection;
  private instance!: DuckDBInstance;
  private appender: DuckDBAppender | null = null;
  private types: DuckDBType[] = [];
  private pendingRows = 0;
  private pendingDays = new Set<number>();
  private readonly writeLock = new Mutex();
  private closed = false;

  private constructor(
    readonly dir: string,
    opts: DuckStoreOptions,
  ) {
    this.location = `duckdb:${dir}`;
    this.flowsDir = join(dir, 'flows');
    this.opts = {
      maxPendingRows: opts.maxPendingRows ?? 2_000_000,
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
    try {
      await mkdir(this.flowsDir, { recursive: true });
    } catch (e) {
      throw new StoreError(`cannot create data directory ${this.dir}: ${(e as Error).message}`, 'STORE_DIR');
    }
    const config: Record<string, string> = {};
    if (opts.threads) config['threads'] = String(opts.threads);
    if (opts.memoryLimit) config['memory_limit'] = opts.memoryLimit;
    this.instance = await DuckDBInstance.create(':memory:', config);
    this.conn = await this.instance.connect();
    const cols = storageColumns()
      .map((c) => `${c.name} ${sqlType(c.def.kind, 'duckdb')}`)
      .join(', ');
    await this.conn.run(`CREATE TABLE stage (${cols})`);
    await this.conn.run(`CREATE TABLE empty_flows (${cols})`);
    const r = await this.conn.runAndReadAll('SELECT * FROM stage LIMIT 0');
    this.types = r.columnTypes();
  }

  // ---------------------------------------------------------------- writing

  append(batch: FlowBatch): Promise<void> {
    if (batch.length === 0) return Promise.resolve();
    return this.writeLock.run(async () => {
      this.assertOpen();
      if (!this.appender) this.appender = await this.conn.createAppender('stage');
      appendBatch(this.appender, this.types, batch);
      this.pendingRows += batch.length;
      let last = Number.NaN;
      for (let i = 0; i < batch.length; i++) {
        const d = Math.floor(batch.te[i]! / DAY_MS);
        if (d !== last) {
          this.pendingDays.add(d);
          last = d;
        }
      }
      if (this.pendingRows >= this.opts.maxPendingRows) await this.flushLocked();
    });
  }

  flush(): Promise<void> {
    return this.writeLock.run(() => this.flushLocked());
  }

  private async flushLocked(): Promise<void> {
    if (this.appender) {
      this.appender.closeSync();
      this.appender = null;
    }
    if (this.pendingRows === 0) return;
    const days = [...this.pendingDays].sort((a, b) => a - b);
    for (const d of days) await this.writeDay(d);
    await this.conn.run('DELETE FROM stage');
    this.pendingRows = 0;
    this.pendingDays.clear();
    for (const d of days) await this.maybeCompact(dayOf(d * DAY_MS));
  }

  private dayDir(day: string): string {
    return join(this.flowsDir, `day=${day}`);
  }

  private async writeDay(d: number): Promise<void> {
    const day = dayOf(d * DAY_MS);
    const lo = d * DAY_MS;
    const hi = lo + DAY_MS;
    // Flows with a negative or absurd end time still belong to some day: clamp into the 1970 partition.
    const cond = d === 0 ? `te < ${hi}` : `te >= ${lo} AND te < ${hi}`;
    const stats = (
      await this.conn.runAndReadAll(`SELECT count(*) n, min(te) a, max(te) b FROM stage WHERE ${cond}`)
    ).getRowObjects()[0]!;
    const rows = num(stats['n']);
    if (rows === 0) return;
    const dir = this.dayDir(day);
    await mkdir(dir, { recursive: true });
    const name = `part-${Date.now()}-${randomBytes(4).toString('hex')}.parquet`;
    const tmp = join(dir, `.${name}.tmp`);
    await this.conn.run(
      `COPY (SELECT * FROM stage WHERE ${cond} ORDER BY te) TO ${literal(tmp, 'duckdb')} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)`,
    );
    const size = (await stat(tmp)).size;
    await rename(tmp, join(dir, name));
    const part: PartFile = { name, rows, bytes: size, minTe: num(stats['a']), maxTe: num(stats['b']) };
    await withLock(join(this.flowsDir, '.lock'), async () => {
      const m = await readManifest(dir, day);
      m.files.push(part);
      await writeManifest(dir, m);
    });
  }

  /** Merges a day's small files into one, so a busy day does not become thousands of files. */
  private async maybeCompact(day: string): Promise<void> {
    const dir = this.dayDir(day);
    const m = await readManifest(dir, day);
    const small = m.files.filter((f) => f.bytes < this.opts.smallFileBytes);
    if (small.length < this.opts.compactAfterFiles) {
      await this.sweepRetired(dir, m);
      return;
    }
    const name = `part-${Date.now()}-${randomBytes(4).toString('hex')}.parquet`;
    const tmp = join(dir, `.${name}.tmp`);
    const list = small.map((f) => literal(join(dir, f.name), 'duckdb')).join(', ');
    await this.conn.run(
      `COPY (SELECT * FROM read_parquet([${list}]) ORDER BY te) TO ${literal(tmp, 'duckdb')} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)`,
    );
    const size = (await stat(tmp)).size;
    await rename(tmp, join(dir, name));
    const merged: PartFile = {
      name,
      rows: small.reduce((a, f) => a + f.rows, 0),
      bytes: size,
      minTe: Math.min(...small.map((f) => f.minTe)),
      maxTe: Math.max(...small.map((f) => f.maxTe)),
    };
    await withLock(join(this.flowsDir, '.lock'), async () => {
      const cur = await readManifest(dir, day);
      const gone = new Set(small.map((f) => f.name));
      // Only files still listed can be replaced (another process may have retired them meanwhile).
      if (!small.every((f) => cur.files.some((c) => c.name === f.name))) {
        await rm(join(dir, name), { force: true });
        return;
      }
      cur.files = cur.files.filter((f) => !gone.has(f.name));
      cur.files.push(merged);
      const now = Date.now();
      for (const f of small) cur.retired.push({ name: f.name, at: now });
      await writeManifest(dir, cur);
    });
    await this.sweepRetired(dir, await readManifest(dir, day));
  }

  private async sweepRetired(dir: string, m: Manifest): Promise<void> {
    const now = Date.now();
    const due = m.retired.filter((r) => now - r.at >= this.opts.retireGraceMs);
    if (due.length === 0) return;
    await withLock(join(this.flowsDir, '.lock'), async () => {
      const cur = await readManifest(dir, m.day);
      const keep: Manifest['retired'] = [];
      for (const r of cur.retired) {
        if (now - r.at >= this.opts.retireGraceMs) await rm(join(dir, r.name), { force: true });
        else keep.push(r);
      }
      cur.retired = keep;
      await writeManifest(dir, cur);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
    this.conn.closeSync();
    this.instance.closeSync();
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreError('the store is closed', 'STORE_CLOSED');
  }

  // ---------------------------------------------------------------- reading

  private async listDays(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.flowsDir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    return names
      .map((n) => DAY_DIR.exec(n)?.[1])
      .filter((d): d is string => d !== undefined)
      .sort();
  }

  /** The files that may hold flows ending in `range`, pruned by day and by each file's time span. */
  private async filesFor(range: TimeRange): Promise<string[]> {
    const out: string[] = [];
    for (const day of await this.listDays()) {
      const d0 = Date.parse(`${day}T00:00:00Z`);
      if (range.to !== undefined && d0 >= range.to) continue;
      if (range.from !== undefined && d0 + DAY_MS <= range.from && d0 !== 0) continue;
      const m = await readManifest(this.dayDir(day), day);
      for (const f of m.files) {
        if (range.to !== undefined && f.minTe >= range.to) continue;
        if (range.from !== undefined && f.maxTe < range.from) continue;
        out.push(join(this.dayDir(day), f.name));
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
    const rows = await this.queryFlows(q, (from) => statQuery(this.dialect, from, q, key, order, top));
    return toStatRows(key, rows);
  }

  async list(q: FlowQuery, limit: number): Promise<FlowRecord[]> {
    const rows = await this.queryFlows(q, (from) => listQuery(from, q, limit));
    return rows.map(rowToRecord);
  }

  async days(): Promise<DayInfo[]> {
    const out: DayInfo[] = [];
    for (const day of await this.listDays()) {
      const m = await readManifest(this.dayDir(day), day);
      out.push({
        day,
        files: m.files.length,
        flows: m.files.reduce((a, f) => a + f.rows, 0),
        bytesOnDisk: m.files.reduce((a, f) => a + f.bytes, 0),
      });
    }
    return out;
  }

  // ---------------------------------------------------------------- documents

  private docDir(kind: DocKind): string {
    return join(this.dir, 'docs', kind);
  }

  async putDocs(kind: DocKind, partition: string, docs: readonly unknown[]): Promise<void> {
    this.assertOpen();
    if (!PARTITION_RE.test(partition))
      throw new StoreError(`bad partition name ${JSON.stringify(partition)}`, 'BAD_PARTITION');
    const dir = this.docDir(kind);
    await mkdir(dir, { recursive: true });
    const tmp = join(dir, `.${partition}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    await writeFile(tmp, `${docs.map((d) => JSON.stringify(d)).join('\n')}\n`);
    await rename(tmp, join(dir, `${partition}.jsonl`));
  }

  async getDocs<T = unknown>(
    kind: DocKind,
    range: { from?: string; to?: string } = {},
  ): Promise<DocPartition<T>[]> {
    const out: DocPartition<T>[] = [];
    for (const partition of await this.partitions(kind)) {
      if (range.from !== undefined && partition < range.from) continue;
      if (range.to !== undefined && partition > range.to) continue;
      const text = await readFile(join(this.docDir(kind), `${partition}.jsonl`), 'utf8').catch(
        (e: NodeJS.ErrnoException) => {
          if (e.code === 'ENOENT') return '';
          throw e;
        },
      );
      const docs = text
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as T);
      out.push({ partition, docs });
    }
    return out;
  }

  async lastPartition(kind: DocKind): Promise<string | undefined> {
    return (await this.partitions(kind)).at(-1);
  }

  private async partitions(kind: DocKind): Promise<string[]> {
    const names = await readdir(this.docDir(kind)).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return [] as string[];
      throw e;
    });
    return names
      .filter((n) => n.endsWith('.jsonl') && !n.startsWith('.'))
      .map((n) => n.slice(0, -'.jsonl'.length))
      .sort();
  }

  async retain(keepDays: number, now = Date.now()): Promise<string[]> {
    if (!Number.isInteger(keepDays) || keepDays < 1)
      throw new StoreError('retention must be at least 1 day', 'BAD_RETENTION');
    const cutoff = dayOf(Math.floor(now / DAY_MS) * DAY_MS - (keepDays - 1) * DAY_MS);
    const dropped: string[] = [];
    for (const day of await this.listDays()) {
      if (day >= cutoff) continue;
      await withLock(join(this.flowsDir, '.lock'), async () => {
        // Rename first so readers stop listing the day at once, then delete at leisure.
        const trash = join(this.flowsDir, `.trash-${day}-${randomBytes(4).toString('hex')}`);
        await rename(this.dayDir(day), trash);
        await rm(trash, { recursive: true, force: true });
      });
      dropped.push(day);
    }
    return dropped;
  }
}
