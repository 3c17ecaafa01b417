/**
 * @module The ClickHouse schema and its versioned migrations.
 *
 * Every server of the cluster holds the same local tables (`flows_local`,
 * `docs_local`) and, with a cluster, `Distributed` tables over them (`flows`,
 * `docs`). Without ZooKeeper there is no `ON CLUSTER`, so flowhunt applies
 * each migration itself on every server, and records it in that server's
 * `schema_migrations`. Every statement is idempotent (`IF NOT EXISTS`), so
 * two processes opening the store at once both apply a migration harmlessly
 * and both record it; the version is the maximum recorded.
 *
 * On a replicated cluster (a shard with several replicas) the local tables
 * are `ReplicatedMergeTree`s: the replicas of a shard share one ZooKeeper
 * path (`/clickhouse/tables/{shard}/DB/TABLE`, the server's macros filling
 * in the shard) and each is named by its `{replica}` macro. The statements
 * are still run on every server (each creates its own replica of the table).
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { type ColumnKind, sqlType, storageColumns } from '../../flow/schema.js';
import { StoreError } from '../types.js';
import type { Conn } from './conn.js';

/** The table names; `db` is a validated identifier. */
export function tables(db: string) {
  const q = `\`${db}\``;
  return {
    db: q,
    flowsLocal: `${q}.flows_local`,
    flows: `${q}.flows`,
    docsLocal: `${q}.docs_local`,
    docs: `${q}.docs`,
    migrations: `${q}.schema_migrations`,
  };
}

/**
 * A storage column's type. Text is `Nullable(String)`: an absent label must
 * come back as null, as it does from Parquet.
 */
/** `YYYYMMDD` (a Date partition id) as `YYYY-MM-DD`. */
export function dayOfPartitionId(id: string): string {
  return `${id.slice(0, 4)}-${id.slice(4, 6)}-${id.slice(6, 8)}`;
}

export function columnType(kind: ColumnKind): string {
  const t = sqlType(kind, 'clickhouse');
  return kind === 'str' ? `Nullable(${t})` : t;
}

/** The flow columns from the one column list. */
export function flowColumnsDdl(): string {
  return storageColumns()
    .map((c) => `${c.name} ${columnType(c.def.kind)}`)
    .join(', ');
}

/**
 * Days as partitions: `toDate` of the day number is a UTC day whatever the
 * server's time zone (an integer below 65536 is a day number to `toDate` in
 * 18.16 and in current releases), and its partition id is `YYYYMMDD`. The
 * sort key starts with the end time, which the time range of every query
 * prunes on; the source address next keeps a host's flows of one moment together.
 */
const FLOWS_LAYOUT =
  'PARTITION BY toDate(intDiv(te, 86400000)) ORDER BY (te, src_hi, src_lo) SETTINGS index_granularity = 8192';

/** A table's replicas share this ZooKeeper path; the database is in it, so databases never collide. */
function zkPath(db: string, table: string): string {
  return `'/clickhouse/tables/{shard}/${db}/${table}'`;
}

/**
 * A replica killed between writing a fetched part to its disk and listing
 * it in ZooKeeper finds that part unknown when it starts. Past half of a
 * table's rows (a young table, or a kill just after a large fetch) the
 * server refuses to start by default. Those parts are copies of what the
 * shard's other replica holds: the table loads, they go to `detached/`
 * (kept, not read), and the replica fetches what it lacks.
 */
const REPLICATED_SETTINGS = 'replicated_max_ratio_of_wrong_parts = 1';

/** The flows table's engine: replicated through ZooKeeper or each server's own. */
export function flowsEngine(db: string, replicated: boolean): string {
  return replicated
    ? `ReplicatedMergeTree(${zkPath(db, 'flows_local')}, '{replica}') ${FLOWS_LAYOUT}, ${REPLICATED_SETTINGS}`
    : `MergeTree ${FLOWS_LAYOUT}`;
}

/** One row per (kind, partition) and version; merges keep the newest, reads take argMax. */
export function docsEngine(db: string, replicated: boolean): string {
  return replicated
    ? `ReplicatedReplacingMergeTree(${zkPath(db, 'docs_local')}, '{replica}', version) ORDER BY (kind, part)`
    : 'ReplacingMergeTree(version) ORDER BY (kind, part)';
}

interface Migration {
  version: number;
  name: string;
  statements(db: string, replicated: boolean): string[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'flows and document tables',
    statements: (db, replicated) => {
      const t = tables(db);
      return [
        `CREATE TABLE IF NOT EXISTS ${t.flowsLocal} (${flowColumnsDdl()}) ENGINE = ${flowsEngine(db, replicated)}`,
        `CREATE TABLE IF NOT EXISTS ${t.docsLocal} (kind String, part String, version UInt64, body String) ENGINE = ${docsEngine(db, replicated)}`,
      ];
    },
  },
];

export const SCHEMA_VERSION = MIGRATIONS.at(-1)!.version;

/** Errors a concurrent opener can cause on a statement that is otherwise idempotent. */
const RACE =
  /already exists|is creating or attaching right now|is being (?:created|dropped)|Cannot lock|TABLE_ALREADY_EXISTS|Node exists/i;

async function idempotent(conn: Conn, stmt: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await conn.command(stmt);
      return;
    } catch (e) {
      if (attempt >= 20 || !RACE.test((e as Error).message)) throw e;
      await sleep(50 + attempt * 25);
    }
  }
}

/**
 * A replicated layout over tables made unreplicated (a cluster given a
 * second replica per shard later) would keep each replica's rows apart:
 * refused, with what to do. Replicated tables opened as one server or as an
 * unreplicated cluster are fine (that is each replica on its own).
 */
async function checkEngines(conn: Conn, db: string, replicated: boolean): Promise<void> {
  if (!replicated) return;
  const rows = await conn.rows(
    `SELECT name, engine FROM system.tables WHERE database = '${db}' AND name IN ('flows_local', 'docs_local')`,
  );
  for (const r of rows) {
    const engine = String(r['engine']);
    if (!engine.startsWith('Replicated'))
      throw new StoreError(
        `database ${db} on ${conn.url} holds ${String(r['name'])} as ${engine}, not replicated, but the cluster has several replicas per shard: use a new database (or recreate the tables as Replicated* and attach the parts)`,
        'bad_cluster',
      );
  }
}

/** Brings one server's schema to {@link SCHEMA_VERSION}; returns the version it had. */
export async function migrate(conn: Conn, db: string, replicated = false): Promise<number> {
  const t = tables(db);
  await idempotent(conn, `CREATE DATABASE IF NOT EXISTS ${t.db}`);
  await idempotent(
    conn,
    `CREATE TABLE IF NOT EXISTS ${t.migrations} (version UInt32, name String, applied_at DateTime DEFAULT now()) ENGINE = MergeTree ORDER BY version`,
  );
  const rows = await conn.rows(`SELECT max(version) AS v FROM ${t.migrations}`);
  const had = Number(rows[0]?.['v'] ?? 0);
  if (had > SCHEMA_VERSION)
    throw new StoreError(
      `database ${db} on ${conn.url} has schema version ${had}, newer than this flowhunt knows (${SCHEMA_VERSION}); upgrade flowhunt`,
      'schema_too_new',
    );
  await checkEngines(conn, db, replicated);
  for (const m of MIGRATIONS) {
    if (m.version <= had) continue;
    for (const stmt of m.statements(db, replicated)) await idempotent(conn, stmt);
    await conn.command(
      `INSERT INTO ${t.migrations} (version, name) VALUES (${m.version}, '${m.name.replace(/'/g, "''")}')`,
    );
  }
  return had;
}

/**
 * The `Distributed` tables over a cluster. Not a migration: they hold no
 * data (inserts are synchronous), so they follow the URL's cluster name,
 * and a migration that alters a local table alters them too.
 */
export async function ensureDistributed(conn: Conn, db: string, cluster: string): Promise<void> {
  const t = tables(db);
  const c = `'${cluster}'`;
  const d = `'${db}'`;
  // Sharding by source address keeps all of a host's flows on one shard.
  await idempotent(
    conn,
    `CREATE TABLE IF NOT EXISTS ${t.flows} AS ${t.flowsLocal} ENGINE = Distributed(${c}, ${d}, 'flows_local', cityHash64(src_hi, src_lo))`,
  );
  // A partition's versions all land on one shard, where merges can replace them.
  await idempotent(
    conn,
    `CREATE TABLE IF NOT EXISTS ${t.docs} AS ${t.docsLocal} ENGINE = Distributed(${c}, ${d}, 'docs_local', cityHash64(kind, part))`,
  );
}
