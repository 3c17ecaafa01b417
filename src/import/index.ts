/**
 * @module Import: flow files into the store, without damaging what is there.
 *
 * What an operator can count on:
 * - A line that cannot be read is skipped and reported (file, line, reason);
 *   the rest of the file is imported.
 * - Anything that makes the command fail — a missing or unreadable file, a
 *   directory (without `recursive`: then it stands for the flow files under it), an empty file, a file in no known format, `--strict` and a
 *   bad line, a file none of whose lines could be read — leaves the store
 *   exactly as it was: nothing of any file is written.
 * - How: every file is checked (opened, sniffed) before anything is read;
 *   the flows read are held in an import buffer ({@link ImportOptions.bufferRows},
 *   half a million flows by default, about 64 MB) and written to the store
 *   (`append` + `flush`) only once all files have been read. An import
 *   larger than the buffer is first checked without storing anything, to
 *   find those failures (under `--strict` the rest of it is read through;
 *   otherwise each file not yet begun is read up to its first flow, which
 *   is all a file that fails as a whole needs), and then written in
 *   buffer-sized commits; the
 *   summary says how many (`commits`). Only an I/O or store failure during
 *   those commits can leave part of such an import stored, and the error
 *   then says how many flows were.
 * - A flow whose end time is implausible (before `ingest.earliest`, more than
 *   `ingest.maxAheadHours` ahead of this machine's clock, or no time at all)
 *   is rejected and counted by reason (`timeRejected`); archives of any age
 *   since `earliest` are fine. A commit holds at most `maxDays` days (default
 *   32): an import whose flows are scattered over many days commits early
 *   rather than writing thousands of day partitions at once.
 * - Times printed without a zone (nfdump CSV, binetflow) are read in
 *   `opts.tz` (`--tz`); without it, in this machine's zone, and the summary
 *   carries one warning line saying so (`warnings`). Zeek, JSON lines and the
 *   binary formats carry instants and need no zone.
 * - Running the same command again continues a stopped import (an error, a
 *   full disk, SIGINT/SIGTERM, `kill -9`) without storing a flow twice, and
 *   says so: see `resume.ts`. An interrupted import says in one line how many
 *   flows of it are stored.
 * Memory is bounded by the buffer, whatever the size of the files.
 */

import { open, stat } from 'node:fs/promises';
import { FlowhuntError } from '../errors.js';
import { DAY_MS, type FlowBatch } from '../flow/batch.js';
import {
  DEFAULT_TIME_POLICY,
  importWindow,
  screenTimes,
  type TimeCounts,
  type TimePolicy,
  type TimeReason,
  type TimeWindow,
  zeroCounts,
} from '../flow/plausible.js';
import { type FlowStore, StoreError } from '../store/types.js';
import {
  detectFormat,
  formatByName,
  formatNames,
  type ImportFormat,
  type ImportSink,
  type ReadOptions,
  SNIFF_BYTES,
} from './format.js';

import {
  type CommitDoc,
  type CommitRange,
  fileIdentity,
  importKey,
  loadProgress,
  rangesText,
  saveProgress,
  storedPerFile,
} from './resume.js';
import { readFile } from './threaded.js';
import { localZone, type TimeZone } from './times.js';
import { filesUnder } from './tree.js';

export { formatNames } from './format.js';
export { parseTimeZone, type TimeZone } from './times.js';

/** An import that failed as a whole; the message is one line for a person. */
export class ImportError extends FlowhuntError {
  override name = 'ImportError';

  constructor(message: string) {
    super('import_failed', message);
  }
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
  /** Days one commit may hold (default 32); more commit early. */
  maxDays?: number;
  /** The plausible window of flow times (config key `ingest`). */
  times?: TimePolicy;
  /** Stops the import at the next batch (SIGINT/SIGTERM); what is committed stays, and a rerun continues. */
  signal?: AbortSignal;
  /** Where "resuming: ..." lines go (default: nowhere). */
  log?: (line: string) => void;
  /** The clock, for tests. */
  now?: number;
  /**
   * The zone of times printed without one (nfdump CSV, binetflow; `--tz`).
   * Without it they are read in this process's zone, and the summary warns.
   */
  tz?: TimeZone;
  /** A directory stands for the flow files under it (`--recursive`). */
  recursive?: boolean;
  /** Files from this size on are read in a worker thread while this one stores (see `threaded.ts`; tests set 0). */
  threadMinBytes?: number;
}

/** A flow rejected for its time: the file, its 1-based number among the file's flows, why. */
export interface TimeRejection {
  file: string;
  flow: number;
  reason: TimeReason;
  te: number;
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
  /** Flows an earlier run of this same import had already stored (not stored again, not in `flows`). */
  resumed: number;
  /** Flows rejected for an implausible time, by reason. */
  timeRejected: TimeCounts;
  /** The first {@link MAX_ERROR_DETAILS} of them. */
  timeErrors: TimeRejection[];
  /** One line each, for the operator (e.g. times read without `--tz`). */
  warnings: string[];
  /** Files under a directory (`--recursive`) that are no flow file, passed over. */
  skippedFiles: { file: string; why: string }[];
}

export const MAX_ERROR_DETAILS = 100;
const DEFAULT_BUFFER_ROWS = 500_000;
const DEFAULT_MAX_DAYS = 32;

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

/** Options of {@link planImport}. */
export interface PlanOptions {
  /** A directory stands for the flow files under it (see `tree.ts`). */
  recursive?: boolean;
  /** Receives the files under a directory that are no flow file (passed over, not an error). */
  onSkipped?: (path: string, why: string) => void;
}

/** The first bytes of a file and its size; throws {@link ImportError} when it cannot be read. */
async function head(path: string): Promise<{ size: number; head: Buffer; dir: boolean }> {
  try {
    const st = await stat(path);
    if (st.isDirectory()) return { size: 0, head: Buffer.alloc(0), dir: true };
    const fh = await open(path, 'r');
    try {
      const buf = Buffer.alloc(SNIFF_BYTES);
      const { bytesRead } = await fh.read(buf, 0, SNIFF_BYTES, 0);
      return { size: st.size, head: buf.subarray(0, bytesRead), dir: false };
    } finally {
      await fh.close();
    }
  } catch (e) {
    throw new ImportError(`${path}: cannot read (${errnoText(e)})`);
  }
}

const isEmpty = (h: Buffer, size: number) =>
  h.length === 0 || (h.length === size && h.toString('utf8').trim() === '');

/**
 * Checks every file and settles its format, reading only its first bytes.
 * Throws {@link ImportError} for the first file that cannot be imported.
 * With `recursive`, a directory stands for the files under it; those that
 * are empty or in no known format are passed over (`onSkipped`), and a
 * directory with no flow file under it is an error.
 */
export async function planImport(
  paths: readonly string[],
  format = 'auto',
  opts: PlanOptions = {},
): Promise<PlannedFile[]> {
  const forced = format === 'auto' ? undefined : formatByName(format);
  if (format !== 'auto' && !forced)
    throw new ImportError(
      `unknown format ${JSON.stringify(format)}; use one of: auto, ${formatNames().join(', ')}`,
    );
  if (paths.length === 0) throw new ImportError('no file to import');
  const out: PlannedFile[] = [];
  for (const path of paths) {
    const h = await head(path);
    if (h.dir) {
      if (!opts.recursive)
        throw new ImportError(
          `${path}: cannot read (EISDIR: is a directory; use --recursive to import the flow files under it)`,
        );
      let files: string[];
      try {
        files = await filesUnder(path);
      } catch (e) {
        throw new ImportError(`${path}: cannot read (${errnoText(e)})`);
      }
      let found = 0;
      for (const file of files) {
        const fh = await head(file);
        if (isEmpty(fh.head, fh.size)) {
          opts.onSkipped?.(file, 'empty file');
          continue;
        }
        // Under a directory a forced format still has to recognise the file: the tree holds other files too.
        const f = forced ? (forced.sniff(fh.head, file) ? forced : undefined) : detectFormat(fh.head, file);
        if (!f) {
          opts.onSkipped?.(file, forced ? `not a ${forced.name} file` : 'not a recognised flow file');
          continue;
        }
        out.push({ path: file, format: f, size: fh.size });
        found++;
      }
      if (found === 0) throw new ImportError(`${path}: no flow file under this directory`);
      continue;
    }
    if (isEmpty(h.head, h.size)) throw new ImportError(`${path}: empty file`);
    const f = forced ?? detectFormat(h.head, path);
    if (!f) throw new ImportError(`${path}: not a recognised flow file (tried ${formatNames().join(', ')})`);
    out.push({ path, format: f, size: h.size });
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

function timeText(te: number): string {
  return Number.isFinite(te) && Math.abs(te) <= 8.64e15 ? new Date(te).toISOString() : String(te);
}

const REASON_TEXT: Record<TimeReason, string> = {
  invalid_time: 'is not a time from 1970 to 9999',
  before_earliest: 'is before ingest.earliest',
  future: "is more than ingest.maxAheadHours ahead of this machine's clock",
  stale: 'is older than ingest.liveMaxAgeDays',
};

export function timeRejectionText(r: TimeRejection): string {
  return `${r.file}: flow ${r.flow}: end time ${timeText(r.te)} ${REASON_TEXT[r.reason]} (${r.reason})`;
}

function strictTimeError(r: TimeRejection): ImportError {
  return new ImportError(`${timeRejectionText(r)} (--strict: nothing was imported)`);
}

function unreadable(f: PlannedFile, c: FileCount): ImportError {
  const first = c.firstReject ? `; line ${c.firstReject.where}: ${c.firstReject.message}` : '';
  return new ImportError(
    `${f.path}: no flow could be read as ${f.format.name} (${c.rejected} lines rejected${first}); nothing was imported`,
  );
}

/** Screens a batch's times; under --strict the first rejection throws. `seen` = the file's flows before this batch. */
function screen(
  b: FlowBatch,
  w: TimeWindow,
  counts: TimeCounts,
  file: string,
  seen: number,
  strict: boolean,
  onReject?: (r: TimeRejection) => void,
): void {
  const te = strict || onReject ? b.te.slice(0, b.length) : null;
  screenTimes(b, w, counts, (i, reason) => {
    const r = { file, flow: seen + i + 1, reason, te: te![i]! };
    if (strict) throw strictTimeError(r);
    onReject?.(r);
  });
}

/** Adds the days of `te[0..n)` to `days` (a plain function the engine optimises alone, not a loop in the async sink). */
function addDays(days: Set<number>, te: Float64Array, n: number): void {
  let prev = Number.NaN;
  for (let i = 0; i < n; i++) {
    const d = Math.floor(te[i]! / DAY_MS);
    if (d !== prev) days.add(d);
    prev = d;
  }
}

/** Thrown by the check's sink to end a file's read once the file is known to be importable. */
class Readable extends Error {}

/**
 * Reads files without storing anything: the check made before a large
 * import's first commit. Throws what the import itself would throw.
 * Under `strict` every line can fail the import, so every file is read to
 * its end; otherwise a file fails only when none of its flows can be read,
 * so its read stops at its first flow, and the file being imported
 * (`first`, already `started` when it gave a flow) is not read again.
 */
async function check(
  files: readonly PlannedFile[],
  strict: boolean,
  w: TimeWindow,
  readOpts: ReadOptions,
  started: boolean,
): Promise<void> {
  for (const [k, f] of files.entries()) {
    if (k === 0 && started && !strict) continue;
    const c: FileCount = { flows: 0, rejected: 0 };
    let seen = 0;
    try {
      await f.format.read(
        f.path,
        {
          batch: (b) => {
            const n = b.length;
            if (strict) screen(b, w, zeroCounts(), f.path, seen, true);
            else if (n > 0) throw new Readable();
            seen += n;
            c.flows += n;
          },
          reject: (where, message) => {
            if (strict) throw strictError(f.path, where, message);
            c.rejected++;
            c.firstReject ??= { where, message };
          },
        },
        readOpts,
      );
    } catch (e) {
      if (e instanceof Readable) continue;
      throw e;
    }
    if (c.flows === 0 && c.rejected > 0) throw unreadable(f, c);
  }
}

/**
 * The warning for files whose times carry no zone, read without `--tz`:
 * one line for the whole import, naming the zone used.
 */
export function noZoneWarning(
  files: readonly { path: string; format: ImportFormat }[],
  tz?: TimeZone,
): string | undefined {
  if (tz) return undefined;
  const zoneless = files.filter((f) => f.format.zoneless);
  if (zoneless.length === 0) return undefined;
  const first = zoneless[0]!;
  const more = zoneless.length > 1 ? ` (and ${zoneless.length - 1} more files)` : '';
  return `warning: ${first.path}${more}: ${first.format.name} times carry no time zone; read as ${localZone().name} time — give --tz ZONE (e.g. Europe/Prague, +08:00) if they were written elsewhere`;
}

/** A stop asked for from outside (SIGINT, SIGTERM): the import ends at the next batch. */
export class ImportInterrupted extends Error {
  override name = 'ImportInterrupted';
}

/** Imports files into the store; see the module comment for what is guaranteed. */
export async function importFiles(
  store: FlowStore,
  paths: readonly string[],
  opts: ImportOptions = {},
): Promise<ImportSummary> {
  const skippedFiles: { file: string; why: string }[] = [];
  const files = await planImport(paths, opts.format, {
    recursive: opts.recursive === true,
    onSkipped: (file, why) => skippedFiles.push({ file, why }),
  });
  const strict = opts.strict === true;
  const bufferRows = Math.max(1, opts.bufferRows ?? DEFAULT_BUFFER_ROWS);
  const maxDays = Math.max(1, opts.maxDays ?? DEFAULT_MAX_DAYS);
  const policy = opts.times ?? DEFAULT_TIME_POLICY;
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
    resumed: 0,
    timeRejected: zeroCounts(),
    timeErrors: [],
    warnings: [],
    skippedFiles,
  };
  const zoneWarning = noZoneWarning(files, opts.tz);
  if (zoneWarning) summary.warnings.push(zoneWarning);
  const readOpts: ReadOptions = opts.tz ? { tz: opts.tz } : {};
  const threadOpts = opts.threadMinBytes === undefined ? {} : { threadMinBytes: opts.threadMinBytes };

  // Which import this is, and what an earlier run of it committed.
  const identities = await Promise.all(
    files.map((f) =>
      fileIdentity(f.path).catch((e) => {
        throw new ImportError(`${f.path}: cannot read (${errnoText(e)})`);
      }),
    ),
  );
  let window = importWindow(policy, opts.now);
  const key = importKey({
    files: files.map((f, i) => ({ identity: identities[i]!, format: f.format.name })),
    strict,
    bufferRows,
    maxDays,
    earliest: window.earliest,
    ...(opts.tz ? { tz: opts.tz.name } : {}),
  });
  const done: CommitDoc[] = await loadProgress(store, key);
  if (done.length > 0) {
    window = { ...window, latest: done[0]!.latest };
    const per = storedPerFile(done);
    for (const [i, n] of [...per.entries()].sort((a, b) => a[0] - b[0]))
      opts.log?.(`resuming: ${n} flows of ${files[i]!.path} already stored`);
  }

  let held: FlowBatch[] = [];
  let heldRows = 0;
  /** The packets and bytes of the held flows (summed as they come, for the commit's progress document). */
  let heldTotals = { packets: 0, bytes: 0 };
  let heldDays = new Set<number>();
  let heldRanges: CommitRange[] = [];
  let checked = false; // the rest of the import has been read through once (large imports)
  let commitNo = 0;
  let committedFlows = 0;
  let partial: { commit: number; flows: number } | undefined;
  let bytesBefore = 0;

  /** The commit whose flush is under way while the next commit's flows are read (see {@link commit}). */
  let writing: Promise<void> | undefined;
  /** The commit under way failed: the read stops at the next batch. */
  let writeFailed = false;
  /** Waits for the commit under way; throws its failure. */
  const settle = async () => {
    const w = writing;
    writing = undefined;
    await w;
  };

  /**
   * Commits the held flows: stages them, then lets the store write them
   * (DuckDB's own threads compress the Parquet files) while the reader goes
   * on with the next commit's flows. One commit is written at a time and in
   * order: the next one waits for this one's flush and its progress document.
   */
  const commit = async () => {
    if (heldRows === 0) return;
    await settle();
    const k = commitNo++;
    const prev = done[k];
    const rows = heldRows;
    const ranges = heldRanges;
    const totals = heldTotals;
    if (prev) {
      // An earlier run stored exactly these flows: count them, store nothing.
      if (prev.flows !== rows)
        throw new ImportError(
          `the files differ from the interrupted import's (commit ${k + 1} held ${prev.flows} flows, now ${rows}); nothing more was imported`,
        );
      summary.resumed += rows;
      summary.flows -= rows;
      summary.packets -= totals.packets;
      summary.bytes -= totals.bytes;
    } else {
      const batch = `${key}-${k}`;
      for (const b of held) await store.append(b);
      const latest = window.latest;
      const write = async () => {
        try {
          await store.flush(batch);
        } catch (e) {
          // Some days of this commit may be written (a rerun skips them by the batch id): say how many.
          const staged = store.writeState?.()?.stagedRows;
          if (staged !== undefined) partial = { commit: k, flows: Math.max(0, rows - staged) };
          writeFailed = true;
          throw e;
        }
        committedFlows += rows;
        summary.commits++;
        done.push({
          v: 1,
          key,
          commit: k,
          batch,
          flows: rows,
          ...totals,
          ranges,
          latest,
          at: new Date().toISOString(),
        });
        await saveProgress(store, key, done);
      };
      writing = write();
      writing.catch(() => undefined); // awaited by the next commit, the end, or the error path
    }
    held = [];
    heldRows = 0;
    heldTotals = { packets: 0, bytes: 0 };
    heldDays = new Set();
    heldRanges = [];
  };

  const flushHeld = async (fi: number, started: boolean) => {
    if (!checked) {
      await check(files.slice(fi), strict, window, readOpts, started);
      checked = true;
    }
    await commit();
  };

  /** The end of the longest run of `b` from `start` that keeps the held days within `maxDays`. */
  const fitDays = (b: FlowBatch, start: number): number => {
    const added = new Set<number>();
    let end = start;
    let last = Number.NaN; // flows come in runs of one day: most need no set lookup
    for (; end < b.length; end++) {
      const d = Math.floor(b.te[end]! / DAY_MS);
      if (d === last) continue;
      last = d;
      if (heldDays.has(d) || added.has(d)) continue;
      if (heldDays.size + added.size >= maxDays) break;
      added.add(d);
    }
    return end;
  };

  try {
    for (let fi = 0; fi < files.length; fi++) {
      const f = files[fi]!;
      const c: FileCount = { flows: 0, rejected: 0 };
      const per = { file: f.path, format: f.format.name, flows: 0, rejected: 0, skipped: 0 };
      let seen = 0; // flows read from this file, before screening
      let kept = 0; // flows kept, the numbering of commit ranges
      const sink: ImportSink = {
        batch: async (b) => {
          if (opts.signal?.aborted) throw new ImportInterrupted(String(opts.signal.reason ?? 'interrupted'));
          if (writeFailed) await settle();
          const read = b.length;
          screen(b, window, summary.timeRejected, f.path, seen, strict, (r) => {
            if (summary.timeErrors.length < MAX_ERROR_DETAILS) summary.timeErrors.push(r);
          });
          seen += read;
          let start = 0;
          while (start < b.length) {
            const end = fitDays(b, start);
            if (end === start || (heldRows > 0 && heldRows + (end - start) > bufferRows)) {
              await flushHeld(fi, seen > 0);
              continue;
            }
            const part = start === 0 && end === b.length ? b : b.slice(start, end);
            addDays(heldDays, part.te, part.length);
            held.push(part);
            heldRows += part.length;
            const last = heldRanges.at(-1);
            if (last && last.index === fi) last.to += part.length;
            else heldRanges.push({ file: f.path, index: fi, from: kept, to: kept + part.length });
            kept += part.length;
            const t = part.totals();
            c.flows += part.length;
            per.flows += part.length;
            summary.flows += part.length;
            summary.packets += t.packets;
            summary.bytes += t.bytes;
            heldTotals.packets += t.packets;
            heldTotals.bytes += t.bytes;
            start = end;
          }
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
        await readFile(f.format, f.path, f.size, sink, readOpts, threadOpts);
      } catch (e) {
        if (e instanceof ImportError || e instanceof ImportInterrupted || e instanceof StoreError) throw e;
        const code = (e as NodeJS.ErrnoException).code;
        if (code) throw new ImportError(`${f.path}: cannot read (${errnoText(e)})`);
        throw e;
      }
      if (c.flows === 0 && c.rejected > 0) throw unreadable(f, c);
      bytesBefore += f.size;
      summary.perFile.push(per);
    }
    await commit();
    await settle();
  } catch (e) {
    // A commit still being written decides what is stored: wait for it (its own failure, if any, is `partial`).
    await settle().catch(() => undefined);
    const extra = partial?.flows ?? 0;
    const stored = done.reduce((a, d) => a + d.flows, 0) + extra;
    if (stored > 0 && e instanceof Error) {
      const fresh =
        committedFlows > 0 ? `, ${committedFlows} of them by this run in ${summary.commits} commits` : '';
      const part =
        extra > 0 ? `${done.length ? ', and ' : ''}${extra} flows of commit ${partial!.commit + 1}` : '';
      const what = `${stored} flows of this import are stored (${rangesText(done)}${part}${fresh}); run the same command again to continue without duplicates`;
      const detail = (e as { detail?: string }).detail;
      const why = detail ? `cannot write to the store (${detail})` : e.message.split('\n')[0];
      const msg = `${e instanceof ImportInterrupted ? `import stopped (${e.message})` : why}; ${what}`;
      if (e instanceof ImportError || e instanceof ImportInterrupted || (e as NodeJS.ErrnoException).code)
        throw new ImportError(msg);
      e.message = msg;
    } else if (e instanceof ImportInterrupted) {
      throw new ImportError(`import stopped (${e.message}); nothing of it was stored`);
    }
    throw e;
  }
  return summary;
}
