/**
 * @module What every command shares: the global options, opening the store,
 * parsing times, and turning errors into one line on stderr and a non-zero exit.
 */

import { resolve } from 'node:path';
import type { Command } from 'commander';
import { type Config, ConfigError, loadConfig } from '../config.js';
import { Enricher } from '../enrich/index.js';
import { openStore } from '../store/open.js';
import { type FlowStore, StoreError } from '../store/types.js';

export interface GlobalOptions {
  config?: string;
  data?: string;
  store?: string;
  json?: boolean;
}

/** An error whose message is all the user needs; printed as one line. */
export class UsageError extends Error {
  override name = 'UsageError';
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

export async function context(opts: GlobalOptions): Promise<Context> {
  const config = await loadConfig(opts.config);
  const dataDir = resolve(opts.data ?? process.env['FLOWHUNT_DATA'] ?? config.data);
  const storeUrl = opts.store ?? process.env['FLOWHUNT_STORE'] ?? config.store ?? `duckdb:${dataDir}`;
  return { config, dataDir, storeUrl, json: opts.json === true };
}

export async function withStore<T>(ctx: Context, fn: (s: FlowStore) => Promise<T>): Promise<T> {
  const store = await openStore(ctx.storeUrl);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** Opens the organisation directory and geo databases the config names; a bad file is a usage error. */
export async function openEnricher(ctx: Context): Promise<Enricher> {
  try {
    return await Enricher.open(ctx.config.enrich);
  } catch (e) {
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

export function parsePositiveInt(text: string, what: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1)
    throw new UsageError(`${what} must be a positive whole number, not ${JSON.stringify(text)}`);
  return Number(text);
}

/** Wraps a command action: known errors become one line on stderr and exit 1. */
export function action<A extends unknown[]>(
  fn: (...args: A) => Promise<void>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (e) {
      const err = e as Error;
      const known = err instanceof UsageError || err instanceof ConfigError || err instanceof StoreError;
      process.stderr.write(`flowhunt: ${known ? err.message : (err.stack ?? String(err))}\n`);
      process.exitCode = known ? 1 : 2;
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
