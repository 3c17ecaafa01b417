/**
 * @module `flowhunt import PATH...`: flow files (nfcapd files, nfdump CSV,
 * Argus binetflow, Zeek conn.log, JSON lines, and whatever else
 * `src/import/format.ts` lists) into the store; with `--recursive`, whole
 * nfcapd/NfSen trees; `--tz` for the formats whose times carry no zone.
 */

import { availableParallelism, totalmem } from 'node:os';
import type { Command } from 'commander';
import { countsText, countsTotal } from '../flow/plausible.js';
import {
  formatNames,
  type ImportSummary,
  importFiles,
  parseTimeZone,
  planImport,
  timeRejectionText,
} from '../import/index.js';
import { prestartReader, THREAD_MIN_BYTES } from '../import/threaded.js';
import { declare } from './commands.js';
import {
  action,
  addGlobalOptions,
  context,
  fmtNum,
  type GlobalOptions,
  parsePositiveInt,
  printJson,
  UsageError,
  withStore,
} from './common.js';

/**
 * DuckDB's `memory_limit` for an import whose configuration sets no `storeMemoryLimit`: 512 MiB, or
 * 128 MiB a core where that is more (DuckDB's threads are the cores; some 128 MiB a thread is what it
 * needs at least), and never more than DuckDB's own default, 80 % of the machine's memory. At that
 * default an import's memory grew with the file, the day's compactions keeping what they were let keep:
 * a 2 GB nfcapd file of one day peaked at 3.8 GiB, a 4 GB one at 5.5 GiB; at 512 MiB at 1.1 GiB both,
 * with the sorts spilling, and no slower (`bench/import-big.js`, README). A configured limit is used as given.
 */
export function importMemoryLimit(machineBytes = totalmem(), cores = availableParallelism()): string {
  const want = Math.max(512, 128 * cores);
  return `${Math.max(1, Math.min(want, Math.floor((0.8 * machineBytes) / 2 ** 20)))}MiB`;
}

/** Rejected lines listed after the summary; the rest are counted. */
const LIST_REJECTED = 20;

/** A count with its noun, grouped like every count the CLI prints (fmtNum): `1,234 flows`. */
const plural = (n: number, one: string, many = `${one}s`) => `${fmtNum(n)} ${n === 1 ? one : many}`;

export function summaryText(s: ImportSummary): string {
  let out = `imported ${plural(s.flows, 'flow')} (${plural(s.packets, 'packet')}, ${plural(s.bytes, 'byte')}) from ${plural(s.files, 'file')}; ${plural(s.rejected, 'line')} rejected`;
  if (s.skipped > 0) out += `; ${plural(s.skipped, 'non-IP or management record')} skipped`;
  const timed = countsTotal(s.timeRejected);
  if (timed > 0)
    out += `; ${plural(timed, 'flow')} rejected for an implausible time (${countsText(s.timeRejected)})`;
  if (s.resumed > 0) out += `; ${plural(s.resumed, 'flow')} already stored by an earlier run of this import`;
  if (s.skippedFiles.length > 0)
    out += `; ${plural(s.skippedFiles.length, 'file')} under the directories passed over`;
  out += '\n';
  for (const f of s.skippedFiles.slice(0, LIST_REJECTED)) out += `${f.file}: ${f.why} (passed over)\n`;
  if (s.skippedFiles.length > LIST_REJECTED)
    out += `... and ${s.skippedFiles.length - LIST_REJECTED} more files passed over\n`;
  for (const e of s.errors.slice(0, LIST_REJECTED)) out += `${e.file}:${e.where}: ${e.message}\n`;
  if (s.rejected > LIST_REJECTED) out += `... and ${fmtNum(s.rejected - LIST_REJECTED)} more\n`;
  for (const r of s.timeErrors.slice(0, LIST_REJECTED)) out += `${timeRejectionText(r)}\n`;
  if (timed > LIST_REJECTED)
    out += `... and ${fmtNum(timed - LIST_REJECTED)} more flows rejected for their time\n`;
  if (s.commits > 1)
    out += `note: the import was larger than the import buffer and was stored in ${s.commits} commits\n`;
  return out;
}

export function register(program: Command): void {
  addGlobalOptions(
    declare(program, 'import')
      .option('--format <name>', `auto, or one of: ${formatNames().join(', ')}`, 'auto')
      .option(
        '-R, --recursive',
        'import the flow files under each directory (an nfcapd or NfSen tree), in name order',
      )
      .option(
        '--tz <zone>',
        "zone of the times nfdump CSV and binetflow print without one: an IANA name (Europe/Prague), UTC, or an offset (+08:00); default this machine's, with a warning",
      )
      .option('--strict', 'fail on the first line that cannot be read, storing nothing')
      .option(
        '--commit-flows <n>',
        'flows held before each commit to the store (memory: about 128 bytes a flow; default 500000)',
      ),
  ).action(
    action(
      async (
        files: string[],
        opts: GlobalOptions & {
          format: string;
          tz?: string;
          strict?: boolean;
          commitFlows?: string;
          recursive?: boolean;
        },
      ) => {
        const ctx = await context(opts);
        const bufferRows =
          opts.commitFlows === undefined ? undefined : parsePositiveInt(opts.commitFlows, '--commit-flows');
        const tz = opts.tz === undefined ? undefined : parseTimeZone(opts.tz);
        if (opts.tz !== undefined && !tz)
          throw new UsageError(
            `--tz ${JSON.stringify(opts.tz)} is not a time zone: give an IANA name (Europe/Prague, Asia/Taipei), UTC, or an offset (+08:00, -0530)`,
          );
        // Check the files before the store is even opened: a typo creates no data directory.
        const recursive = opts.recursive === true;
        const planned = await planImport(files, opts.format, { recursive });
        const total = planned.reduce((a, f) => a + f.size, 0);
        // A file to be read in a thread of its own: that thread loads while the store opens.
        if (planned.some((f) => f.size >= THREAD_MIN_BYTES)) prestartReader();
        // The progress bar's library is loaded only for a terminal.
        const cliProgress = process.stderr.isTTY ? (await import('cli-progress')).default : undefined;
        const bar = cliProgress
          ? new cliProgress.SingleBar(
              {
                stream: process.stderr,
                format: 'importing [{bar}] {percentage}% | {flows} flows | {file}',
                hideCursor: true,
                clearOnComplete: true,
              },
              cliProgress.Presets.shades_classic,
            )
          : undefined;
        bar?.start(total, 0, { flows: 0, file: '' });
        // SIGINT/SIGTERM stop the import at the next batch: what is committed stays, a rerun continues.
        const stop = new AbortController();
        const onSignal = (sig: NodeJS.Signals) => stop.abort(sig);
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        let summary: ImportSummary;
        try {
          summary = await withStore(
            ctx,
            (store) =>
              importFiles(store, files, {
                format: opts.format,
                strict: opts.strict === true,
                ...(tz ? { tz } : {}),
                recursive,
                ...(bufferRows ? { bufferRows } : {}),
                times: ctx.config.ingest,
                maxDays: ctx.config.ingest.maxDaysPerFlush,
                signal: stop.signal,
                log: (line) => {
                  bar?.stop();
                  process.stderr.write(`flowhunt: ${line}\n`);
                },
                onProgress: (p) => bar?.update(p.bytes, { flows: p.flows, file: p.file }),
              }),
            // The store must not flush by itself inside a commit (its flush would not carry the commit's id).
            {
              maxPendingRows: Math.max(2_000_000, (bufferRows ?? 500_000) + 1),
              maxPendingDays: ctx.config.ingest.maxDaysPerFlush,
              create: true,
              // Bounded whatever the file; a configured storeMemoryLimit wins (withStore).
              memoryLimit: importMemoryLimit(),
            },
          );
        } finally {
          bar?.stop();
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
        if (ctx.json) printJson(summary);
        else process.stdout.write(summaryText(summary));
        // After the summary, on stderr: a failed import prints its one error line only.
        for (const w of summary.warnings) process.stderr.write(`flowhunt: ${w}\n`);
      },
    ),
  );
}
