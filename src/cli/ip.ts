/** @module `flowhunt ip ADDR`: everything the store knows about one address. */

import type { Command } from 'commander';
import { readReports } from '../detect/report.js';
import { normalizeAddress } from '../flow/address.js';
import { learnSignatures } from '../hunt/catalog.js';
import { allFindings, suspiciousIps } from '../hunt/master.js';
import { signatureLabel } from '../hunt/signature.js';
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
import { printFindings } from './findings-table.js';

export function register(program: Command): void {
  addGlobalOptions(declare(program, 'ip')).action(
    action(async (addr: string, opts: GlobalOptions) => {
      const ctx = await context(opts);
      const ip = normalizeAddress(addr);
      if (!ip) throw new UsageError(`${JSON.stringify(addr)} is not an IP address`);
      await withStore(ctx, async (store) => {
        const reports = (await readReports(store)).filter((x) => x.ip === ip);
        const sigs = learnSignatures(await readReports(store)).filter((s) =>
          s.attackers.some((a) => a.ip === ip),
        );
        const findings = (await allFindings(store)).filter((f) => f.ip === ip);
        const suspect = suspiciousIps(findings, reports)[0] ?? null;
        const out = { ip, reports, signatures: sigs.map((s) => s.signature), findings, suspect };
        if (ctx.json) return printJson(out);
        process.stdout.write(`${ip}\n`);
        process.stdout.write(
          `  reports: ${reports.length}${reports.length ? ` (${[...new Set(reports.map((x) => x.type))].join(', ')}; first ${new Date(reports[0]!.windowStart).toISOString()})` : ''}\n`,
        );
        process.stdout.write(`  signatures as attacker: ${sigs.map(signatureLabel).join(' ') || '-'}\n`);
        process.stdout.write(`  hunt findings: ${findings.length}\n`);
        printFindings(findings, '    ');
      });
    }),
  );
}
