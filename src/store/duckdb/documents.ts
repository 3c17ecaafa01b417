/**
 * @module The embedded engine's documents (reports, signatures, findings,
 * ...): one JSON-lines file per partition under `docs/KIND/`, replaced whole
 * by writing a temporary file and renaming it into place, so a reader sees
 * the old set or the new one, never half.
 */

import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Documents } from '../engine.js';
import { checkPartition } from '../partitions.js';
import type { DocKind, DocPartition, DocVersion } from '../types.js';
import { tmpName } from './layout.js';

export class DuckDocs implements Documents {
  /** `dir`: the data directory's `docs` folder; `assertOpen` refuses a write or a listing once the store is closed. */
  constructor(
    private readonly dir: string,
    private readonly assertOpen: () => void,
  ) {}

  private docDir(kind: DocKind): string {
    return join(this.dir, kind);
  }

  async putDocs(kind: DocKind, partition: string, docs: readonly unknown[]): Promise<void> {
    checkPartition(partition);
    const dir = this.docDir(kind);
    await mkdir(dir, { recursive: true });
    const tmp = tmpName(dir, partition);
    try {
      await writeFile(tmp, `${docs.map((d) => JSON.stringify(d)).join('\n')}\n`);
      await rename(tmp, join(dir, `${partition}.jsonl`));
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  }

  async getDocs<T = unknown>(
    kind: DocKind,
    range: { from?: string; to?: string } = {},
  ): Promise<DocPartition<T>[]> {
    const out: DocPartition<T>[] = [];
    for (const partition of await this.partitions(kind)) {
      if (range.from !== undefined && partition < range.from) continue;
      if (range.to !== undefined && partition > range.to) continue;
      const text = await readFile(join(this.docDir(kind), `${partition}.jsonl`), 'utf8').catch(
        (e: NodeJS.ErrnoException) => {
          if (e.code === 'ENOENT') return '';
          throw e;
        },
      );
      const docs = text
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as T);
      out.push({ partition, docs });
    }
    return out;
  }

  async lastPartition(kind: DocKind): Promise<string | undefined> {
    return (await this.partitions(kind)).at(-1);
  }

  /** Per kind: the directory's change time when last listed, and the listing. */
  private readonly versionCache = new Map<DocKind, { dirTime: number; versions: DocVersion[] }>();

  /**
   * The inode and change time of each partition's file (putDocs renames a
   * new file into place, so both change). A directory whose own change time
   * is the one of the last listing has had no file renamed into it since,
   * and the listing is answered from memory — unless that time is within a
   * second of now, where two renames can share a timestamp.
   */
  async docVersions(kind: DocKind): Promise<DocVersion[]> {
    this.assertOpen();
    const dir = this.docDir(kind);
    const ds = await stat(dir).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw e;
    });
    if (!ds) return [];
    const cached = this.versionCache.get(kind);
    if (cached && cached.dirTime === ds.ctimeMs && Date.now() - ds.ctimeMs > 1000) return cached.versions;
    const names = await this.partitions(kind);
    const versions: DocVersion[] = [];
    for (let i = 0; i < names.length; i += 256) {
      const chunk = names.slice(i, i + 256);
      const stats = await Promise.all(chunk.map((n) => stat(join(dir, `${n}.jsonl`)).catch(() => undefined)));
      stats.forEach((st, j) => {
        if (st) versions.push({ partition: chunk[j]!, version: `${st.ino}:${st.ctimeMs}:${st.size}` });
      });
    }
    this.versionCache.set(kind, { dirTime: ds.ctimeMs, versions });
    return versions;
  }

  private async partitions(kind: DocKind): Promise<string[]> {
    const names = await readdir(this.docDir(kind)).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return [] as string[];
      throw e;
    });
    return names
      .filter((n) => n.endsWith('.jsonl') && !n.startsWith('.'))
      .map((n) => n.slice(0, -'.jsonl'.length))
      .sort();
  }
}
