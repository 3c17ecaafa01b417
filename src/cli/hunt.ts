/** @module `flowhunt hunt`: every stored day in a range hunted for the hosts that use the signatures. */

import type { Command } from 'commander';
import { readReports } from '../detect/report.js';
import { DEFAULT_HUNT, huntOptionsOf } from '../hunt/hunt.js';
import { learnAndHunt } from '../hunt/run.js';
import { parseSignature, SIGNATURE_FORMS } from '../hunt/signature.js';
import { declare } from './commands.js';
import {
  action,
  addGlobalOptions,
  context,
  printJson,
  type RangeOpts,
  range,
  UsageError,
  withStore,
} from './common.js';
import { printFindings } from './findings-table.js';

export function register(program: Command): void {
  addGlobalOptions(
    declare(program, 'hunt')
      .requiredOption('--from <time>')
      .requiredOption('--to <time>')
      .option(
        '--signature <sig...>',
        `${SIGNATURE_FORMS.split(' (e.g.')[0]} (default: every learned signature)`,
      )
      .option(
        '--min-targets <n>',
        `distinct targets a host needs in a day (default ${DEFAULT_HUNT.minTargets}, or the config's hunt.minTargets)`,
      ),
  ).action(
    action(async (opts: RangeOpts & { signature?: string[]; minTargets?: string }) => {
      const ctx = await context(opts);
      const r = range(opts);
      const h = ctx.config.hunt;
      const minTargets = opts.minTargets === undefined ? h.minTargets : Number(opts.minTargets);
      if (!(Number.isInteger(minTargets) && minTargets >= 1))
        throw new UsageError('--min-targets must be a positive whole number');
      await withStore(ctx, async (store) => {
        const reports = await readReports(store, undefined, r.to);
        const given = opts.signature?.map((t) => {
          const s = parseSignature(t);
          if (!s)
            throw new UsageError(`--signature ${JSON.stringify(t)} is not a signature (${SIGNATURE_FORMS})`);
          return s;
        });
        const { findings: found, hunted } = await learnAndHunt(store, reports, r.from!, r.to!, {
          minShare: h.minShare,
          hunt: { ...huntOptionsOf(h), minTargets },
          ...(given ? { signatures: given } : {}),
          onDay: (day, f) => {
            if (!ctx.json) process.stderr.write(`${day}: ${f.length} findings\n`);
          },
        });
        if (hunted.length === 0)
          throw new UsageError('no signatures learned yet: run `flowhunt detect` first, or pass --signature');
        if (ctx.json) return printJson(found);
        printFindings(found);
      });
    }),
  );
}
