/**
 * @module Routes: exports for the people who clean hosts up — findings and
 * the suspicious-IP table as CSV, JSON, a plain blocklist or (suspects) a
 * STIX 2.1 bundle, and reports as CSV or JSON. The rows are filtered by the
 * token's scope before they are written, exactly as the lists are.
 */

import { z } from 'zod';
import type { Report } from '../../detect/report.js';
import { blocklist, exportFindings, exportSuspects, toCsv } from '../../hunt/export.js';
import { suspiciousIps } from '../../hunt/master.js';
import * as p from '../params.js';
import { type Route, route } from '../route.js';
import { findingFilters, findingPredicate } from './hunt.js';
import { filteredReports, reportFilters } from './reports.js';

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

export const exportRoutes: Route[] = [
  route({
    path: '/api/exports/:what',
    tag: 'exports',
    summary:
      'Download findings or suspects (csv, json, blocklist; suspects also stix) or reports (csv, json, blocklist of attackers)',
    params: z.strictObject({ what: p.enumOf(['findings', 'suspects', 'reports'] as const, 'what') }),
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
    }),
    produces: Object.values(TYPES),
    async handler(c) {
      const { what } = c.params;
      const format = c.query.format ?? 'csv';
      const q = c.query;
      let body: string;
      if (what === 'reports') {
        if (format === 'stix') throw p.badRequest('STIX exports suspects: /api/exports/suspects?format=stix');
        if (q.day || q.signature) throw p.badRequest('reports take from, to, type, role, ip and org');
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
        });
        if (format === 'json') body = `${JSON.stringify(rows.map(({ proto: _p, ppo: _o, ...r }) => r))}\n`;
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
        if (q.type || q.role) throw p.badRequest(`${what} take day, from, to, signature, ip and org`);
        const days = z
          .strictObject({ from: findingFilters.from, to: findingFilters.to })
          .safeParse({ from: q.from, to: q.to });
        if (!days.success) throw p.badRequest(p.issueMessage('query', days.error));
        const keep = findingPredicate(c, { ...q, ...days.data });
        const findings = (await c.data.findings()).filter(keep);
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
];
