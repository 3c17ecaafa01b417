/** @module Opens the store named by a `--store` URL. */

import type { DuckStoreOptions } from './duckdb/index.js';
import { type FlowStore, StoreError } from './types.js';

/**
 * The data directory when neither `--data`, `FLOWHUNT_DATA` nor the config
 * names one (the config's default too; here, so that a command that needs
 * only the store does not load the config's schemas to learn it).
 */
export const DEFAULT_DATA_DIR = './flowhunt-data';

/**
 * `duckdb:DIR` (or a bare directory) opens the embedded engine;
 * `clickhouse://HOST:PORT/DB` the scale-out engine.
 */
export async function openStore(url: string, opts: DuckStoreOptions = {}): Promise<FlowStore> {
  if (url.startsWith('clickhouse://') || url.startsWith('clickhouses://')) {
    // Each engine's client is loaded only when its URL is used (DuckDB users never load ClickHouse's, and back).
    const { ClickHouseFlowStore } = await import('./clickhouse/index.js');
    return ClickHouseFlowStore.open(url, {
      ...(opts.maxPendingRows ? { maxPendingRows: opts.maxPendingRows } : {}),
      ...(opts.create === false ? { create: false } : {}),
    });
  }
  const dir = url.startsWith('duckdb:') ? url.slice('duckdb:'.length) : url;
  if (dir === '')
    throw new StoreError('store URL duckdb: needs a directory, e.g. duckdb:./flowhunt-data', 'bad_store_url');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(dir)) throw new StoreError(`unknown store URL ${url}`, 'bad_store_url');
  const { DuckFlowStore } = await import('./duckdb/index.js');
  return DuckFlowStore.open(dir, opts);
}
