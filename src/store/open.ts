/** @module Opens the store named by a `--store` URL. */

import { ClickHouseFlowStore } from './clickhouse/index.js';
import { DuckFlowStore, type DuckStoreOptions } from './duckdb/index.js';
import { type FlowStore, StoreError } from './types.js';

/**
 * `duckdb:DIR` (or a bare directory) opens the embedded engine;
 * `clickhouse://HOST:PORT/DB` the scale-out engine.
 */
export async function openStore(url: string, opts: DuckStoreOptions = {}): Promise<FlowStore> {
  if (url.startsWith('clickhouse://') || url.startsWith('clickhouses://')) {
    return ClickHouseFlowStore.open(url, opts.maxPendingRows ? { maxPendingRows: opts.maxPendingRows } : {});
  }
  const dir = url.startsWith('duckdb:') ? url.slice('duckdb:'.length) : url;
  if (dir === '')
    throw new StoreError('store URL duckdb: needs a directory, e.g. duckdb:./flowhunt-data', 'BAD_STORE_URL');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(dir)) throw new StoreError(`unknown store URL ${url}`, 'BAD_STORE_URL');
  return DuckFlowStore.open(dir, opts);
}
