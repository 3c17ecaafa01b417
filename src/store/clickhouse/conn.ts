/**
 * @module One ClickHouse server reached over its HTTP interface.
 *
 * `@clickhouse/client` works against 18.16 as long as nothing asks it for a
 * feature the old server lacks: we send no query parameters (values are
 * inlined), use `JSONCompact` for reads (its `meta` gives each column's type,
 * so 64-bit integers, which ClickHouse quotes in JSON, come back exact) and
 * raw `Native` bodies through `exec` for bulk inserts. Errors become one
 * line a person can act on.
 */

import { Readable } from 'node:stream';
import { type ClickHouseClient, type ClickHouseSettings, createClient } from '@clickhouse/client';
import { StoreError } from '../types.js';

export interface ConnOptions {
  username: string;
  password: string;
  /** Per request, for long scans (a day's hunt). */
  requestTimeoutMs: number;
}

/** Settings sent with every request; all exist in 18.16 and in current releases. */
const SETTINGS: ClickHouseSettings = {
  // Long literal IN lists (hunt signatures, profiled hosts) exceed the 256 KiB default.
  max_query_size: '67108864',
  // The profile stage's host lists (up to 1,000 addresses per role) pass the default 50,000 AST elements.
  max_ast_elements: '5000000',
  max_expanded_ast_elements: '5000000',
  // A subquery over the Distributed table inside IN/JOIN is read once on the initiator and shipped.
  distributed_product_mode: 'global',
  // `flush()` returns when every shard has the rows, not when they are queued on the entry node.
  insert_distributed_sync: 1,
};

const INT = /^(?:Nullable\()?(?:LowCardinality\()?U?Int(8|16|32|64|128|256)\b/;
const FLOAT = /^(?:Nullable\()?Float(32|64)\b/;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function toValue(type: string, v: unknown): unknown {
  if (v === null) return null;
  const m = INT.exec(type);
  if (m) {
    if (typeof v === 'number') return v;
    const b = BigInt(v as string);
    return b <= MAX_SAFE && b >= -MAX_SAFE ? Number(b) : b;
  }
  if (FLOAT.test(type)) return typeof v === 'number' ? v : Number(v);
  return v;
}

/** The first line of a server or network error, without ClickHouse's `e.what()` tail. */
export function errorLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  const line = msg.split('\n').find((l) => l.trim() !== '') ?? msg;
  return line.replace(/, e\.what\(\) = DB::Exception\s*$/, '').trim();
}

export class Conn {
  readonly client: ClickHouseClient;

  constructor(
    readonly url: string,
    opts: ConnOptions,
  ) {
    this.client = createClient({
      url,
      username: opts.username,
      password: opts.password,
      request_timeout: opts.requestTimeoutMs,
      compression: { request: false, response: false },
      clickhouse_settings: SETTINGS,
      // Errors are rethrown as one line; the client must not print its own.
      log: { level: 127 },
    });
  }

  private fail(e: unknown, what: string): never {
    if (e instanceof StoreError) throw e;
    const line = errorLine(e);
    const code = /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ECONNRESET|socket hang up|Timeout/i.test(line)
      ? 'store_unreachable'
      : 'store_query';
    if (code === 'store_unreachable')
      throw new StoreError(`cannot reach ClickHouse at ${this.url}: ${line}`, code);
    throw new StoreError(`ClickHouse ${this.url}: ${what}: ${line}`, code);
  }

  /** Runs a read; integers as numbers when exact, else bigint. */
  async rows(query: string): Promise<Record<string, unknown>[]> {
    let body: { meta: { name: string; type: string }[]; data: unknown[][] };
    try {
      const rs = await this.client.query({ query, format: 'JSONCompact' });
      body = (await rs.json()) as typeof body;
    } catch (e) {
      this.fail(e, 'query failed');
    }
    const { meta, data } = body;
    return data.map((row) => {
      const r: Record<string, unknown> = {};
      for (let i = 0; i < meta.length; i++) r[meta[i]!.name] = toValue(meta[i]!.type, row[i]);
      return r;
    });
  }

  async command(query: string): Promise<void> {
    try {
      await this.client.command({ query });
    } catch (e) {
      this.fail(e, 'statement failed');
    }
  }

  /** Streams ready-encoded `Native` blocks into `table` in one INSERT. */
  async insertNative(table: string, blocks: readonly Buffer[]): Promise<void> {
    try {
      const r = await this.client.exec({
        query: `INSERT INTO ${table} FORMAT Native`,
        values: Readable.from(blocks),
      });
      // The answer of an INSERT is empty; drain it so the socket is reused.
      for await (const _ of r.stream) {
      }
    } catch (e) {
      this.fail(e, `insert into ${table} failed`);
    }
  }

  async insertJson(table: string, rows: readonly Record<string, unknown>[]): Promise<void> {
    try {
      await this.client.insert({ table, values: rows as Record<string, unknown>[], format: 'JSONEachRow' });
    } catch (e) {
      this.fail(e, `insert into ${table} failed`);
    }
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
