/**
 * @module Routes: exports for the people who clean hosts up — findings and
 * the suspicious-IP table as CSV, JSON, a plain blocklist or (suspects) a
 * STIX 2.1 bundle, and reports as CSV or JSON; a family's members; a
 * victim's attackers (every source that sent to it in the report's window,
 * from the flows) and mitigation lines (Flowspec, RTBH) for it. Times in CSV
 * are ISO 8601. The rows are filtered by the token's scope before they are
 * written, exactly as the lists are; a victim's attackers belong to its
 * report, which its organisation sees.
 */

import { z } from 'zod';
import { mitigationLines } from '../../detect/flowspec.js';
import type { Report } from '../../detect/report.js';
import { blocklist, exportFindings, exportSuspects, stixAddresses, toCsv } from '../../hunt/export.js';
import { suspiciousIps } from '../../hunt/master.js';
import { compileFilter } from '../../store/filter/index.js';
import * as p from '../params.js';
import { ApiError } from '../params.js';
import { type Route, type RouteContext, route } from '../route.js';
import { findingFilters, findingPredicate } from './hunt.js';
import { filteredReports, reportFilters } from './reports.js';
import { type Episode, episodesOf } from './workflow.js';

const FORMATS = ['csv', 'json', 'blocklist', 'stix'] as const;
const TYPES: Record<(typeof FORMATS)[number], string> = {
  csv: 'text/csv; charset=utf-8',
  json: 'application/json; charset=utf-8',
  blocklist: 'text/plain; charset=utf-8',
  stix: 'application/stix+json;version=2.1',
};
const EXT = { csv: 'csv', json: 'json', blocklist: 'txt', stix: 'stix.json' } as const;

const REPORT_COLUMNS = [
  'id',
  'windowStart',
  'windowEnd',
  'ip',
  'org',
  'role',
  'type',
  'score',
  'flows',
  'packets',
  'bytes',
  'peers',
  'durationMinutes',
] as const;

const EPISODE_COLUMNS = [
  'ip',
  'org',
  'country',
  'role',
  'type',
  'firstWindow',
  'lastWindow',
  'windows',
  'maxScore',
  'state',
  'suppressed',
  'latest',
] as const;

/** Episodes as the alert list shows them: one row each, window starts in ISO 8601. */
function episodeExport(episodes: readonly Episode[], format: 'csv' | 'json'): string {
  const rows = episodes.map((e) => ({
    ip: e.ip,
    org: e.org ?? '',
    country: e.country ?? '',
    role: e.role,
    type: e.type,
    firstWindow: new Date(e.firstWindow).toISOString(),
    lastWindow: new Date(e.lastWindow).toISOString(),
    windows: e.windows.length,
    maxScore: e.maxScore,
    state: e.state.mark?.state ?? (e.state.suppressed ? 'suppressed' : 'open'),
    suppressed: e.suppressed,
    latest: e.latest,
  }));
  return format === 'json' ? `${JSON.stringify(rows)}\n` : toCsv(rows, EPISODE_COLUMNS);
}

const victimParams = z.strictObject({
  window: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}$/, 'a window id looks like 2026-11-20T10-05'),
  role: p.enumOf(['source', 'destination'] as const, 'role'),
  ip: p.ip,
});

export const exportRoutes: Route[] = [
  route({
    path: '/api/exports/:what',
    tag: 'exports',
    summary:
      'Download findings or suspects (csv, json, blocklist; suspects also stix), reports (csv, json, blocklist of attackers) or episodes (the alert list: one row per host and anomaly with its first and last window and windows count; csv, json)',
    params: z.strictObject({
      what: p.enumOf(['findings', 'suspects', 'reports', 'episodes'] as const, 'what'),
    }),
    query: z.strictObject({
      format: p.enumOf(FORMATS, 'format').optional(),
      ...findingFilters,
      // Reports take times, findings days: the same names, parsed for what is exported.
      from: z.string().optional().describe('findings/suspects: first day (YYYY-MM-DD); reports: a time'),
      to: z
        .string()
        .optional()
        .describe('findings/suspects: last day, inclusive; reports: a time, exclusive'),
      type: reportFilters.type,
      role: reportFilters.role,
      port: reportFilters.port,
      country: reportFilters.country,
      family: z
        .string()
        .regex(/^\d{1,9}$/, 'family is a family id (a whole number)')
        .transform(Number)
        .optional()
        .describe('findings/suspects: only the members of this family (see /api/families)'),
    }),
    produces: Object.values(TYPES),
    async handler(c) {
      const { what } = c.params;
      const format = c.query.format ?? 'csv';
      const q = c.query;
      let body: string;
      if (what === 'reports' || what === 'episodes') {
        if (format === 'stix') throw p.badRequest('STIX exports suspects: /api/exports/suspects?format=stix');
        if (what === 'episodes' && format === 'blocklist')
          throw p.badRequest('a blocklist exports attackers: /api/exports/reports?format=blocklist');
        if (q.day || q.signature) throw p.badRequest(`${what} take from, to, type, role, ip and org`);
        const parseT = (v: string | undefined, name: string) => {
          if (v === undefined) return undefined;
          const t = p.parseTimeParam(v);
          if (t === undefined) throw p.badRequest(`query.${name}: ${JSON.stringify(v)} is not a time`);
          return t;
        };
        const rows = await filteredReports(c, {
          ...(q.from !== undefined ? { from: parseT(q.from, 'from') } : {}),
          ...(q.to !== undefined ? { to: parseT(q.to, 'to') } : {}),
          ...(q.type ? { type: q.type } : {}),
          ...(q.role ? { role: q.role } : {}),
          ...(q.ip ? { ip: q.ip } : {}),
          ...(q.org ? { org: q.org } : {}),
          ...(q.port !== undefined ? { port: q.port } : {}),
          ...(q.country ? { country: q.country } : {}),
        });
        if (what === 'episodes')
          body = episodeExport(await episodesOf(c, rows), format === 'json' ? 'json' : 'csv');
        else if (format === 'json')
          body = `${JSON.stringify(rows.map(({ proto: _p, ppo: _o, ...r }) => r))}\n`;
        else if (format === 'blocklist')
          // Attackers only: a victim's address on a blocklist would finish the attack's work.
          body = blocklist(rows.filter((r) => r.role === 'source'));
        else
          body = toCsv(
            rows.map((r) => ({
              ...r,
              org: r.org ?? '',
              flows: r.metrics.flows,
              packets: r.metrics.packets,
              bytes: r.metrics.bytes,
              peers: r.metrics.peers,
              durationMinutes: r.duration.minutes,
            })),
            REPORT_COLUMNS,
          );
      } else {
        if (q.type || q.role || q.port !== undefined || q.country)
          throw p.badRequest(`${what} take day, from, to, signature, family, ip and org`);
        const days = z
          .strictObject({ from: findingFilters.from, to: findingFilters.to })
          .safeParse({ from: q.from, to: q.to });
        if (!days.success) throw p.badRequest(p.issueMessage('query', days.error));
        const keep = findingPredicate(c, { ...q, ...days.data });
        let members: Set<string> | undefined;
        if (q.family !== undefined) {
          const fam = (await c.data.families()).find((f) => f.id === q.family);
          if (!fam) throw new ApiError('not_found', `no family ${q.family}`);
          members = new Set(fam.members);
        }
        const findings = (await c.data.findings()).filter((f) => keep(f) && (!members || members.has(f.ip)));
        if (what === 'findings') {
          if (format === 'stix')
            throw p.badRequest(
              'STIX exports suspects (one indicator per address): /api/exports/suspects?format=stix',
            );
          body = exportFindings(format, findings);
        } else {
          // suspiciousIps reads only the role and address of a report, which the light rows keep.
          const reports = (await c.data.reports()).filter((r) =>
            c.scope.seesOrg(r.org),
          ) as unknown as Report[];
          body = exportSuspects(format, suspiciousIps(findings, reports));
        }
      }
      const stamp = new Date().toISOString().slice(0, 10);
      c.reply
        .type(TYPES[format])
        .header('content-disposition', `attachment; filename="flowhunt-${what}-${stamp}.${EXT[format]}"`);
      return body;
    },
  }),

  route({
    path: '/api/reports/:window/:role/:ip/attackers',
    tag: 'exports',
    summary:
      "A victim's attackers: every source that sent to it in the report's window (from the flows), as csv, json, blocklist or stix",
    params: victimParams,
    query: z.strictObject({ format: p.enumOf(FORMATS, 'format').optional() }),
    produces: Object.values(TYPES),
    async handler(c) {
      const r = await victimReport(c);
      const rows = await c.data.store.stat(
        {
          from: r.windowStart,
          to: r.windowEnd,
          where: compileFilter(`dst host ${r.ip}`, c.data.store.dialect),
        },
        'srcip',
        'flows',
        100_000,
      );
      const items = rows.map((x) => ({
        ip: x.key,
        flows: x.flows,
        packets: x.packets,
        bytes: x.bytes,
        firstSeen: x.firstSeen,
        lastSeen: x.lastSeen,
      }));
      const format = c.query.format ?? 'csv';
      let body: string;
      if (format === 'csv')
        body = toCsv(items, ['ip', 'flows', 'packets', 'bytes', 'firstSeen', 'lastSeen'] as const);
      else if (format === 'json') body = `${JSON.stringify(items)}\n`;
      else if (format === 'blocklist') body = blocklist(items);
      else
        body = `${JSON.stringify(
          stixAddresses(
            items.map((x) => ({
              ip: x.ip,
              name: `${r.type === 'reflection-victim' ? 'Reflector' : 'Attacker'} of ${r.ip}`,
              description: `Sent ${x.flows} flows (${x.packets} packets, ${x.bytes} bytes) to ${r.ip} in the window ${r.id.split('/')[0]} (${r.type}).`,
              labels: [`anomaly:${r.type}`],
              validFrom: x.firstSeen,
              types: ['malicious-activity'],
            })),
          ),
        )}\n`;
      attachment(c, `attackers-${r.ip.replace(/:/g, '_')}-${r.id.split('/')[0]}`, format);
      return body;
    },
  }),

  route({
    path: '/api/reports/:window/:role/:ip/mitigation',
    tag: 'exports',
    summary:
      'Mitigation suggestions for a victim: ExaBGP Flowspec rules matching the attack, and an RTBH route (text, one line each)',
    params: victimParams,
    query: z.strictObject({
      nextHop: p.ip
        .optional()
        .describe('the next hop of the RTBH route (a discard route on the edge); default 192.0.2.1'),
    }),
    produces: ['text/plain; charset=utf-8'],
    async handler(c) {
      const r = await victimReport(c);
      c.reply.type('text/plain; charset=utf-8');
      return mitigationLines(r, c.query.nextHop ? { blackholeNextHop: c.query.nextHop } : {});
    },
  }),
];

/** The victim report a route names, after scoping (first, so a refusal says nothing about existence). */
async function victimReport(
  c: RouteContext<unknown, { window: string; role: string; ip: string }>,
): Promise<Report> {
  const { window, role, ip } = c.params;
  if (!c.scope.sees(ip)) throw new ApiError('forbidden', `${ip} is outside this token's organisations`);
  if (role !== 'destination')
    throw p.badRequest('attackers and mitigation are for a victim (a destination report)');
  const r = await c.data.report(`${window}/${role}/${ip}`);
  if (!r) throw new ApiError('not_found', `no report ${window}/${role}/${ip}`);
  return r;
}

function attachment(c: RouteContext<unknown, unknown>, name: string, format: (typeof FORMATS)[number]): void {
  c.reply
    .type(TYPES[format])
    .header('content-disposition', `attachment; filename="flowhunt-${name}.${EXT[format]}"`);
}
