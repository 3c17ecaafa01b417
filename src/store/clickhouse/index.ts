/**
 * @module The scale-out engine: ClickHouse MergeTree partitioned by day,
 * with a `Distributed` table over the cluster's shards.
 *
 * ```
 * flows_local   MergeTree on every server, one partition per UTC day
 * flows         Distributed over the cluster, sharded by source address
 * docs_local    ReplacingMergeTree of JSON documents per (kind, partition)
 * docs          Distributed over the cluster, sharded by (kind, partition)
 * ```
 * Without `?cluster=` the store is one server and uses the local tables
 * directly. The collector's batches are encoded straight from the typed
 * columns into ClickHouse's columnar `Native` format and inserted in large batches through the
 * `Distributed` table, synchronously, so a flushed row is on its shard.
 * Queries are the engine-neutral ones of `queries.ts`, rendered with inline
 * literals; only their (small) results reach Node.
 */

import { DAY_MS, dayOf, type FlowBatch } from '../../flow/batch.js';
import type { FlowRecord } from '../../flow/record.js';
import { listQuery, num, rowToRecord, toStatRows } from '../queries.js';
import { inline, literal, raw, type Sql } from '../sql.js';
import {
  type DayInfo,
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
import { Conn, type ConnOptions } from './conn.js';
import { clickhouseDialect } from './dialect.js';
import { encodeNative } from './native.js';
import { statQueryClickHouse, toTotalsClickHouse, totalsQueryClickHouse } from './queries.js';
import { ensureDistributed, migrate, tables } from './schema.js';
import { discoverNodes, type Node, onePerShard } from './topology.js';
import { type ClickHouseTarget, parseClickHouseUrl } from './url.js';

export { clickhouseDialect } from './dialect.js';
export { parseClickHouseUrl } from './url.js';

export interface ClickHouseStoreOptions {
  /** Rows buffered before `append` flushes by itself (one INSERT). */
  maxPendingRows?: number;
  /** Per request; a day's hunt on a big cluster can take minutes. */
  requestTimeoutMs?: number;
}

/** Rows per Native block: bounds one allocation, not the batch. */
const CHUNK_ROWS = 65_536;

class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

/** `YYYYMMDD` (a Date partition id) as `YYYY-MM-DD`. */
function dayOfPartitionId(id: string): string {
  return `${id.slice(0, 4)}-${id.slice(4, 6)}-${id.slice(6, 8)}`;
}

export class ClickHouseFlowStore implements FlowStore {
  readonly engine = 'clickhouse' as const;
  readonly dialect = clickhouseDialect;
  readonly location: string;
  readonly database: string;
  readonly cluster: string | undefined;
  /** `version()` of the entry node, e.g. `18.16.1`. */
  serverVersion = '';
  private readonly t: ReturnType<typeof tables>;
  private readonly maxPendingRows: number;
  private nodes: Node[] = [];
  private pending: Buffer[] = [];
  private pendingRows = 0;
  private docVersion = 0;
  private readonly writeLock = new Mutex();
  private closed = false;

  private constructor(
    target: ClickHouseTarget,
    private readonly entry: Conn,
    opts: ClickHouseStoreOptions,
  ) {
    this.location = target.display;
    this.database = target.database;
    this.cluster = target.cluster;
    this.t = tables(target.database);
    this.maxPendingRows = opts.maxPendingRows ?? 1_000_000;
  }

  static async open(url: string, opts: ClickHouseStoreOptions = {}): Promise<ClickHouseFlowStore> {
    const target = parseClickHouseUrl(url);
    const connOpts: ConnOptions = {
      username: target.username,
      password: target.password,
      requestTimeoutMs: opts.requestTimeoutMs ?? 600_000,
    };
    const entry = new Conn(target.entry, connOpts);
    const s = new ClickHouseFlowStore(target, entry, opts);
    try {
      const v = await entry.rows('SELECT version() AS v');
      s.serverVersion = String(v[0]?.['v'] ?? '');
      s.nodes = await discoverNodes(entry, target, connOpts);
      for (const n of s.nodes) await migrate(n.conn, target.database);
      if (!s.nodes.some((n) => n.conn === entry)) await migrate(entry, target.database);
      if (target.cluster) {
        for (const n of s.nodes) await ensureDistributed(n.conn, target.database, target.cluster);
        if (!s.nodes.some((n) => n.conn === entry))
          await ensureDistributed(entry, target.database, target.cluster);
      }
    } catch (e) {
      await s.closeConns();
      throw e;
    }
    return s;
  }

  /** The relation flows are read from and written to. */
  private get flowsTable(): string {
    return this.cluster ? this.t.flows : this.t.flowsLocal;
  }

  private get docsTable(): string {
    return this.cluster ? this.t.docs : this.t.docsLocal;
  }

  /** Every server with its shard and replica number, for diagnostics. */
  get servers(): { url: string; shard: number; replica: number }[] {
    return this.nodes.map((n) => ({ url: n.conn.url, shard: n.shard, replica: n.replica }));
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreError('the store is closed', 'STORE_CLOSED');
  }

  // ---------------------------------------------------------------- writing

  append(batch: FlowBatch): Promise<void> {
    if (batch.length === 0) return Promise.resolve();
    return this.writeLock.run(async () => {
      this.assertOpen();
      for (let s = 0; s < batch.length; s += CHUNK_ROWS) {
        this.pending.push(encodeNative(batch, s, Math.min(batch.length, s + CHUNK_ROWS)));
      }
      this.pendingRows += batch.length;
      if (this.pendingRows >= this.maxPendingRows) await this.flushLocked();
    });
  }

  flush(): Promise<void> {
    return this.writeLock.run(() => this.flushLocked());
  }

  private async flushLocked(): Promise<void> {
    if (this.pendingRows === 0) return;
    // A failed insert keeps the rows for the next flush (at least once, like the embedded engine).
    await this.entry.insertNative(this.flowsTable, this.pending);
    this.pending = [];
    this.pendingRows = 0;
  }

  private async closeConns(): Promise<void> {
    const conns = new Set<Conn>([this.entry, ...this.nodes.map((n) => n.conn)]);
    for (const c of conns) await c.close();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.flush();
    } finally {
      this.closed = true;
      await this.closeConns();
    }
  }

  // ---------------------------------------------------------------- reading

  private run(q: Sql): Promise<Record<string, unknown>[]> {
    return this.entry.rows(inline(q, 'clickhouse'));
  }

  /**
   * The time range prunes through the query's own `te` conditions: the
   * partition key's min/max index skips other days' parts and the primary
   * key (`te` first) skips granules inside a day.
   */
  async queryFlows(_range: TimeRange, build: (from: Sql) => Sql): Promise<Record<string, unknown>[]> {
    this.assertOpen();
    return this.run(build(raw(this.flowsTable)));
  }

  async totals(q: FlowQuery): Promise<Totals> {
    return toTotalsClickHouse(await this.queryFlows(q, (from) => totalsQueryClickHouse(from, q)));
  }

  async stat(q: FlowQuery, key: StatKey, order: StatOrder, top: number): Promise<StatRow[]> {
    const rows = await this.queryFlows(q, (from) => statQueryClickHouse(from, q, key, order, top));
    return toStatRows(key, rows);
  }

  async list(q: FlowQuery, limit: number): Promise<FlowRecord[]> {
    const rows = await this.queryFlows(q, (from) => listQuery(from, q, limit));
    return rows.map(rowToRecord);
  }

  /** Per day from the shards' part lists (exact row counts, no scan); `files` counts parts. */
  async days(): Promise<DayInfo[]> {
    this.assertOpen();
    const byDay = new Map<string, DayInfo>();
    for (const n of onePerShard(this.nodes)) {
      const rows = await n.conn.rows(
        `SELECT partition_id AS id, sum(rows) AS flows, count() AS parts, sum(bytes_on_disk) AS bytes FROM system.parts WHERE database = ${literal(this.database)} AND table = 'flows_local' AND active GROUP BY partition_id`,
      );
      for (const r of rows) {
        const day = dayOfPartitionId(String(r['id']));
        const cur = byDay.get(day) ?? { day, flows: 0, files: 0, bytesOnDisk: 0 };
        cur.flows += num(r['flows']);
        cur.files += num(r['parts']);
        cur.bytesOnDisk += num(r['bytes']);
        byDay.set(day, cur);
      }
    }
    return [...byDay.values()].sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
  }

  /** Drops whole days on every server (each replica holds its own copy of its shard's parts). */
  async retain(keepDays: number, now = Date.now()): Promise<string[]> {
    this.assertOpen();
    if (!Number.isInteger(keepDays) || keepDays < 1)
      throw new StoreError('retention must be at least 1 day', 'BAD_RETENTION');
    const cutoff = dayOf(Math.floor(now / DAY_MS) * DAY_MS - (keepDays - 1) * DAY_MS).replace(/-/g, '');
    const dropped = new Set<string>();
    for (const n of this.nodes) {
      const rows = await n.conn.rows(
        `SELECT DISTINCT partition_id AS id FROM system.parts WHERE database = ${literal(this.database)} AND table = 'flows_local' AND active AND partition_id < ${literal(cutoff)} ORDER BY id`,
      );
      for (const r of rows) {
        const id = String(r['id']);
        await n.conn.command(`ALTER TABLE ${this.t.flowsLocal} DROP PARTITION ID ${literal(id)}`);
        dropped.add(dayOfPartitionId(id));
      }
    }
    return [...dropped].sort();
  }

  // ---------------------------------------------------------------- documents

  /**
   * One row holds a partition's whole document set, so replacing it is one
   * row insert: readers take the newest version (argMax), merges drop the rest.
   */
  async putDocs(kind: DocKind, partition: string, docs: readonly unknown[]): Promise<void> {
    this.assertOpen();
    if (!PARTITION_RE.test(partition))
      throw new StoreError(`bad partition name ${JSON.stringify(partition)}`, 'BAD_PARTITION');
    // Microseconds-ish and increasing within a process; two writers in the same millisecond pick at random.
    const v = Math.max(Date.now() * 1000 + Math.floor(Math.random() * 1000), this.docVersion + 1);
    this.docVersion = v;
    const body = docs.map((d) => JSON.stringify(d)).join('\n');
    await this.entry.insertJson(this.docsTable, [{ kind, part: partition, version: v, body }]);
  }

  async getDocs<T = unknown>(
    kind: DocKind,
    range: { from?: string; to?: string } = {},
  ): Promise<DocPartition<T>[]> {
    this.assertOpen();
    const conds = [`kind = ${literal(kind)}`];
    if (range.from !== undefined) conds.push(`part >= ${literal(range.from)}`);
    if (range.to !== undefined) conds.push(`part <= ${literal(range.to)}`);
    const rows = await this.entry.rows(
      `SELECT part, argMax(body, version) AS body FROM ${this.docsTable} WHERE ${conds.join(' AND ')} GROUP BY part ORDER BY part`,
    );
    return rows.map((r) => {
      const body = String(r['body'] ?? '');
      return {
        partition: String(r['part']),
        docs: body === '' ? [] : body.split('\n').map((l) => JSON.parse(l) as T),
      };
    });
  }

  async lastPartition(kind: DocKind): Promise<string | undefined> {
    this.assertOpen();
    const rows = await this.entry.rows(
      `SELECT part FROM ${this.docsTable} WHERE kind = ${literal(kind)} ORDER BY part DESC LIMIT 1`,
    );
    return rows.length ? String(rows[0]!['part']) : undefined;
  }
}
