/** @module `flowhunt reports`: list the stored anomaly reports. */

import type { Command } from 'commander';
import { readReports } from '../detect/report.js';
import { ANOMALY_TYPES } from '../detect/rules.js';
import { normalizeAddress } from '../flow/address.js';
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
    declare(program, 'reports')
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
        for (const r of reports) process.stdout.write(`${reportLine(r)}\n`);
        process.stderr.write(`${fmtNum(reports.length)} reports\n`);
      });
    }),
  );
}
