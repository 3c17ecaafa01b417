/**
 * @module The manifest of one day partition: which Parquet files hold it.
 *
 * Readers query exactly the files a manifest lists, so a writer can add a file
 * or replace many small files by one compacted file in a single atomic rename
 * of the manifest; a reader never sees a flow twice or half a file. Files
 * retired by compaction stay on disk for a grace period so that a query that
 * read the old manifest a moment ago can still finish.
 */

import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface PartFile {
  name: string;
  rows: number;
  bytes: number;
  minTe: number;
  maxTe: number;
}

export interface Manifest {
  version: 1;
  day: string;
  files: PartFile[];
  retired: { name: string; at: number }[];
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
  await writeFile(tmp, JSON.stringify(m));
  await rename(tmp, join(dayDir, MANIFEST));
}
