/**
 * @module What an import has committed, so that running the same command
 * again (after a crash, `kill -9`, a full disk, Ctrl-C) continues where it
 * stopped instead of storing flows twice.
 *
 * An import is named by its {@link importKey}: the identity of each file (its
 * size and a hash of its first and last 64 KiB, so a renamed or copied file
 * is the same file and an edited one is not) and every setting that decides
 * where commits fall (format, buffer size, day bound, earliest time). Reading
 * is deterministic, so commit `k` of a rerun holds exactly the flows commit
 * `k` held before. After each commit the import records a document
 * (`imports` kind, partition = the key) with the commit's flows and the
 * record range of each file it covered; a rerun skips the commits recorded
 * there. The commit itself is flushed with the batch id `KEY-k`: on DuckDB a
 * day's manifest names the batches in it, so a crash after a commit's days
 * were written but before its document was, still writes nothing twice.
 */

import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { FlowStore } from '../store/types.js';

const EDGE = 64 * 1024;

/** Size and a hash of the first and last 64 KiB of a file: cheap, and changes when the content does. */
export async function fileIdentity(path: string): Promise<string> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const h = createHash('sha256');
    h.update(String(size));
    const buf = Buffer.alloc(EDGE);
    const a = await fh.read(buf, 0, EDGE, 0);
    h.update(buf.subarray(0, a.bytesRead));
    if (size > EDGE) {
      const b = await fh.read(buf, 0, EDGE, Math.max(EDGE, size - EDGE));
      h.update(buf.subarray(0, b.bytesRead));
    }
    return `${size}:${h.digest('hex').slice(0, 32)}`;
  } finally {
    await fh.close();
  }
}

/** The settings that decide where an import's commits fall. */
export interface ImportShape {
  files: readonly { identity: string; format: string }[];
  strict: boolean;
  bufferRows: number;
  maxDays: number;
  earliest: number;
  /** `--tz`, when given: another zone reads other times, so it is another import. */
  tz?: string;
}

/** The partition name of an import's progress document (fits PARTITION_RE). */
export function importKey(shape: ImportShape): string {
  return `i${createHash('sha256').update(JSON.stringify(shape)).digest('hex').slice(0, 40)}`;
}

/** Flows of one file a commit covered: the file's kept flows `from` (inclusive) to `to` (exclusive), 0-based. */
export interface CommitRange {
  file: string;
  index: number;
  from: number;
  to: number;
}

export interface CommitDoc {
  v: 1;
  key: string;
  /** 0-based commit number. */
  commit: number;
  /** The batch id the commit was flushed with. */
  batch: string;
  flows: number;
  packets: number;
  bytes: number;
  ranges: CommitRange[];
  /** The latest plausible time the first run used, reused by reruns so commits fall alike. */
  latest: number;
  at: string;
}

export async function loadProgress(store: FlowStore, key: string): Promise<CommitDoc[]> {
  const [p] = await store.getDocs<CommitDoc>('imports', { from: key, to: key });
  const docs = (p?.docs ?? []).filter((d) => d && d.v === 1 && d.key === key);
  docs.sort((a, b) => a.commit - b.commit);
  // Only an unbroken run from commit 0 counts.
  const out: CommitDoc[] = [];
  for (const d of docs) if (d.commit === out.length) out.push(d);
  return out;
}

export function saveProgress(store: FlowStore, key: string, docs: readonly CommitDoc[]): Promise<void> {
  return store.putDocs('imports', key, docs);
}

/** Flows stored per file (by index in the command line) in the given commits. */
export function storedPerFile(docs: readonly CommitDoc[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const d of docs) for (const r of d.ranges) out.set(r.index, (out.get(r.index) ?? 0) + r.to - r.from);
  return out;
}

/** `a.jsonl flows 1-500000, b.jsonl flows 1-20` for the ranges of some commits (1-based, merged per file). */
export function rangesText(docs: readonly CommitDoc[]): string {
  const per = new Map<number, { file: string; from: number; to: number }>();
  for (const d of docs) {
    for (const r of d.ranges) {
      const cur = per.get(r.index);
      if (!cur) per.set(r.index, { file: r.file, from: r.from, to: r.to });
      else {
        cur.from = Math.min(cur.from, r.from);
        cur.to = Math.max(cur.to, r.to);
      }
    }
  }
  return [...per.values()].map((r) => `${r.file} flows ${r.from + 1}-${r.to}`).join(', ');
}
