/**
 * @module Where the embedded engine keeps things under its data directory:
 * one folder of Parquet files and a manifest per day, the lock every
 * manifest change holds, and the temporary names the sweep at open knows
 * as its own. The store, compaction and retention all name files here.
 */

import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

const DAY_DIR = /^day=(\d{4}-\d{2}-\d{2})$/;

/**
 * How every Parquet file is written (a flush's and a compaction's alike).
 * Format version 2 (delta and byte-stream-split encodings of the integer
 * columns) before zstd: the write took about a third less CPU per flow than
 * version 1 (0.64 against 0.96 µs, bench/import-stages.ts) for about the same
 * bytes, and DuckDB reads both, so days written before stay readable.
 * A column with more than 2,048 distinct values in a row group is written
 * without a dictionary: with DuckDB's own limit it hashed every value of
 * columns with up to tens of thousands of them, a quarter of the encoding's
 * CPU (0.42 against 0.31 µs a flow for a 2 M-flow day, one thread), and
 * those dictionaries saved no bytes (17.66 a flow either way); the columns
 * that repeat a few values (protocol, flags, ToS, direction, sampling,
 * exporter) keep theirs. Zstandard at level 1, not DuckDB's 3: the same
 * bytes on this data (17.62 against 17.63 a flow) for 6 % less CPU (0.294
 * against 0.312 µs a flow, one thread).
 */
export const PARQUET_OPTIONS =
  'FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1, PARQUET_VERSION v2, ROW_GROUP_SIZE 122880, DICTIONARY_SIZE_LIMIT 2048';

export function dayDir(flowsDir: string, day: string): string {
  return join(flowsDir, `day=${day}`);
}

/** The lock file held while a manifest is swapped (see `lock.ts`). */
export function lockPath(flowsDir: string): string {
  return join(flowsDir, '.lock');
}

/** A new Parquet file's name: time first, so a day's files list in the order they were written. */
export function partName(): string {
  return `part-${Date.now()}-${randomBytes(4).toString('hex')}.parquet`;
}

/** A temporary name in `dir` that the sweep at open can tell is ours (`.NAME.PID.RAND.tmp`). */
export function tmpName(dir: string, name: string): string {
  return join(dir, `.${name}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/** The days that have a folder, in order. */
export async function listDays(flowsDir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(flowsDir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return names
    .map((n) => DAY_DIR.exec(n)?.[1])
    .filter((d): d is string => d !== undefined)
    .sort();
}
