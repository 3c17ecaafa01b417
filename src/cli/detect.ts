/** @module `flowhunt detect` (replay 5-minute windows over stored flows) and `flowhunt reports`. */

import type { Command } from 'commander';
import { detectRange } from '../detect/index.js';
import type { Report } from '../detect/report.js';
import { readReports } from '../detect/report.js';
import { ANOMALY_TYPES } from '../detect/rules.js';
import { normalizeAddress } from '../flow/address.js';
import {
  action,
  addGlobalOptions,
  context,
  type GlobalOptions,
  parseTime,
  printJson,
  UsageError,
  withStore,
} from './common.js';

function line(r: Report): string {
  const top = r.exceeded
    .filter((e) => e.op === '>=')
    .map((e) => `${e.metric} ${e.value} ≥ ${e.threshold}`)
    .join('; ');
  return `${new Date(r.windowStart).toISOString().slice(0, 16)}Z  ${r.type.padEnd(17)} ${r.role.padEnd(11)} ${r.ip.padEnd(16)} score ${String(r.score).padStart(6)}  ${top}  (streak ${r.duration.streak}, ${r.duration.minutes} min)`;
}

export function register(program: Command): void {
  addGlobalOptions(
    program
      .command('detect')
      .description('replay the 5-minute detection over stored flows and store the reports')
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
        await detectRange(
          store,
          from,
          to,
          { thresholds: ctx.config.detect, interfaceNames: ctx.config.interfaces },
          (w) => {
            all.push(...w.reports);
            if (!ctx.json) for (const r of w.reports) process.stdout.write(`${line(r)}\n`);
          },
        );
        if (ctx.json) printJson(all);
        else process.stderr.write(`${all.length} reports\n`);
      });
    }),
  );

  addGlobalOptions(
    program
      .command('reports')
      .description('list stored anomaly reports')
      .option('--from <time>', 'from this window on')
      .option('--to <time>', 'windows before this time')
      .option('--type <type>', `one of ${ANOMALY_TYPES.join(', ')}`)
      .option('--ip <addr>', 'reports about this address'),
  ).action(
    action(async (opts: GlobalOptions & { from?: string; to?: string; type?: string; ip?: string }) => {
      const ctx = await context(opts);
      if (opts.type && !(ANOMALY_TYPES as readonly string[]).includes(opts.type)) {
        throw new UsageError(`--type must be one of ${ANOMALY_TYPES.join(', ')}`);
      }
      const ip = opts.ip ? normalizeAddress(opts.ip) : undefined;
      if (opts.ip && !ip) throw new UsageError(`--ip ${JSON.stringify(opts.ip)} is not an IP address`);
      const from = opts.from ? parseTime(opts.from, '--from') : undefined;
      const to = opts.to ? parseTime(opts.to, '--to') : undefined;
      await withStore(ctx, async (store) => {
        const reports = (await readReports(store, from, to))
          .filter((r) => !opts.type || r.type === opts.type)
          .filter((r) => !ip || r.ip === ip);
        if (ctx.json) return printJson(reports);
        for (const r of reports) process.stdout.write(`${line(r)}\n`);
        process.stderr.write(`${reports.length} reports\n`);
      });
    }),
  );
}
