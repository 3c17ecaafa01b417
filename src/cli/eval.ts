/** @module `flowhunt eval --truth FILE`: score the stored reports, signatures and findings against a simulator truth. */

import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { readReports } from '../detect/report.js';
import { score } from '../eval/score.js';
import { learnSignatures } from '../hunt/catalog.js';
import { findingsBetween } from '../hunt/master.js';
import type { Truth } from '../simulate/truth.js';
import { declare } from './commands.js';
import {
  action,
  addGlobalOptions,
  context,
  type GlobalOptions,
  printJson,
  UsageError,
  withStore,
} from './common.js';

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

export function register(program: Command): void {
  addGlobalOptions(
    declare(program, 'eval').requiredOption(
      '--truth <file>',
      'the JSON written by flowhunt simulate --truth',
    ),
  ).action(
    action(async (opts: GlobalOptions & { truth: string }) => {
      const ctx = await context(opts);
      let truth: Truth;
      try {
        truth = JSON.parse(await readFile(opts.truth, 'utf8')) as Truth;
      } catch (e) {
        throw new UsageError(
          `cannot read truth ${opts.truth}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        );
      }
      if (truth?.format !== 'flowhunt-truth/1' || !Array.isArray(truth.hosts)) {
        throw new UsageError(`${opts.truth} is not a flowhunt truth file (format flowhunt-truth/1)`);
      }
      const from = Date.parse(truth.from);
      const to = Date.parse(truth.to);
      await withStore(ctx, async (store) => {
        const reports = await readReports(store, from, to);
        const catalog = learnSignatures(reports, { minShare: ctx.config.hunt.minShare });
        const findings = await findingsBetween(store, from, to);
        const r = score(truth, reports, catalog, findings);
        if (ctx.json) return printJson(r);
        const out = (s: string) => process.stdout.write(`${s}\n`);
        out(`scenario ${r.scenario} (seed ${r.seed}) ${r.from} – ${r.to}`);
        out(
          `detection: ${r.detection.found}/${r.detection.labelled} labelled hosts found (recall ${pct(r.detection.recall)}), ${r.detection.falseAlerts.length} false alerts`,
        );
        for (const t of r.detection.types) {
          if (t.expected || t.reported)
            out(
              `  ${t.type.padEnd(18)} recall ${`${t.found}/${t.expected}`.padStart(6)}  precision ${`${t.correct}/${t.reported}`.padStart(6)}`,
            );
        }
        for (const m of r.detection.missed)
          out(`  missed ${m.ip} (${m.role}: ${m.what}; expected ${m.expected.join('|')})`);
        for (const [role, n] of Object.entries(r.detection.falseAlertsByRole))
          out(`  false alerts on ${role}: ${n}`);
        out(`signatures: ${r.signatures.catalog} learned`);
        for (const f of r.signatures.families) {
          out(
            `  ${f.family.padEnd(14)} ${f.signature.padEnd(12)} ${f.found ? `found ${f.found} at rank ${f.rank}${f.bare ? ' (a bare probe itself)' : f.aboveBareProbes ? ', above every bare probe' : ', BELOW a bare probe'}` : 'NOT FOUND'}`,
          );
        }
        out(
          `hunt: ${r.hunt.found}/${r.hunt.smallMembers} small-scale members found (recall ${pct(r.hunt.recall)}); precision ${pct(r.hunt.precision)} of ${r.hunt.reportedSmallScale} hosts the hunt added`,
        );
        for (const f of r.hunt.families)
          out(
            `  ${f.family.padEnd(14)} ${`${f.found}/${f.smallMembers}`.padStart(9)} (recall ${pct(f.recall)})`,
          );
        for (const f of r.hunt.falsePositives.slice(0, 20))
          out(`  false positive ${f.ip} (${f.role}: ${f.what}) on ${f.signature}`);
      });
    }),
  );
}
