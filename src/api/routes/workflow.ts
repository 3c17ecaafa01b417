/**
 * @module Routes: the alert workflow — alerts grouped into episodes (one row
 * per host, role and anomaly, with its windows), marks on a report
 * (acknowledged, false positive), and suppression rules (list, add, remove).
 * The writes take the principal's name as "who"; a scoped token may mark
 * only reports about its own addresses and make or remove rules only for
 * networks wholly its own.
 */

import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ruleId, type SuppressionRule } from '../../alert/suppress.js';
import { ANOMALY_TYPES } from '../../detect/rules.js';
import { parseCidr } from '../../flow/address.js';
import { type AlertMark, MARK_STATES, type ReportRow, type ReportState } from '../data.js';
import * as p from '../params.js';
import { ApiError } from '../params.js';
import { type Route, type RouteContext, route } from '../route.js';
import { checkOrg, compareBy, getOrSet } from './common.js';
import { eventKey, filteredReports, reportFilters } from './reports.js';

const ROLES = ['source', 'destination'] as const;

export interface Episode {
  key: string;
  ip: string;
  org?: string;
  country?: string;
  role: ReportRow['role'];
  type: ReportRow['type'];
  firstWindow: number;
  lastWindow: number;
  /** Start of each window with a report, oldest first. */
  windows: number[];
  maxScore: number;
  /** The newest report of the episode (its id opens the alert). */
  latest: string;
  /** The newest report's mark and suppression. */
  state: ReportState;
  /** How many of its reports a rule kept from the alerter. */
  suppressed: number;
}

const markPartition = (reportId: string) =>
  `${reportId.slice(0, 16)}.${createHash('sha1').update(reportId).digest('hex').slice(0, 12)}`;

function ruleCidr(text: string): string {
  const c = parseCidr(text);
  if (!c) throw p.badRequest(`body.ip: ${JSON.stringify(text)} is not an address or a network`);
  return c.text;
}

/** Reports (in time order) grouped into episodes, newest first. */
export async function episodesOf(
  c: RouteContext<unknown, unknown>,
  rows: readonly ReportRow[],
): Promise<Episode[]> {
  const states = await c.data.states();
  const hasStates = states.size > 0;
  const by = new Map<string, Episode>();
  // A report stored without a country takes the API's look-up, once per address.
  const countries = new Map<string, string>();
  const countryOf = (r: ReportRow) =>
    r.country ?? getOrSet(countries, r.ip, () => c.enrich(r.ip).country ?? '');
  // Built field by field (in the order the answer lists them): a month is 35 k episodes.
  for (const r of rows) {
    const k = eventKey(r);
    let e = by.get(k);
    if (!e) {
      const country = countryOf(r);
      e = { key: k, ip: r.ip } as Episode;
      if (r.org) e.org = r.org;
      if (country) e.country = country;
      e.role = r.role;
      e.type = r.type;
      e.firstWindow = r.duration.firstWindow;
      e.lastWindow = r.windowStart;
      e.windows = [];
      e.maxScore = r.score;
      e.latest = r.id;
      e.state = {};
      e.suppressed = 0;
      by.set(k, e);
    }
    e.windows.push(r.windowStart);
    if (r.score > e.maxScore) e.maxScore = r.score;
    if (r.windowStart >= e.lastWindow) {
      e.lastWindow = r.windowStart;
      e.latest = r.id;
    }
    if (hasStates && states.get(r.id)?.suppressed) e.suppressed++;
  }
  const episodes = [...by.values()];
  for (const e of episodes) {
    if (e.windows.length > 1) e.windows.sort((a, b) => a - b);
    if (hasStates) e.state = states.get(e.latest) ?? {};
  }
  episodes.sort(
    compareBy(
      (e: Episode) => e.lastWindow,
      true,
      (a, b) => a.key.localeCompare(b.key),
    ),
  );
  return episodes;
}

export const workflowRoutes: Route[] = [
  route({
    path: '/api/episodes',
    tag: 'alerts',
    summary:
      'Alerts grouped into episodes: one row per host, role and anomaly type from the first window of its run, with its windows; newest first',
    query: z.strictObject({ ...reportFilters, ...p.page }),
    async handler(c) {
      // The same query's episodes are made once per change of the reports or their states (paging reuses them).
      // Keyed by the filters as asked (validated above) and the organisations the token sees.
      const { offset: _o, limit: _l, ...asked } = c.request.query as Record<string, string>;
      const filters = Object.entries(asked).sort(([a], [b]) => (a < b ? -1 : 1));
      const who = c.scope.admin ? '*' : c.scope.organisations().join('\u0000');
      const episodes = await c.data.ofReports(`episodes|${who}|${JSON.stringify(filters)}`, async () =>
        episodesOf(c, await filteredReports(c, c.query)),
      );
      return p.paginate(episodes, c.query);
    },
  }),

  route({
    method: 'POST',
    path: '/api/reports/:window/:role/:ip/mark',
    tag: 'alerts',
    summary: 'Mark a report acknowledged or a false positive (or open again); a scoped token only its own',
    params: z.strictObject({
      window: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}$/, 'a window id looks like 2026-11-20T10-05'),
      role: p.enumOf(ROLES, 'role'),
      ip: p.ip,
    }),
    body: z.strictObject({
      state: p.enumOf([...MARK_STATES, 'open'] as const, 'state'),
      note: z.string().max(500, 'note is at most 500 characters').optional(),
    }),
    async handler(c) {
      const { window, role, ip } = c.params;
      if (!c.scope.sees(ip)) throw new ApiError('forbidden', `${ip} is outside this token's organisations`);
      const id = `${window}/${role}/${ip}`;
      if (!(await c.data.report(id))) throw new ApiError('not_found', `no report ${id}`);
      const b = c.body;
      const mark: AlertMark | undefined =
        b.state === 'open'
          ? undefined
          : {
              reportId: id,
              state: b.state,
              by: c.scope.principal.name,
              at: Date.now(),
              ...(b.note ? { note: b.note } : {}),
            };
      await c.data.store.putDocs('alert-marks', markPartition(id), mark ? [mark] : []);
      c.data.invalidate();
      return { reportId: id, mark: mark ?? null };
    },
  }),

  route({
    path: '/api/suppressions',
    tag: 'alerts',
    summary: 'Suppression rules (a scoped token sees the rules about its own networks), newest first',
    query: z.strictObject({ ...p.page }),
    async handler(c) {
      const now = Date.now();
      const rules = (await c.data.rules())
        .filter((r) => {
          const net = parseCidr(r.cidr);
          return net !== undefined && c.scope.ownsNetwork(net);
        })
        .map((r) => ({ ...r, active: r.created <= now && (r.expires === undefined || now < r.expires) }))
        .reverse();
      return p.paginate(rules, c.query);
    },
  }),

  route({
    method: 'POST',
    path: '/api/suppressions',
    tag: 'alerts',
    summary:
      'Add a suppression rule: reports it covers are stored and listed as suppressed but not alerted. A scoped token only for its own networks',
    body: z.strictObject({
      ip: z.string().max(60).describe('an address or a network (CIDR)'),
      type: p.enumOf(ANOMALY_TYPES, 'type').optional(),
      org: p.organisation.optional(),
      expires: p.time.optional().describe('when the rule stops applying (ISO 8601); none: until removed'),
      why: z.string().trim().min(1, 'why is required: say why these alerts are not wanted').max(500),
    }),
    async handler(c) {
      const b = c.body;
      const cidr = ruleCidr(b.ip);
      const net = parseCidr(cidr)!;
      if (!c.scope.ownsNetwork(net))
        throw new ApiError('forbidden', `${cidr} is not wholly inside this token's organisations`);
      const org = checkOrg(b.org, c.scope, c.directory);
      const now = Date.now();
      if (b.expires !== undefined && b.expires <= now) throw p.badRequest('body.expires is in the past');
      const body: Omit<SuppressionRule, 'id'> = {
        cidr,
        ...(b.type ? { type: b.type } : {}),
        ...(org ? { org } : {}),
        ...(b.expires !== undefined ? { expires: b.expires } : {}),
        by: c.scope.principal.name,
        why: b.why,
        created: now,
      };
      const rule: SuppressionRule = { id: ruleId(body), ...body };
      await c.data.store.putDocs('suppressions', rule.id, [rule]);
      c.data.invalidate();
      c.reply.code(201);
      return rule;
    },
  }),

  route({
    method: 'DELETE',
    path: '/api/suppressions/:id',
    tag: 'alerts',
    summary: 'Remove a suppression rule (a scoped token only one about its own networks)',
    params: z.strictObject({
      id: z.string().regex(/^[0-9A-Za-z][0-9A-Za-z_.-]{0,63}$/, 'not a rule id'),
    }),
    async handler(c) {
      const rule = (await c.data.rules()).find((r) => r.id === c.params.id);
      const net = rule ? parseCidr(rule.cidr) : undefined;
      // Scope before existence: the answer says nothing about others' rules.
      if (!rule || !net || !c.scope.ownsNetwork(net))
        throw new ApiError('not_found', `no rule ${c.params.id} this token may remove`);
      await c.data.store.putDocs('suppressions', rule.id, []);
      c.data.invalidate();
      return { removed: rule.id };
    },
  }),
];
