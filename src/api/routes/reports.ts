/** @module Routes: alerts (reports), one report with its alert text, and anomaly counts by month or day. */

import { z } from 'zod';
import { mitigationText, renderAlert } from '../../alert/text.js';
import { ANOMALY_TYPES } from '../../detect/rules.js';
import { LANGS } from '../../enrich/directory.js';
import type { ReportRow } from '../data.js';
import * as p from '../params.js';
import { ApiError } from '../params.js';
import { type Route, route } from '../route.js';
import { addressFilter, checkOrg, compareBy, getOrSet, publicRow } from './common.js';

const ROLES = ['source', 'destination'] as const;
const REPORT_SORTS = ['time', 'score', 'flows', 'peers', 'duration'] as const;

export const reportFilters = {
  from: p.time.optional().describe('windows starting at or after this time'),
  to: p.time.optional().describe('windows starting before this time'),
  type: p.enumOf(ANOMALY_TYPES, 'type').optional(),
  role: p.enumOf(ROLES, 'role').optional(),
  ip: p.cidr.optional(),
  org: p.organisation.optional(),
  port: p.port.optional().describe("one of the report's most-used destination ports"),
  country: z
    .string()
    .regex(/^[A-Za-z]{2}$/, 'country is a two-letter code (ISO 3166-1), e.g. TW')
    .transform((s) => s.toUpperCase())
    .optional()
    .describe("the address's country (two letters)"),
};

type ReportFilter = {
  port?: number;
  country?: string;
  from?: number;
  to?: number;
  type?: string;
  role?: string;
  ip?: Parameters<typeof addressFilter>[0];
  org?: string;
};

/** The reports the principal sees that match the filters, in time order. */
export async function filteredReports(
  c: Parameters<Route['handler']>[0],
  q: ReportFilter,
): Promise<ReportRow[]> {
  const { from, to } = p.timeRange(q);
  const org = checkOrg(q.org, c.scope, c.directory);
  const inNet = addressFilter(q.ip);
  // A report stored without a country (a detector without geo data) takes the API's look-up, once per address.
  const countries = new Map<string, string | undefined>();
  const countryOf = (ip: string) => getOrSet(countries, ip, () => c.enrich(ip).country ?? '');
  return (await c.data.reports()).filter(
    (r) =>
      c.scope.seesOrg(r.org) &&
      (from === undefined || r.windowStart >= from) &&
      (to === undefined || r.windowStart < to) &&
      (q.type === undefined || r.type === q.type) &&
      (q.role === undefined || r.role === q.role) &&
      (org === undefined || r.org === org) &&
      (q.port === undefined || r.ports.includes(q.port)) &&
      (q.country === undefined || (r.country ?? countryOf(r.ip)) === q.country) &&
      (inNet === undefined || inNet(r.ip)),
  );
}

const reportKey: Record<(typeof REPORT_SORTS)[number], (r: ReportRow) => number> = {
  time: (r) => r.windowStart,
  score: (r) => r.score,
  flows: (r) => r.metrics.flows,
  peers: (r) => r.metrics.peers,
  duration: (r) => r.duration.minutes,
};

const eventKeys = new WeakMap<ReportRow, string>();

/**
 * A distinct anomaly: one host in one role with one type, from the first
 * window of its episode. Made once per row (the cached rows live until
 * their partition is read again): the alert list of a month asks for 35 k.
 */
function eventKey(r: ReportRow): string {
  let k = eventKeys.get(r);
  if (k === undefined) {
    k = `${r.role}|${r.ip}|${r.type}|${r.duration.firstWindow}`;
    eventKeys.set(r, k);
  }
  return k;
}

export const reportRoutes: Route[] = [
  route({
    path: '/api/reports',
    tag: 'alerts',
    summary:
      'Alerts (anomaly reports), newest first by default; filter by time, type, role, address or network, organisation',
    query: z.strictObject({
      ...reportFilters,
      sort: p.sortOf(REPORT_SORTS),
      order: p.order,
      ...p.page,
    }),
    async handler(c) {
      const rows = await filteredReports(c, c.query);
      const sort = c.query.sort ?? 'time';
      const desc = (c.query.order ?? 'desc') === 'desc';
      rows.sort(compareBy(reportKey[sort], desc, (a, b) => a.id.localeCompare(b.id)));
      const page = p.paginate(rows, c.query);
      const states = await c.data.states();
      return { ...page, items: page.items.map((r) => ({ ...publicRow(r), ...states.get(r.id) })) };
    },
  }),

  route({
    path: '/api/reports/:window/:role/:ip',
    tag: 'alerts',
    summary:
      "One report: the full document, the alert text in the chosen language, and the address's organisation",
    params: z.strictObject({
      window: z
        .string()
        .regex(/^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}$/, 'a window id looks like 2026-11-20T10-05')
        .describe('the window id, e.g. 2026-11-20T10-05'),
      role: p.enumOf(ROLES, 'role'),
      ip: p.ip,
    }),
    query: z.strictObject({ lang: p.enumOf(LANGS, 'lang').optional() }),
    async handler(c) {
      const { window, role, ip } = c.params;
      // Scope first, so the answer says nothing about whether such a report exists.
      if (!c.scope.sees(ip)) throw new ApiError('forbidden', `${ip} is outside this token's organisations`);
      const report = await c.data.report(`${window}/${role}/${ip}`);
      if (!report) throw new ApiError('not_found', `no report ${window}/${role}/${ip}`);
      const enrichment = { ...report.enrichment, ...c.enrich(ip) };
      const lang = c.query.lang ?? 'en';
      // The signatures learned from this attacker (the mission's next step: who else uses them).
      const signatures =
        report.role === 'source'
          ? (await c.data.catalog())
              .filter((s) => s.attackers.some((a) => a.ip === ip))
              .map((s) => ({ signature: s.signature, protocol: s.protocol, strength: s.strength }))
          : [];
      return {
        report: { ...report, enrichment },
        alert: renderAlert(report, enrichment, lang),
        lang,
        mitigation: mitigationText(report, lang) ?? null,
        signatures,
        ...(await c.data.states()).get(report.id),
      };
    },
  }),

  route({
    path: '/api/counts',
    tag: 'alerts',
    summary:
      'Anomaly events and reports by type per month or day (an event is one host, role and type from the first window of its episode)',
    query: z.strictObject({
      by: p.enumOf(['month', 'day'] as const, 'by').optional(),
      ...reportFilters,
    }),
    async handler(c) {
      const by = c.query.by ?? 'month';
      const rows = await filteredReports(c, c.query);
      const period = (t: number) => new Date(t).toISOString().slice(0, by === 'month' ? 7 : 10);
      const periods: string[] = [];
      const index = new Map<string, number>();
      const events: Record<string, number[]> = {};
      const reports: Record<string, number[]> = {};
      const seen = new Set<string>();
      for (const r of rows) {
        const k = period(r.windowStart);
        let i = index.get(k);
        if (i === undefined) {
          i = periods.length;
          index.set(k, i);
          periods.push(k);
          for (const t of Object.keys(events)) {
            events[t]!.push(0);
            reports[t]!.push(0);
          }
        }
        if (!events[r.type]) {
          events[r.type] = periods.map(() => 0);
          reports[r.type] = periods.map(() => 0);
        }
        reports[r.type]![i]!++;
        const ek = eventKey(r);
        if (!seen.has(ek)) {
          seen.add(ek);
          events[r.type]![i]!++;
        }
      }
      const types = ANOMALY_TYPES.filter((t) => events[t]);
      return {
        by,
        periods,
        types,
        events: Object.fromEntries(types.map((t) => [t, events[t]!])),
        reports: Object.fromEntries(types.map((t) => [t, reports[t]!])),
      };
    },
  }),
];

export { eventKey };
