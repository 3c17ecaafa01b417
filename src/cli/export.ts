/** @module `flowhunt export findings|suspects`: hunt findings or the suspicious-IP table for sharing (CSV, JSON, blocklist, STIX). */

import type { Command } from 'commander';
import { readReports } from '../detect/report.js';
import { EXPORT_FORMATS, type ExportFormat, exportFindings, exportSuspects } from '../hunt/export.js';
import { findingsBetween, suspiciousIps } from '../hunt/master.js';
import { declare } from './commands.js';
import {
  action,
  addGlobalOptions,
  context,
  openEnricher,
  type RangeOpts,
  range,
  UsageError,
  withStore,
} from './common.js';

export function register(program: Command): void {
  addGlobalOptions(
    declare(program, 'export')
      .option('--format <format>', EXPORT_FORMATS.join(' | '), 'csv')
      .option('--from <time>', 'findings from this day on')
      .option('--to <time>', 'findings before this day')
      .option('--org <name>', 'only addresses of this organisation of the directory (enrich.directory)'),
  ).action(
    action(async (what: string, opts: RangeOpts & { format: string; org?: string }) => {
      const ctx = await context(opts);
      if (what !== 'findings' && what !== 'suspects')
        throw new UsageError('export what? findings or suspects');
      if (!(EXPORT_FORMATS as readonly string[]).includes(opts.format))
        throw new UsageError(`--format must be one of ${EXPORT_FORMATS.join(', ')}`);
      const format = opts.format as ExportFormat;
      if (what === 'findings' && format === 'stix')
        throw new UsageError(
          'STIX exports suspects (one indicator per address): flowhunt export suspects --format stix',
        );
      const r = range(opts);
      let inOrg = (_ip: string) => true;
      if (opts.org !== undefined) {
        const dir = (await openEnricher(ctx)).directory;
        if (!dir)
          throw new UsageError('--org needs an organisation directory (enrich.directory in the config)');
        if (!dir.organisations.some((o) => o.name === opts.org)) {
          throw new UsageError(`no organisation ${JSON.stringify(opts.org)} in the directory`);
        }
        inOrg = (ip) => dir.lookup(ip)?.name === opts.org;
      }
      await withStore(ctx, async (store) => {
        const findings = (await findingsBetween(store, r.from, r.to)).filter((f) => inOrg(f.ip));
        process.stdout.write(
          what === 'findings'
            ? exportFindings(format, findings)
            : exportSuspects(format, suspiciousIps(findings, await readReports(store))),
        );
      });
    }),
  );
}
