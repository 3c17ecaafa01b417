/** @module `flowhunt signatures`, `hunt`, `ip` and `families`: the signature catalog, the hunt and its master tables. */

import type { Command } from 'commander';
import { readReports } from '../detect/report.js';
import { normalizeAddress } from '../flow/address.js';
import { portLabel } from '../flow/names.js';
import { learnSignatures, type Signature } from '../hunt/catalog.js';
import { EXPORT_FORMATS, type ExportFormat, exportFindings, exportSuspects } from '../hunt/export.js';
import { families } from '../hunt/families.js';
import { DEFAULT_HUNT, type Finding, huntOptionsOf, huntRange } from '../hunt/hunt.js';
import { allFindings, findingsBetween, suspiciousIps } from '../hunt/master.js';
import { parseSignature, type SignatureKey, signatureText } from '../hunt/signature.js';
import {
  action,
  addGlobalOptions,
  context,
  type GlobalOptions,
  openEnricher,
  parseTime,
  printJson,
  UsageError,
  withStore,
} from './common.js';

interface RangeOpts extends GlobalOptions {
  from?: string;
  to?: string;
}

function range(opts: RangeOpts): { from?: number; to?: number } {
  const from = opts.from ? parseTime(opts.from, '--from') : undefined;
  const to = opts.to ? parseTime(opts.to, '--to') : undefined;
  if (from !== undefined && to !== undefined && to <= from) throw new UsageError('--to must be after --from');
  return { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) };
}

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
        `${i + 1}# ${s.signature}: ${s.attackers.length} attacker${s.attackers.length === 1 ? '' : 's'}: ${who}${more}  [strength ${s.strength}]\n`,
      );
    });
  }
}

export function register(program: Command): void {
  addGlobalOptions(
    program
      .command('signatures')
      .description('port-packets-octets signatures learned from the reports, strongest first')
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
        // The paper's form: 185.x.x.x (@City[CC]).
        const where = (ip: string) => {
          const e = enricher.enrich(ip);
          if (!e.city && !e.country) return '';
          return ` (${e.city ? `@${e.city}` : ''}${e.country ? `[${e.country}]` : ''})`;
        };
        printCatalog(sigs, where);
      });
    }),
  );

  addGlobalOptions(
    program
      .command('hunt')
      .description('hunt every stored day in the range for hosts using the signatures (one scan per day)')
      .requiredOption('--from <time>')
      .requiredOption('--to <time>')
      .option('--signature <sig...>', 'PORT-PACKETS-OCTETS[/tcp|udp] (default: every learned signature)')
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
        let sigs: SignatureKey[];
        if (opts.signature?.length) {
          sigs = opts.signature.map((t) => {
            const s = parseSignature(t);
            if (!s)
              throw new UsageError(
                `--signature ${JSON.stringify(t)} is not PORT-PACKETS-OCTETS (e.g. 22-4-240 or 53-1-64/udp)`,
              );
            return s;
          });
        } else {
          sigs = learnSignatures(reports, { minShare: h.minShare });
          if (sigs.length === 0)
            throw new UsageError(
              'no signatures learned yet: run `flowhunt detect` first, or pass --signature',
            );
        }
        const large = new Set(reports.filter((x) => x.role === 'source').map((x) => x.ip));
        const found = await huntRange(
          store,
          r.from!,
          r.to!,
          sigs,
          { ...huntOptionsOf(h), minTargets },
          large,
          (day, f) => {
            if (!ctx.json) process.stderr.write(`${day}: ${f.length} findings\n`);
          },
        );
        if (ctx.json) return printJson(found);
        printFindings(found);
      });
    }),
  );

  addGlobalOptions(
    program.command('ip').description('everything known about an address').argument('<addr>'),
  ).action(
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
        process.stdout.write(`  signatures as attacker: ${sigs.map((s) => s.signature).join(' ') || '-'}\n`);
        process.stdout.write(`  hunt findings: ${findings.length}\n`);
        printFindings(findings, '    ');
      });
    }),
  );

  addGlobalOptions(
    program
      .command('export')
      .description('export hunt findings or the suspicious-IP table for sharing')
      .argument('<what>', 'findings | suspects')
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

  addGlobalOptions(
    program.command('families').description('hosts that share signatures, largest family first'),
  ).action(
    action(async (opts: GlobalOptions) => {
      const ctx = await context(opts);
      await withStore(ctx, async (store) => {
        const fams = families(await allFindings(store));
        if (ctx.json) return printJson(fams);
        for (const f of fams) {
          process.stdout.write(
            `family ${f.id}: ${f.size} hosts, signatures ${f.signatures.join(' ')}\n  ${f.members.slice(0, 20).join(' ')}${f.size > 20 ? ` ... (+${f.size - 20})` : ''}\n`,
          );
        }
      });
    }),
  );
}

/** The paper's table: per signature and day, source IP, distinct destinations, flows, source ports. */
function printFindings(found: Finding[], indent = ''): void {
  let cur = '';
  for (const f of found) {
    const head = `${f.day} ${signatureText(parseSignature(f.signature)!)}`;
    if (head !== cur) {
      process.stdout.write(
        `${indent}${head}\n${indent}  ${'Source IP'.padEnd(40)} ${'Dst IPs'.padStart(8)} ${'Flows'.padStart(8)} ${'Src ports'.padStart(9)}\n`,
      );
      cur = head;
    }
    process.stdout.write(
      `${indent}  ${(f.ip + (f.largeScale ? ' *' : '')).padEnd(40)} ${String(f.destinations).padStart(8)} ${String(f.flows).padStart(8)} ${String(f.sourcePorts).padStart(9)}\n`,
    );
  }
}
