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
export const FLOWS_ENGINE =
  'MergeTree PARTITION BY toDate(intDiv(te, 86400000)) ORDER BY (te, src_hi, src_lo) SETTINGS index_granularity = 8192';

interface Migration {
  version: number;
  name: string;
  statements(db: string): string[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'flows and document tables',
    statements: (db) => {
      const t = tables(db);
      return [
        `CREATE TABLE IF NOT EXISTS ${t.flowsLocal} (${flowColumnsDdl()}) ENGINE = ${FLOWS_ENGINE}`,
        // One row per (kind, partition) and version; merges keep the newest, reads take argMax.
        `CREATE TABLE IF NOT EXISTS ${t.docsLocal} (kind String, part String, version UInt64, body String) ENGINE = ReplacingMergeTree(version) ORDER BY (kind, part)`,
      ];
    },
  },
];

export const SCHEMA_VERSION = MIGRATIONS.at(-1)!.version;

/** Errors a concurrent opener can cause on a statement that is otherwise idempotent. */
const RACE =
  /already exists|is creating or attaching right now|is being (?:created|dropped)|Cannot lock|TABLE_ALREADY_EXISTS/i;

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

/** Brings one server's schema to {@link SCHEMA_VERSION}; returns the version it had. */
export async function migrate(conn: Conn, db: string): Promise<number> {
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
      'SCHEMA_TOO_NEW',
    );
  for (const m of MIGRATIONS) {
    if (m.version <= had) continue;
    for (const stmt of m.statements(db)) await idempotent(conn, stmt);
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
