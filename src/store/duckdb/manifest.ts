/**
 * @module The manifest of one day partition: which Parquet files hold it.
 *
 * Readers query exactly the files a manifest lists, so a writer can add a file
 * or replace many small files by one compacted file in a single atomic rename
 * of the manifest; a reader never sees a flow twice or half a file. Files
 * retired by compaction stay on disk for a grace period so that a query that
 * read the old manifest a moment ago can still finish.
 *
 * A manifest also names the batches committed into the day: each file
 * carries the id of the flush that wrote it, and `batches` keeps the ids a
 * caller chose (an import's `(file identity, chunk)`), so that writing the
 * same batch again (a retry, a rerun after a crash) finds it already there
 * and writes nothing twice.
 */

import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface PartFile {
  name: string;
  rows: number;
  bytes: number;
  minTe: number;
  maxTe: number;
  /** The id of the flush that wrote the file (absent in files of older versions and compacted files). */
  batch?: string;
}

/** Caller-chosen batch ids kept per day; the oldest are forgotten beyond this. */
export const MAX_BATCH_IDS = 10_000;

export interface Manifest {
  version: 1;
  day: string;
  files: PartFile[];
  retired: { name: string; at: number }[];
  /** Ids of caller-named batches committed into this day, oldest first. */
  batches?: string[];
}

/** True when the batch `id` is already committed into the day `m`. */
export function hasBatch(m: Manifest, id: string): boolean {
  return (m.batches?.includes(id) ?? false) || m.files.some((f) => f.batch === id);
}

export const MANIFEST = 'manifest.json';

export async function readManifest(dayDir: string, day: string): Promise<Manifest> {
  try {
    const m = JSON.parse(await readFile(join(dayDir, MANIFEST), 'utf8')) as Manifest;
    if (m.version !== 1 || !Array.isArray(m.files)) throw new Error(`unknown manifest in ${dayDir}`);
    m.retired ??= [];
    return m;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, day, files: [], retired: [] };
    throw e;
  }
}

export async function writeManifest(dayDir: string, m: Manifest): Promise<void> {
  const tmp = join(dayDir, `.${MANIFEST}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, JSON.stringify(m));
    await rename(tmp, join(dayDir, MANIFEST));
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
