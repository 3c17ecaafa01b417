/**
 * @module Removes what failed or killed writers left in a data directory,
 * when the store opens.
 *
 * A write goes to a temporary file (`.NAME.PID.RAND.tmp`) that is renamed
 * and listed in the day's manifest under the store lock. A writer that ran
 * out of disk or was killed can leave a temporary file, a Parquet file
 * renamed but never listed (killed between the two steps), or a `.trash-*`
 * directory of a retention run, or DuckDB's spill directory
 * (`.spill.PID.RAND.tmp`). None of them is data (readers see only what
 * manifests list), and on a full disk they hold the space a retry needs.
 * Temporary files of a live process (another writer on the same directory)
 * are kept; unlisted Parquet files are only judged under the lock, which
 * every rename-and-list holds.
 */

import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { withLock } from './lock.js';
import { readManifest } from './manifest.js';

/** `.part-….parquet.1234.ab12cd34.tmp` → 1234 */
const TMP_PID = /\.(\d+)\.[0-9a-f]{8}\.tmp$/;
/** A temporary file without a process id is left alone this long (older flowhunt versions named none). */
const ORPHAN_TMP_MS = 10 * 60_000;

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function list(dir: string): Promise<string[]> {
  return readdir(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return [] as string[];
    throw e;
  });
}

/** True when `name` in `dir` is a temporary file nobody will finish. */
async function deadTmp(dir: string, name: string, now: number): Promise<boolean> {
  if (!name.endsWith('.tmp')) return false;
  const m = TMP_PID.exec(name);
  if (m) return !alive(Number(m[1]));
  const st = await stat(join(dir, name)).catch(() => null);
  return st !== null && now - st.mtimeMs > ORPHAN_TMP_MS;
}

export interface SweepResult {
  tmpFiles: number;
  unlistedFiles: number;
  trashDirs: number;
}

/** Sweeps `flowsDir` (day partitions) and `docsDir` (documents); returns what it removed. */
export async function sweepLeftovers(flowsDir: string, docsDir: string): Promise<SweepResult> {
  const out: SweepResult = { tmpFiles: 0, unlistedFiles: 0, trashDirs: 0 };
  const now = Date.now();
  const remove = async (path: string, what: keyof SweepResult) => {
    await rm(path, { recursive: true, force: true });
    out[what]++;
  };
  for (const kind of await list(docsDir)) {
    const dir = join(docsDir, kind);
    for (const n of await list(dir)) if (await deadTmp(dir, n, now)) await remove(join(dir, n), 'tmpFiles');
  }
  const names = await list(flowsDir);
  if (names.length === 0) return out;
  await withLock(join(flowsDir, '.lock'), async () => {
    for (const n of names) {
      if (n.startsWith('.trash-')) {
        await remove(join(flowsDir, n), 'trashDirs');
        continue;
      }
      // DuckDB's spill directory of a store process (`.spill.PID.RAND.tmp`) that was killed.
      if (n.startsWith('.spill.')) {
        if (await deadTmp(flowsDir, n, now)) await remove(join(flowsDir, n), 'tmpFiles');
        continue;
      }
      const day = /^day=(\d{4}-\d{2}-\d{2})$/.exec(n)?.[1];
      if (!day) continue;
      const dir = join(flowsDir, n);
      const entries = await list(dir);
      const m = await readManifest(dir, day);
      const listed = new Set([...m.files.map((f) => f.name), ...m.retired.map((r) => r.name)]);
      for (const e of entries) {
        if (await deadTmp(dir, e, now)) await remove(join(dir, e), 'tmpFiles');
        else if (e.endsWith('.parquet') && !listed.has(e)) await remove(join(dir, e), 'unlistedFiles');
      }
    }
  });
  return out;
}
