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
 * directly. A cluster with several replicas per shard gets replicated local
 * tables (`ReplicatedMergeTree` over ZooKeeper, see `topology.ts`). The
 * collector's batches are encoded straight from the typed columns into
 * ClickHouse's columnar `Native` format and inserted in large batches through
 * the `Distributed` table, synchronously, so a flushed row is on its shard.
 * A failed insert is retried as the same bytes, alone: replicas drop blocks
 * they already hold, so on a replicated layout the retry writes nothing twice.
 * Queries are the engine-neutral ones of `queries.ts`, rendered with inline
 * literals; only their (small) results reach Node.
 *
 * This file is the store itself (buffering, inserting, reading); beside it,
 * split as the DuckDB folder is: `documents.ts`, `retention.ts`, `schema.ts`
 * (tables and migrations), `topology.ts` (servers, shards, replicas),
 * `native.ts` (batches into the Native format), `conn.ts`, `queries.ts`,
 * `dialect.ts`, `url.ts`. Compaction is the server's own (MergeTree merges),
 * so there is no file for it here.
 */

import type { FlowBatch } from '../../flow/batch.js';
import type { FlowRecord } from '../../flow/record.js';
import { EngineStore } from '../engine.js';
import { Mutex } from '../mutex.js';
import { retentionCutoff } from '../partitions.js';
import { listQuery, num, rowToRecord, toStatRows, toTotals, totalsQuery } from '../queries.js';
import { inline, literal, raw, type Sql } from '../sql.js';
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
} from '../types.js';
import { Conn, type ConnOptions } from './conn.js';
import { clickhouseDialect } from './dialect.js';
import { ClickHouseDocs } from './documents.js';
import { encodeNative } from './native.js';
import { statQueryClickHouse } from './queries.js';
import { dropDaysBefore } from './retention.js';
import { dayOfPartitionId, ensureDistributed, migrate, tables } from './schema.js';
import { discoverNodes, type Layout, type Node, perShard } from './topology.js';
import { type ClickHouseTarget, parseClickHouseUrl } from './url.js';

export { clickhouseDialect } from './dialect.js';
export { parseClickHouseUrl } from './url.js';

export interface ClickHouseStoreOptions {
  /** Rows buffered before `append` flushes by itself (one INSERT). */
  maxPendingRows?: number;
  /** Per request; a day's hunt on a big cluster can take minutes. */
  requestTimeoutMs?: number;
  /** Create the database when missing (default); a read passes false and gets `no_store` for a missing database. */
  create?: boolean;
}

/** Rows per Native block: bounds one allocation, not the batch. */
const CHUNK_ROWS = 65_536;

/** How often a server that did not answer at open is tried again (on the next write or read after it). */
export const REVIVE_MS = 10_000;

export class ClickHouseFlowStore extends EngineStore implements FlowStore {
  readonly engine = 'clickhouse' as const;
  readonly dialect = clickhouseDialect;
  readonly location: string;
  readonly database: string;
  readonly cluster: string | undefined;
  /** `single` server, `sharded` (one replica per shard) or `replicated` (ReplicatedMergeTree). */
  layout: Layout = 'single';
  /** Servers of a replicated cluster that did not answer at open (their shards' other replicas serve). */
  unreachable: string[] = [];
  /** `version()` of the entry node, e.g. `18.16.1`. */
  serverVersion = '';
  private readonly t: ReturnType<typeof tables>;
  private readonly maxPendingRows: number;
  private nodes: Node[] = [];
  private pending: Buffer[] = [];
  /** Rows held: in `pending` and in `failed`. */
  private pendingRows = 0;
  /**
   * Inserts that failed, oldest first, each as its exact blocks. Resent as
   * they were (never merged with newer rows): the server cuts the same bytes
   * into the same blocks, whose checksums replicated tables remember.
   */
  private failed: { blocks: Buffer[]; rows: number }[] = [];
  private readonly writeLock = new Mutex();
  protected readonly docs: ClickHouseDocs;
  /** Which server takes the entry's requests: 0 is the entry, then the others (replicated only). */
  private front = 0;
  private readonly connOpts: ConnOptions;
  /** When the servers of {@link unreachable} are tried next. */
  private nextRevival = 0;
  /** Servers whose schema failed for another reason than being down, said once each. */
  private readonly toldRevival = new Set<string>();

  private constructor(
    target: ClickHouseTarget,
    private readonly entry: Conn,
    opts: ClickHouseStoreOptions,
    connOpts: ConnOptions,
  ) {
    super();
    this.connOpts = connOpts;
    this.location = target.display;
    this.database = target.database;
    this.cluster = target.cluster;
    this.t = tables(target.database);
    this.maxPendingRows = opts.maxPendingRows ?? 1_000_000;
    this.docs = new ClickHouseDocs(
      (fn) => this.viaEntry(fn),
      this.cluster ? this.t.docs : this.t.docsLocal,
      () => this.assertOpen(),
    );
  }

  static async open(url: string, opts: ClickHouseStoreOptions = {}): Promise<ClickHouseFlowStore> {
    const target = parseClickHouseUrl(url);
    const connOpts: ConnOptions = {
      username: target.username,
      password: target.password,
      requestTimeoutMs: opts.requestTimeoutMs ?? 600_000,
    };
    const entry = new Conn(target.entry, connOpts);
    const s = new ClickHouseFlowStore(target, entry, opts, connOpts);
    try {
      const v = await entry.rows('SELECT version() AS v');
      s.serverVersion = String(v[0]?.['v'] ?? '');
      if (opts.create === false) {
        // The database name is an identifier (checked by the URL parser), so it can be quoted as is.
        const t = await entry.rows(
          `SELECT count() AS n FROM system.databases WHERE name = '${target.database}'`,
        );
        if (Number(t[0]?.['n'] ?? 0) === 0)
          throw new StoreError(
            `ClickHouse database ${target.database} does not exist at ${target.display} (nothing was imported or collected there; check --store)`,
            'no_store',
          );
      }
      const topo = await discoverNodes(entry, target, connOpts);
      s.nodes = topo.nodes;
      s.layout = topo.layout;
      s.unreachable = topo.unreachable;
      for (const u of topo.unreachable)
        process.stderr.write(
          `flowhunt: ClickHouse server ${u} does not answer; its shard's other replica serves (its schema is put in place when it answers)\n`,
        );
      const replicated = topo.layout === 'replicated';
      for (const n of s.nodes) await migrate(n.conn, target.database, replicated);
      if (!s.nodes.some((n) => n.conn === entry)) await migrate(entry, target.database, replicated);
      if (target.cluster) {
        for (const n of s.nodes) await ensureDistributed(n.conn, target.database, target.cluster);
        if (!s.nodes.some((n) => n.conn === entry))
          await ensureDistributed(entry, target.database, target.cluster);
      }
    } catch (e) {
      await s.release();
      throw e;
    }
    return s;
  }

  /** The relation flows are read from and written to. */
  private get flowsTable(): string {
    return this.cluster ? this.t.flows : this.t.flowsLocal;
  }

  /** Every server with its shard and replica number, for diagnostics. */
  get servers(): { url: string; shard: number; replica: number }[] {
    return this.nodes.map((n) => ({ url: n.conn.url, shard: n.shard, replica: n.replica }));
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

  /**
   * Failed inserts first, each resent alone, then what is new. A failed
   * insert keeps its rows: on a replicated layout its retry stores each row
   * once (the shards' replicas skip the blocks that did land, by checksum);
   * unreplicated, what did land is written again (at least once, like the
   * embedded engine).
   */
  private async flushLocked(): Promise<void> {
    await this.reviveReturned();
    while (this.failed.length > 0) {
      const f = this.failed[0]!;
      await this.viaEntry((c) => c.insertNative(this.flowsTable, f.blocks));
      this.failed.shift();
      this.pendingRows -= f.rows;
    }
    if (this.pending.length === 0) return;
    const f = { blocks: this.pending, rows: this.pendingRows };
    this.pending = [];
    try {
      await this.viaEntry((c) => c.insertNative(this.flowsTable, f.blocks));
    } catch (e) {
      this.failed.push(f);
      throw e;
    }
    this.pendingRows -= f.rows;
  }

  /**
   * A replica that was down when the store opened has no tables of this
   * database if it is new (the Distributed table would fail on it once it
   * answers again). Tried again at most every {@link REVIVE_MS}: once it
   * answers it gets the schema, and its ReplicatedMergeTree fetches the
   * shard's parts from its peer. Its retention and the failover of the
   * entry's requests keep to the servers found at open.
   */
  private async reviveReturned(): Promise<void> {
    if (this.unreachable.length === 0 || Date.now() < this.nextRevival) return;
    this.nextRevival = Date.now() + REVIVE_MS;
    for (const url of [...this.unreachable]) {
      // A short timeout: a server that hangs instead of refusing must not stall the write or read.
      const c = new Conn(url, { ...this.connOpts, requestTimeoutMs: 10_000 });
      try {
        await migrate(c, this.database, this.layout === 'replicated');
        if (this.cluster) await ensureDistributed(c, this.database, this.cluster);
        this.unreachable = this.unreachable.filter((u) => u !== url);
        process.stderr.write(
          `flowhunt: ClickHouse server ${url} answers again: its tables are in place, it fetches what it missed from its shard's other replica\n`,
        );
      } catch (e) {
        if ((e as StoreError).code !== 'store_unreachable' && !this.toldRevival.has(url)) {
          this.toldRevival.add(url);
          process.stderr.write(
            `flowhunt: ClickHouse server ${url} answers again but its schema could not be put in place (tried again every ${REVIVE_MS / 1000} s): ${(e as Error).message}\n`,
          );
        }
      } finally {
        await c.close();
      }
    }
  }

  protected async release(): Promise<void> {
    const conns = new Set<Conn>([this.entry, ...this.nodes.map((n) => n.conn)]);
    for (const c of conns) await c.close();
  }

  // ---------------------------------------------------------------- reading

  private run(q: Sql): Promise<Record<string, unknown>[]> {
    return this.viaEntry((c) => c.rows(inline(q, 'clickhouse')));
  }

  /**
   * The time range prunes through the query's own `te` conditions: the
   * partition key's min/max index skips other days' parts and the primary
   * key (`te` first) skips granules inside a day.
   */
  async queryFlows(_range: TimeRange, build: (from: Sql) => Sql): Promise<Record<string, unknown>[]> {
    this.assertOpen();
    await this.reviveReturned();
    return this.run(build(raw(this.flowsTable)));
  }

  async totals(q: FlowQuery): Promise<Totals> {
    return toTotals(await this.queryFlows(q, (from) => totalsQuery(from, q)));
  }

  async statWithTotals(
    q: FlowQuery,
    key: StatKey,
    order: StatOrder,
    top: number,
  ): Promise<{ rows: StatRow[]; total: Totals }> {
    const [rows, total] = await Promise.all([this.stat(q, key, order, top), this.totals(q)]);
    return { rows, total };
  }

  async stat(q: FlowQuery, key: StatKey, order: StatOrder, top: number): Promise<StatRow[]> {
    const rows = await this.queryFlows(q, (from) => statQueryClickHouse(from, q, key, order, top));
    return toStatRows(key, rows);
  }

  async list(q: FlowQuery, limit: number): Promise<FlowRecord[]> {
    const rows = await this.queryFlows(q, (from) => listQuery(from, q, limit));
    return rows.map(rowToRecord);
  }

  /**
   * A request to the entry node. On a replicated layout every server has the
   * `Distributed` tables and every shard another replica, so when the entry
   * (or the server standing in for it) cannot be reached the next server
   * takes the request, and keeps the role until it fails in turn. A resent
   * insert is safe there: the replicas skip the blocks they already hold.
   */
  private async viaEntry<T>(fn: (c: Conn) => Promise<T>): Promise<T> {
    const conns =
      this.layout === 'replicated'
        ? [this.entry, ...this.nodes.map((n) => n.conn).filter((c) => c !== this.entry)]
        : [this.entry];
    for (let tried = 1; ; tried++) {
      const i = this.front % conns.length;
      try {
        return await fn(conns[i]!);
      } catch (e) {
        if (tried >= conns.length || (e as StoreError).code !== 'store_unreachable') throw e;
        if (this.front % conns.length === i) this.front = i + 1;
      }
    }
  }

  /** Per day from the shards' part lists (exact row counts, no scan); `files` counts parts. */
  async days(): Promise<DayInfo[]> {
    this.assertOpen();
    const byDay = new Map<string, DayInfo>();
    const shards = await perShard(
      this.nodes,
      `SELECT partition_id AS id, sum(rows) AS flows, count() AS parts, sum(bytes_on_disk) AS bytes FROM system.parts WHERE database = ${literal(this.database)} AND table = 'flows_local' AND active GROUP BY partition_id`,
    );
    for (const { rows } of shards) {
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

  /**
   * Drops whole days. Unreplicated, on every server (each holds its own
   * parts); replicated, on one live replica per shard (retention.ts).
   */
  async retain(keepDays: number, now = Date.now()): Promise<string[]> {
    this.assertOpen();
    const cutoff = retentionCutoff(keepDays, now);
    return dropDaysBefore(
      { nodes: this.nodes, layout: this.layout, database: this.database, flowsLocal: this.t.flowsLocal },
      cutoff,
    );
  }
}
