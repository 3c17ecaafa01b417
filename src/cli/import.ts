/**
 * @module `flowhunt import FILE...`: flow files (nfdump CSV, Argus binetflow,
 * JSON lines, and whatever else `src/import/format.ts` lists) into the store.
 */

import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { formatNames, ImportError, type ImportSummary, importFiles, planImport } from '../import/index.js';
import {
  action,
  addGlobalOptions,
  context,
  type GlobalOptions,
  printJson,
  UsageError,
  withStore,
} from './common.js';

/** Rejected lines listed after the summary; the rest are counted. */
const LIST_REJECTED = 20;

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function summaryText(s: ImportSummary): string {
  let out = `imported ${plural(s.flows, 'flow')} (${plural(s.packets, 'packet')}, ${plural(s.bytes, 'byte')}) from ${plural(s.files, 'file')}; ${plural(s.rejected, 'line')} rejected`;
  if (s.skipped > 0) out += `; ${plural(s.skipped, 'non-IP flow')} skipped`;
  out += '\n';
  for (const e of s.errors.slice(0, LIST_REJECTED)) out += `${e.file}:${e.where}: ${e.message}\n`;
  if (s.rejected > LIST_REJECTED) out += `... and ${s.rejected - LIST_REJECTED} more\n`;
  if (s.commits > 1)
    out += `note: the import was larger than the import buffer and was stored in ${s.commits} commits\n`;
  return out;
}

export function register(program: Command): void {
  addGlobalOptions(
    program
      .command('import')
      .description(
        'import flow files into the store (a bad line is skipped and reported; a failed import stores nothing)',
      )
      .argument('<file...>', 'flow files')
      .option('--format <name>', `auto, or one of: ${formatNames().join(', ')}`, 'auto')
      .option('--strict', 'fail on the first line that cannot be read, storing nothing'),
  ).action(
    action(async (files: string[], opts: GlobalOptions & { format: string; strict?: boolean }) => {
      const ctx = await context(opts);
      try {
        // Check the files before the store is even opened: a typo creates no data directory.
        const planned = await planImport(files, opts.format);
        const total = planned.reduce((a, f) => a + f.size, 0);
        const bar = process.stderr.isTTY
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
        let summary: ImportSummary;
        try {
          summary = await withStore(ctx, (store) =>
            importFiles(store, files, {
              format: opts.format,
              strict: opts.strict === true,
              onProgress: (p) => bar?.update(p.bytes, { flows: p.flows, file: p.file }),
            }),
          );
        } finally {
          bar?.stop();
        }
        if (ctx.json) printJson(summary);
        else process.stdout.write(summaryText(summary));
      } catch (e) {
        if (e instanceof ImportError) throw new UsageError(e.message);
        throw e;
      }
    }),
  );
}
