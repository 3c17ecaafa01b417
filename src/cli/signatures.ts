/** @module `flowhunt signatures`: the port-packets-octets signatures learned from the reports, strongest first. */

import type { Command } from 'commander';
import { readReports } from '../detect/report.js';
import { placeTag } from '../enrich/index.js';
import { portLabel } from '../flow/names.js';
import { learnSignatures, type Signature } from '../hunt/catalog.js';
import { signatureLabel } from '../hunt/signature.js';
import { declare } from './commands.js';
import {
  action,
  addGlobalOptions,
  context,
  openEnricher,
  printJson,
  type RangeOpts,
  range,
  UsageError,
  withStore,
} from './common.js';

function printCatalog(sigs: Signature[], where: (ip: string) => string): void {
  const ports = [...new Set(sigs.map((s) => s.port))];
  // Ports in the order of their strongest signature.
  for (const port of ports) {
    const list = sigs.filter((s) => s.port === port);
    process.stdout.write(
      `Port ${portLabel(port)} | ${list.length} signature${list.length === 1 ? '' : 's'}\n`,
    );
    list.forEach((s, i) => {
      const who = s.attackers
        .slice(0, 8)
        .map((a) => `${a.ip}${where(a.ip)}`)
        .join(' ');
      const more = s.attackers.length > 8 ? ` ... (+${s.attackers.length - 8})` : '';
      process.stdout.write(
        `${i + 1}# ${signatureLabel(s)}: ${s.attackers.length} attacker${s.attackers.length === 1 ? '' : 's'}: ${who}${more}  [strength ${s.strength}]\n`,
      );
    });
  }
}

export function register(program: Command): void {
  addGlobalOptions(
    declare(program, 'signatures')
      .option('--from <time>')
      .option('--to <time>')
      .option('--port <port>', 'only this destination port')
      .option('--min-share <share>', 'share of an attacker’s flows a signature must cover', '0.5'),
  ).action(
    action(async (opts: RangeOpts & { port?: string; minShare: string }) => {
      const ctx = await context(opts);
      const r = range(opts);
      const minShare = Number(opts.minShare);
      if (!(minShare > 0 && minShare <= 1)) throw new UsageError('--min-share must be in (0, 1]');
      const port = opts.port === undefined ? undefined : Number(opts.port);
      if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535))
        throw new UsageError('--port must be 0..65535');
      await withStore(ctx, async (store) => {
        const sigs = learnSignatures(await readReports(store, r.from, r.to), { minShare }).filter(
          (s) => port === undefined || s.port === port,
        );
        if (ctx.json) return printJson(sigs);
        if (sigs.length === 0)
          process.stderr.write('no signatures (run detect first, or widen --from/--to)\n');
        const enricher = await openEnricher(ctx);
        // The paper's form: 1.2.3.4(@City[CC]); nothing for reserved or unknown addresses.
        printCatalog(sigs, (ip) => placeTag(enricher.enrich(ip)));
      });
    }),
  );
}
