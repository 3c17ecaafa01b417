/** @module `flowhunt detect`: replay the 5-minute windows over stored flows and store the reports. */

import type { Command } from 'commander';
import { detectRange } from '../detect/index.js';
import type { Report } from '../detect/report.js';
import { declare } from './commands.js';
import {
  action,
  addGlobalOptions,
  context,
  fmtNum,
  type GlobalOptions,
  parseTime,
  printJson,
  UsageError,
  withStore,
} from './common.js';
import { reportLine } from './report-line.js';

export function register(program: Command): void {
  addGlobalOptions(
    declare(program, 'detect')
      .requiredOption('--from <time>', 'first window (ISO 8601)')
      .requiredOption('--to <time>', 'end (exclusive)'),
  ).action(
    action(async (opts: GlobalOptions & { from: string; to: string }) => {
      const ctx = await context(opts);
      const from = parseTime(opts.from, '--from');
      const to = parseTime(opts.to, '--to');
      if (to <= from) throw new UsageError('--to must be after --from');
      await withStore(ctx, async (store) => {
        const all: Report[] = [];
        let shown = Date.now();
        await detectRange(
          store,
          from,
          to,
          { thresholds: ctx.config.detect, interfaceNames: ctx.config.interfaces },
          (w) => {
            all.push(...w.reports);
            if (!ctx.json) for (const r of w.reports) process.stdout.write(`${reportLine(r)}\n`);
          },
          (p) => {
            // A long replay says how far it is (at most once a second), on stderr.
            const now = Date.now();
            if (p.done < p.total && now - shown < 1000) return;
            shown = now;
            process.stderr.write(
              `detect: ${p.done}/${p.total} windows with flows (${Math.floor((p.done / p.total) * 100)}%)${process.stderr.isTTY && p.done < p.total ? '\r' : '\n'}`,
            );
          },
        );
        if (ctx.json) printJson(all);
        else process.stderr.write(`${fmtNum(all.length)} reports\n`);
      });
    }),
  );
}
