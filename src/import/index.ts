/**
 * @module Import: flow files into the store, without damaging what is there.
 *
 * What an operator can count on:
 * - A line that cannot be read is skipped and reported (file, line, reason);
 *   the rest of the file is imported.
 * - Anything that makes the command fail — a missing or unreadable file, a
 *   directory, an empty file, a file in no known format, `--strict` and a
 *   bad line, a file none of whose lines could be read — leaves the store
 *   exactly as it was: nothing of any file is written.
 * - How: every file is checked (opened, sniffed) before anything is read;
 *   the flows read are held in an import buffer ({@link ImportOptions.bufferRows},
 *   half a million flows by default, about 64 MB) and written to the store
 *   (`append` + `flush`) only once all files have been read. An import
 *   larger than the buffer is first read once without storing anything, to
 *   find those failures, and then written in buffer-sized commits; the
 *   summary says how many (`commits`). Only an I/O or store failure during
 *   those commits can leave part of such an import stored, and the error
 *   then says how many flows were.
 * Memory is bounded by the buffer, whatever the size of the files.
 */

import { open, stat } from 'node:fs/promises';
import type { FlowBatch } from '../flow/batch.js';
import type { FlowStore } from '../store/types.js';
import {
  detectFormat,
  formatByName,
  formatNames,
  type ImportFormat,
  type ImportSink,
  SNIFF_BYTES,
} from './format.js';

export { formatNames } from './format.js';

/** An import that failed as a whole; the message is one line for a person. */
export class ImportError extends Error {
  override name = 'ImportError';
}

export interface ImportProgress {
  file: string;
  /** Bytes read so far over all files, and their total size. */
  bytes: number;
  totalBytes: number;
  flows: number;
}

export interface ImportOptions {
  /** `auto` (default) sniffs each file; otherwise a name from {@link formatNames}. */
  format?: string;
  /** The first rejected line fails the whole import. */
  strict?: boolean;
  onProgress?: (p: ImportProgress) => void;
  /** Flows held before anything is written (default 500 000). */
  bufferRows?: number;
}

export interface Rejection {
  file: string;
  /** Line (text formats) or record/packet index (binary formats), 1-based. */
  where: number;
  message: string;
}

export interface ImportSummary {
  files: number;
  flows: number;
  packets: number;
  bytes: number;
  /** Lines (records) that could not be read. */
  rejected: number;
  /** Well-formed input that is not an IP flow (e.g. ARP in binetflow). */
  skipped: number;
  /** The first {@link MAX_ERROR_DETAILS} rejections. */
  errors: Rejection[];
  perFile: { file: string; format: string; flows: number; rejected: number; skipped: number }[];
  /** Store commits made: 1 for an import that fit the buffer (all or nothing), more for a larger one, 0 when nothing was read. */
  commits: number;
}

export const MAX_ERROR_DETAILS = 100;
const DEFAULT_BUFFER_ROWS = 500_000;

interface PlannedFile {
  path: string;
  format: ImportFormat;
  size: number;
}

/** One line for a failed file-system call: `ENOENT: no such file or directory`. */
function errnoText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const msg = (err.message ?? String(e)).split(', ')[0]!;
  return err.code && !msg.startsWith(err.code) ? `${err.code}: ${msg}` : msg;
}

/**
 * Checks every file and settles its format, reading only its first bytes.
 * Throws {@link ImportError} for the first file that cannot be imported.
 */
export async function planImport(paths: readonly string[], format = 'auto'): Promise<PlannedFile[]> {
  const forced = format === 'auto' ? undefined : formatByName(format);
  if (format !== 'auto' && !forced)
    throw new ImportError(
      `unknown format ${JSON.stringify(format)}; use one of: auto, ${formatNames().join(', ')}`,
    );
  if (paths.length === 0) throw new ImportError('no file to import');
  const out: PlannedFile[] = [];
  for (const path of paths) {
    let size: number;
    let head: Buffer;
    try {
      const st = await stat(path);
      if (st.isDirectory()) throw Object.assign(new Error('EISDIR: is a directory'), { code: 'EISDIR' });
      size = st.size;
      const fh = await open(path, 'r');
      try {
        const buf = Buffer.alloc(SNIFF_BYTES);
        const { bytesRead } = await fh.read(buf, 0, SNIFF_BYTES, 0);
        head = buf.subarray(0, bytesRead);
      } finally {
        await fh.close();
      }
    } catch (e) {
      throw new ImportError(`${path}: cannot read (${errnoText(e)})`);
    }
    if (head.length === 0 || (head.length === size && head.toString('utf8').trim() === ''))
      throw new ImportError(`${path}: empty file`);
    const f = forced ?? detectFormat(head, path);
    if (!f) throw new ImportError(`${path}: not a recognised flow file (tried ${formatNames().join(', ')})`);
    out.push({ path, format: f, size });
  }
  return out;
}

interface FileCount {
  flows: number;
  rejected: number;
  firstReject?: { where: number; message: string };
}

function strictError(file: string, where: number, message: string): ImportError {
  return new ImportError(`${file}:${where}: ${message} (--strict: nothing was imported)`);
}

function unreadable(f: PlannedFile, c: FileCount): ImportError {
  const first = c.firstReject ? `; line ${c.firstReject.where}: ${c.firstReject.message}` : '';
  return new ImportError(
    `${f.path}: no flow could be read as ${f.format.name} (${c.rejected} lines rejected${first}); nothing was imported`,
  );
}

/**
 * Reads files without storing anything: the check made before a large
 * import's first commit. Throws what the import itself would throw.
 */
async function check(files: readonly PlannedFile[], strict: boolean): Promise<void> {
  for (const f of files) {
    const c: FileCount = { flows: 0, rejected: 0 };
    await f.format.read(f.path, {
      batch: (b) => {
        c.flows += b.length;
      },
      reject: (where, message) => {
        if (strict) throw strictError(f.path, where, message);
        c.rejected++;
        c.firstReject ??= { where, message };
      },
    });
    if (c.flows === 0 && c.rejected > 0) throw unreadable(f, c);
  }
}

/** Imports files into the store; see the module comment for what is guaranteed. */
export async function importFiles(
  store: FlowStore,
  paths: readonly string[],
  opts: ImportOptions = {},
): Promise<ImportSummary> {
  const files = await planImport(paths, opts.format);
  const strict = opts.strict === true;
  const bufferRows = Math.max(1, opts.bufferRows ?? DEFAULT_BUFFER_ROWS);
  const totalBytes = files.reduce((a, f) => a + f.size, 0);
  const summary: ImportSummary = {
    files: files.length,
    flows: 0,
    packets: 0,
    bytes: 0,
    rejected: 0,
    skipped: 0,
    errors: [],
    perFile: [],
    commits: 0,
  };
  let held: FlowBatch[] = [];
  let heldRows = 0;
  let checked = false; // the rest of the import has been read through once (large imports)
  let committedFlows = 0;
  let bytesBefore = 0;

  const commit = async () => {
    if (heldRows === 0) return;
    for (const b of held) await store.append(b);
    await store.flush();
    summary.commits++;
    committedFlows += heldRows;
    held = [];
    heldRows = 0;
  };

  try {
    for (let fi = 0; fi < files.length; fi++) {
      const f = files[fi]!;
      const c: FileCount = { flows: 0, rejected: 0 };
      const per = { file: f.path, format: f.format.name, flows: 0, rejected: 0, skipped: 0 };
      const sink: ImportSink = {
        batch: async (b) => {
          if (heldRows + b.length > bufferRows) {
            if (!checked) {
              await check(files.slice(fi), strict);
              checked = true;
            }
            await commit();
          }
          held.push(b);
          heldRows += b.length;
          const t = b.totals();
          c.flows += b.length;
          per.flows += b.length;
          summary.flows += b.length;
          summary.packets += t.packets;
          summary.bytes += t.bytes;
        },
        reject: (where, message) => {
          if (strict) throw strictError(f.path, where, message);
          c.rejected++;
          c.firstReject ??= { where, message };
          per.rejected++;
          summary.rejected++;
          if (summary.errors.length < MAX_ERROR_DETAILS)
            summary.errors.push({ file: f.path, where, message });
        },
        skip: () => {
          per.skipped++;
          summary.skipped++;
        },
        progress: (bytes) =>
          opts.onProgress?.({ file: f.path, bytes: bytesBefore + bytes, totalBytes, flows: summary.flows }),
      };
      try {
        await f.format.read(f.path, sink);
      } catch (e) {
        if (e instanceof ImportError) throw e;
        const code = (e as NodeJS.ErrnoException).code;
        if (code) throw new ImportError(`${f.path}: cannot read (${errnoText(e)})`);
        throw e;
      }
      if (c.flows === 0 && c.rejected > 0) throw unreadable(f, c);
      bytesBefore += f.size;
      summary.perFile.push(per);
    }
    await commit();
  } catch (e) {
    if (committedFlows > 0 && e instanceof Error)
      e.message += ` (${committedFlows} flows of this import had already been stored in ${summary.commits} commits)`;
    throw e;
  }
  return summary;
}
