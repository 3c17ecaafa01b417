/**
 * @module What every command shares: the global options, opening the store,
 * parsing times, and turning errors into one line on stderr and a non-zero exit.
 * Every command file imports this at start-up, so it loads nothing heavy
 * itself: the configuration, the store and the enricher are imported when a
 * command first needs them.
 */

import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Config } from '../config.js';
import type { Enricher } from '../enrich/index.js';
import { classify, FlowhuntError } from '../errors.js';
import type { DuckStoreOptions } from '../store/duckdb/index.js';
import type { FlowStore } from '../store/types.js';

export interface GlobalOptions {
  config?: string;
  data?: string;
  store?: string;
  json?: boolean;
}

/** An error whose message is all the user needs; printed as one line. */
export class UsageError extends FlowhuntError {
  override name = 'UsageError';

  constructor(message: string) {
    super('usage', message);
  }
}

export function addGlobalOptions(cmd: Command): Command {
  return cmd
    .option('--config <file>', 'YAML configuration file')
    .option('--data <dir>', 'data directory (env FLOWHUNT_DATA, default ./flowhunt-data)')
    .option('--store <url>', 'duckdb:DIR (default) or clickhouse://HOST:PORT/DB (env FLOWHUNT_STORE)')
    .option('--json', 'machine-readable output on stdout');
}

export interface Context {
  config: Config;
  dataDir: string;
  storeUrl: string;
  json: boolean;
}

/** What a command that uses the configuration for nothing but the store needs (`query`, `days`). */
export type StoreContext = Omit<Context, 'config'>;

/**
 * The store of a command that reads nothing else from the configuration.
 * Without `--config` the configuration is its defaults, so its schemas
 * (zod, and every stage's part of the schema: a tenth of a second, a third
 * of a short query's start-up) are not loaded to learn the data directory.
 */
export async function storeContext(opts: GlobalOptions): Promise<StoreContext> {
  if (opts.config !== undefined) return context(opts);
  const { DEFAULT_DATA_DIR } = await import('../store/open.js');
  const dataDir = resolve(opts.data ?? process.env['FLOWHUNT_DATA'] ?? DEFAULT_DATA_DIR);
  const storeUrl = opts.store ?? process.env['FLOWHUNT_STORE'] ?? `duckdb:${dataDir}`;
  return { dataDir, storeUrl, json: opts.json === true };
}

export async function context(opts: GlobalOptions): Promise<Context> {
  // Loaded here, not at start-up: `flowhunt --help` needs none of the configuration's schemas.
  const { loadConfig } = await import('../config.js');
  const config = await loadConfig(opts.config);
  const dataDir = resolve(opts.data ?? process.env['FLOWHUNT_DATA'] ?? config.data);
  const storeUrl = opts.store ?? process.env['FLOWHUNT_STORE'] ?? config.store ?? `duckdb:${dataDir}`;
  return { config, dataDir, storeUrl, json: opts.json === true };
}

/**
 * Opens the store for one command. A read refuses a store that does not
 * exist (error `no_store`); only the commands that write flows (`import`,
 * `simulate --out store`) pass `create: true`. `opts.memoryLimit` is the
 * command's own default: a configured `storeMemoryLimit` wins over it.
 */
export async function withStore<T>(
  ctx: Pick<Context, 'storeUrl'> & { config?: Context['config'] },
  fn: (s: FlowStore) => Promise<T>,
  opts: DuckStoreOptions = {},
): Promise<T> {
  // Without either (`query`, `days` with no --config), DuckDB's own limit.
  const memoryLimit = ctx.config?.storeMemoryLimit;
  opts = { create: false, ...opts, ...(memoryLimit ? { memoryLimit } : {}) };
  const { openStore } = await import('../store/open.js');
  const store = await openStore(ctx.storeUrl, opts);
  let result: T;
  try {
    result = await fn(store);
  } catch (e) {
    // The command's own error is the one to report, not a second failure while closing (a full disk).
    await store.close().catch(() => undefined);
    throw e;
  }
  await store.close();
  return result;
}

/** Opens the organisation directory and geo databases the config names; a bad file is a usage error. */
export async function openEnricher(ctx: Context): Promise<Enricher> {
  try {
    const { Enricher } = await import('../enrich/index.js');
    return await Enricher.open(ctx.config.enrich);
  } catch (e) {
    if (e instanceof FlowhuntError) throw e;
    throw new UsageError((e as Error).message);
  }
}

/**
 * ISO 8601 (`2026-11-20`, `2026-11-20T13:05`, `2026-11-20T13:05:00Z`, with an
 * offset) or epoch milliseconds. A time without zone is UTC, as in flow data.
 */
export function parseTime(text: string, what = 'time'): number {
  const t = text.trim();
  if (/^\d{12,}$/.test(t)) return Number(t);
  const m = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?))?(Z|[+-]\d{2}:?\d{2})?$/.exec(
    t,
  );
  if (!m)
    throw new UsageError(
      `${what} ${JSON.stringify(text)} is not an ISO 8601 time (e.g. 2026-11-20 or 2026-11-20T13:05:00Z)`,
    );
  const iso = `${m[1]}T${m[2] ?? '00:00'}${m[2] && m[2].length === 5 ? ':00' : ''}${m[3] ?? 'Z'}`;
  const v = Date.parse(iso);
  if (Number.isNaN(v)) throw new UsageError(`${what} ${JSON.stringify(text)} is not a valid date`);
  return v;
}

export interface RangeOpts extends GlobalOptions {
  from?: string;
  to?: string;
}

/** `--from`/`--to`, either optional; `--to` must come after `--from`. */
export function range(opts: RangeOpts): { from?: number; to?: number } {
  const from = opts.from ? parseTime(opts.from, '--from') : undefined;
  const to = opts.to ? parseTime(opts.to, '--to') : undefined;
  if (from !== undefined && to !== undefined && to <= from) throw new UsageError('--to must be after --from');
  return { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) };
}

export function parsePositiveInt(text: string, what: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1)
    throw new UsageError(`${what} must be a positive whole number, not ${JSON.stringify(text)}`);
  return Number(text);
}

/**
 * Wraps a command action: a registered error (src/errors.ts) becomes one line
 * on stderr and its exit status; anything else is a bug, printed with its stack, exit 2.
 */
export function action<A extends unknown[]>(
  fn: (...args: A) => Promise<void>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (e) {
      const { code, spec } = classify(e);
      const err = e as Error;
      process.stderr.write(`flowhunt: ${code === 'internal' ? (err.stack ?? String(err)) : err.message}\n`);
      process.exitCode = spec.exit;
    }
  };
}

export function printJson(v: unknown): void {
  process.stdout.write(`${JSON.stringify(v)}\n`);
}

export function fmtNum(n: number): string {
  return n.toLocaleString('en-US');
}

/** Human-readable count, nfdump style: 1.2 M, 345.6 k. */
export function fmtScaled(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return String(n);
}
