/**
 * @module Compaction: a day's small Parquet files merged into one, so a
 * busy day (a flush every few seconds) does not become thousands of files.
 *
 * The merged file is written under a temporary name, renamed, and swapped
 * into the manifest for the files it replaces under the lock; those files
 * are listed as retired and deleted only after a grace period, for readers
 * that listed them just before. Compaction only tidies what is committed:
 * its failure (a full disk) loses nothing.
 */

import { rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { literal } from '../sql.js';
import { dayDir, lockPath, PARQUET_OPTIONS, partName, tmpName } from './layout.js';
import { withLock } from './lock.js';
import { type Manifest, type PartFile, readManifest, writeManifest } from './manifest.js';

export interface CompactOptions {
  /** A day is compacted when it has this many files smaller than {@link smallFileBytes}. */
  compactAfterFiles: number;
  smallFileBytes: number;
  /** How long a file replaced by compaction stays for readers that still list it. */
  retireGraceMs: number;
}

/** Merges a day's small files into one, so a busy day does not become thousands of files. */
export async function compactDay(
  conn: DuckDBConnection,
  flowsDir: string,
  day: string,
  o: CompactOptions,
): Promise<void> {
  const dir = dayDir(flowsDir, day);
  const m = await readManifest(dir, day);
  const small = m.files.filter((f) => f.bytes < o.smallFileBytes);
  if (small.length < o.compactAfterFiles) {
    await sweepRetired(flowsDir, dir, m, o.retireGraceMs);
    return;
  }
  const name = partName();
  const tmp = tmpName(dir, name);
  const list = small.map((f) => literal(join(dir, f.name), 'duckdb')).join(', ');
  let size: number;
  try {
    await conn.run(
      `COPY (SELECT * FROM read_parquet([${list}]) ORDER BY te) TO ${literal(tmp, 'duckdb')} (${PARQUET_OPTIONS})`,
    );
    size = (await stat(tmp)).size;
    await rename(tmp, join(dir, name));
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  const merged: PartFile = {
    name,
    rows: small.reduce((a, f) => a + f.rows, 0),
    bytes: size,
    minTe: Math.min(...small.map((f) => f.minTe)),
    maxTe: Math.max(...small.map((f) => f.maxTe)),
  };
  await withLock(lockPath(flowsDir), async () => {
    const cur = await readManifest(dir, day);
    const gone = new Set(small.map((f) => f.name));
    // Only files still listed can be replaced (another process may have retired them meanwhile).
    if (!small.every((f) => cur.files.some((c) => c.name === f.name))) {
      await rm(join(dir, name), { force: true });
      return;
    }
    cur.files = cur.files.filter((f) => !gone.has(f.name));
    cur.files.push(merged);
    const now = Date.now();
    for (const f of small) cur.retired.push({ name: f.name, at: now });
    try {
      await writeManifest(dir, cur);
    } catch (e) {
      await rm(join(dir, name), { force: true });
      throw e;
    }
  });
  await sweepRetired(flowsDir, dir, await readManifest(dir, day), o.retireGraceMs);
}

/** Deletes the files compaction replaced once no reader can still be reading them. */
async function sweepRetired(
  flowsDir: string,
  dir: string,
  m: Manifest,
  retireGraceMs: number,
): Promise<void> {
  const now = Date.now();
  const due = m.retired.filter((r) => now - r.at >= retireGraceMs);
  if (due.length === 0) return;
  await withLock(lockPath(flowsDir), async () => {
    const cur = await readManifest(dir, m.day);
    const keep: Manifest['retired'] = [];
    for (const r of cur.retired) {
      if (now - r.at >= retireGraceMs) await rm(join(dir, r.name), { force: true });
      else keep.push(r);
    }
    cur.retired = keep;
    await writeManifest(dir, cur);
  });
}
