/**
 * @module Routes: the signature catalog, hunt findings (in the paper's table
 * form: per signature and day, source IP, distinct destinations, flows,
 * source ports), the suspicious-IP master table and families. Lists are
 * sorted and paged here, on the server: a page of 100,000 findings costs the
 * browser one page.
 */

import { z } from 'zod';
import type { Report } from '../../detect/report.js';
import type { Signature } from '../../hunt/catalog.js';
import { signatureMaster, suspiciousIps } from '../../hunt/master.js';
import { keyOf, type SignatureKey, signatureKey, signatureText, sortKeyOf } from '../../hunt/signature.js';
import type { FindingRow } from '../data.js';
import * as p from '../params.js';
import { ApiError } from '../params.js';
import { type Route, type RouteContext, route } from '../route.js';
import { addressFilter, addressKey, checkOrg, compareBy, getOrSet } from './common.js';

export const findingFilters = {
  day: p.day.optional().describe('one day (YYYY-MM-DD)'),
  from: p.day.optional().describe('first day, inclusive'),
  to: p.day.optional().describe('last day, inclusive'),
  signature: p.signature.optional(),
  ip: p.cidr.optional(),
  org: p.organisation.optional(),
};

type FindingFilter = {
  day?: string;
  from?: string;
  to?: string;
  signature?: SignatureKey;
  ip?: Parameters<typeof addressFilter>[0];
  org?: string;
};

export function findingPredicate(
  c: RouteContext<unknown, unknown>,
  q: FindingFilter,
): (f: FindingRow) => boolean {
  if (q.from !== undefined && q.to !== undefined && q.to < q.from)
    throw p.badRequest('query.to must not be before query.from');
  const org = checkOrg(q.org, c.scope, c.directory);
  const inNet = addressFilter(q.ip);
  const sig = q.signature ? signatureKey(q.signature) : undefined;
  return (f) =>
    c.scope.seesOrg(f.org) &&
    (q.day === undefined || f.day === q.day) &&
    (q.from === undefined || f.day >= q.from) &&
    (q.to === undefined || f.day <= q.to) &&
    (sig === undefined || keyOf(f) === sig) &&
    (org === undefined || f.org === org) &&
    (inNet === undefined || inNet(f.ip));
}

const FINDING_SORTS = [
  'day',
  'signature',
  'ip',
  'destinations',
  'flows',
  'sourcePorts',
  'firstSeen',
  'lastSeen',
] as const;
type FindingSort = (typeof FINDING_SORTS)[number];

function findingCompare(sort: FindingSort, desc: boolean): (a: FindingRow, b: FindingRow) => number {
  const keys = new Map<string, string>();
  const ipKey = (f: FindingRow) => getOrSet(keys, f.ip, () => addressKey(f.ip));
  const tie = compareBy<FindingRow>(ipKey, false);
  switch (sort) {
    case 'day':
      // The stored order within a day: by signature, the widest hosts first.
      return compareBy<FindingRow>(
        (f) => f.day,
        desc,
        compareBy(
          (f) => sortKeyOf(f),
          false,
          compareBy((f) => f.destinations, true, tie),
        ),
      );
    case 'signature':
      return compareBy<FindingRow>(
        (f) => sortKeyOf(f),
        desc,
        compareBy((f) => f.day, true, tie),
      );
    case 'ip':
      return compareBy<FindingRow>(
        ipKey,
        desc,
        compareBy((f) => f.day, false),
      );
    default:
      return compareBy<FindingRow>(
        (f) => f[sort],
        desc,
        compareBy((f) => f.day, false, tie),
      );
  }
}

/** The catalog as a scoped principal sees it: only its attackers, and only signatures that concern it. */
function scopedCatalog(
  c: RouteContext<unknown, unknown>,
  catalog: readonly Signature[],
  huntedHere: ReadonlySet<string>,
): Signature[] {
  if (c.scope.admin) return [...catalog];
  const out: Signature[] = [];
  for (const s of catalog) {
    const attackers = s.attackers.filter((a) => c.scope.sees(a.ip));
    if (attackers.length === 0 && !huntedHere.has(signatureKey(s))) continue;
    const reports = attackers.reduce((n, a) => n + a.reports, 0);
    out.push({
      ...s,
      attackers,
      reports,
      firstSeen: attackers.length ? Math.min(...attackers.map((a) => a.firstSeen)) : s.firstSeen,
      lastSeen: attackers.length ? Math.max(...attackers.map((a) => a.lastSeen)) : s.lastSeen,
    });
  }
  return out;
}

async function catalogFor(c: RouteContext<unknown, unknown>, q: { from?: number; to?: number }) {
  const { from, to } = p.timeRange(q);
  const rows =
    from === undefined && to === undefined
      ? undefined
      : (await c.data.reports()).filter(
          (r) => (from === undefined || r.windowStart >= from) && (to === undefined || r.windowStart < to),
        );
  return c.data.catalog(rows);
}

export const huntRoutes: Route[] = [
  route({
    path: '/api/signatures',
    tag: 'hunt',
    summary:
      'Port-packets-octets signatures learned from the reports, strongest first, with their attackers and what the hunt found',
    query: z.strictObject({
      from: p.time.optional().describe('learn from reports of windows from this time'),
      to: p.time.optional().describe('learn from reports of windows before this time'),
      port: p.port.optional(),
      ...p.page,
    }),
    async handler(c) {
      const catalog = await catalogFor(c, c.query);
      const findings = (await c.data.findings()).filter((f) => c.scope.seesOrg(f.org));
      const master = new Map(signatureMaster(findings).map((m) => [keyOf(m), m]));
      const sigs = scopedCatalog(c, catalog, new Set(master.keys())).filter(
        (s) => c.query.port === undefined || s.port === c.query.port,
      );
      const page = p.paginate(sigs, c.query, 100);
      return {
        ...page,
        items: page.items.map((s) => {
          const m = master.get(signatureKey(s));
          return { ...s, hunt: m ? { hosts: m.hosts, days: m.days, flows: m.flows } : null };
        }),
      };
    },
  }),

  route({
    path: '/api/signatures/:signature',
    tag: 'hunt',
    summary: 'One signature: its attackers, strength, and the hosts the hunt found using it, day by day',
    params: z.strictObject({ signature: p.signature }),
    query: z.strictObject({
      protocol: p.enumOf(['tcp', 'udp', 'icmp'] as const, 'protocol').optional(),
    }),
    async handler(c) {
      const proto = { tcp: 6, udp: 17, icmp: 1 }[c.query.protocol ?? 'tcp'];
      const key = { ...c.params.signature, protocol: proto };
      const text = signatureText(key);
      const id = signatureKey(key);
      const findings = (await c.data.findings()).filter((f) => keyOf(f) === id && c.scope.seesOrg(f.org));
      const hunted = new Set(findings.length ? [id] : []);
      const entry = scopedCatalog(c, await c.data.catalog(), hunted).find((s) => signatureKey(s) === id);
      if (!entry && findings.length === 0) throw new ApiError('not_found', `no signature ${text}`);
      const byDay = new Map<string, { day: string; hosts: number; flows: number; destinations: number }>();
      for (const f of findings) {
        const d = byDay.get(f.day) ?? { day: f.day, hosts: 0, flows: 0, destinations: 0 };
        d.hosts++;
        d.flows += f.flows;
        d.destinations = Math.max(d.destinations, f.destinations);
        byDay.set(f.day, d);
      }
      const hosts = new Set(findings.map((f) => f.ip));
      return {
        // As the catalog (or the latest finding) writes it: a profile asked for by its exchanges alone has its percentages.
        signature:
          entry?.signature ??
          findings.reduce((a, f) => (a && a.day >= f.day ? a : f), findings[0])?.signature ??
          text,
        protocol: proto,
        catalog: entry ?? null,
        hunt: {
          hosts: hosts.size,
          days: byDay.size,
          flows: findings.reduce((n, f) => n + f.flows, 0),
          byDay: [...byDay.values()].sort((a, b) => b.day.localeCompare(a.day)),
        },
      };
    },
  }),

  route({
    path: '/api/findings',
    tag: 'hunt',
    summary:
      'Hunt findings: per day and signature, each source IP with its distinct destinations, flows and source ports (sorted and paged on the server)',
    query: z.strictObject({
      ...findingFilters,
      sort: p.sortOf(FINDING_SORTS),
      order: p.order,
      ...p.page,
    }),
    async handler(c) {
      const sort = c.query.sort ?? 'day';
      const desc =
        (c.query.order ?? (sort === 'day' || sort === 'signature' || sort === 'ip' ? 'asc' : 'desc')) ===
        'desc';
      const keep = findingPredicate(c, c.query);
      const sorted = await c.data.findingsSorted(`${sort}/${desc}`, findingCompare(sort, desc));
      const offset = c.query.offset ?? 0;
      const limit = c.query.limit ?? 50;
      // One pass: count every match, keep only the page.
      const items: FindingRow[] = [];
      let total = 0;
      for (const f of sorted) {
        if (!keep(f)) continue;
        if (total >= offset && items.length < limit) items.push(f);
        total++;
      }
      return { total, offset, limit, items };
    },
  }),

  route({
    path: '/api/findings/groups',
    tag: 'hunt',
    summary: 'Findings grouped per day and signature: hosts, flows, widest host; newest day first',
    query: z.strictObject({ ...findingFilters, ...p.page }),
    async handler(c) {
      const keep = findingPredicate(c, c.query);
      const groups = new Map<
        string,
        {
          day: string;
          signature: string;
          protocol: number;
          hosts: number;
          flows: number;
          maxDestinations: number;
          largeScale: number;
        }
      >();
      for (const f of await c.data.findings()) {
        if (!keep(f)) continue;
        const k = `${f.day}|${f.protocol}|${f.signature}`;
        let g = groups.get(k);
        if (!g) {
          g = {
            day: f.day,
            signature: f.signature,
            protocol: f.protocol,
            hosts: 0,
            flows: 0,
            maxDestinations: 0,
            largeScale: 0,
          };
          groups.set(k, g);
        }
        g.hosts++;
        g.flows += f.flows;
        g.maxDestinations = Math.max(g.maxDestinations, f.destinations);
        if (f.largeScale) g.largeScale++;
      }
      const rows = [...groups.values()].sort(
        (a, b) => b.day.localeCompare(a.day) || b.hosts - a.hosts || compareBy(sortKeyOf, false)(a, b),
      );
      return p.paginate(rows, c.query, 100);
    },
  }),

  route({
    path: '/api/suspects',
    tag: 'hunt',
    summary: 'The suspicious-IP master table: every host the hunt found, days seen, signatures used',
    query: z.strictObject({
      ip: p.cidr.optional(),
      org: p.organisation.optional(),
      signature: p.signature.optional(),
      from: findingFilters.from.describe('only the findings of this day and after (YYYY-MM-DD)'),
      to: findingFilters.to.describe('only the findings of this day and before, inclusive'),
      sort: p.sortOf(['daysSeen', 'lastSeen', 'maxDestinations', 'flows', 'ip'] as const),
      order: p.order,
      ...p.page,
    }),
    async handler(c) {
      const org = checkOrg(c.query.org, c.scope, c.directory);
      const inNet = addressFilter(c.query.ip);
      // By identity: a profile asked for with other percentages (or none) is the same signature.
      const sig = c.query.signature ? signatureKey(c.query.signature) : undefined;
      const rows = (await suspectsIn(c, c.query.from, c.query.to))
        .map((s) => {
          const o = c.directory.orgOf(s.ip);
          return { ...s, ...(o ? { org: o } : {}) };
        })
        .filter(
          (s) =>
            c.scope.seesOrg(s.org) &&
            (org === undefined || s.org === org) &&
            (inNet === undefined || inNet(s.ip)) &&
            (sig === undefined || s.signatures.some((t) => keyOf({ signature: t, protocol: 6 }) === sig)),
        );
      const sort = c.query.sort ?? 'daysSeen';
      if (sort !== 'daysSeen' || c.query.order === 'asc') {
        const desc = (c.query.order ?? (sort === 'ip' ? 'asc' : 'desc')) === 'desc';
        rows.sort(compareBy((s) => (sort === 'ip' ? addressKey(s.ip) : s[sort]), desc));
      }
      return p.paginate(rows, c.query);
    },
  }),

  route({
    path: '/api/families',
    tag: 'hunt',
    summary:
      'Families: hosts linked by shared or alike (non-bare-probe) signatures, largest first, with the days members were found',
    query: z.strictObject({
      ip: p.cidr.optional(),
      org: p.organisation.optional(),
      from: findingFilters.from.describe('only the members found on this day or after (YYYY-MM-DD)'),
      to: findingFilters.to.describe('only the members found on this day or before, inclusive'),
      ...p.page,
    }),
    async handler(c) {
      const org = checkOrg(c.query.org, c.scope, c.directory);
      const inNet = addressFilter(c.query.ip);
      const { from, to } = c.query;
      if (from !== undefined && to !== undefined && to < from)
        throw p.badRequest('query.to must not be before query.from');
      // Days as the principal may see them: those of the members it sees, in the days asked for.
      const daysOf = new Map<string, Set<string>>();
      for (const f of await c.data.findings())
        if ((from === undefined || f.day >= from) && (to === undefined || f.day <= to))
          getOrSet(daysOf, f.ip, () => new Set<string>()).add(f.day);
      const ranged = from !== undefined || to !== undefined;
      // A family is made from every finding (who is linked to whom); a range keeps the members found in it.
      const fams = (await c.data.families())
        .map((f) => {
          const members = f.members.filter((ip) => {
            const o = c.directory.orgOf(ip);
            return c.scope.seesOrg(o) && (org === undefined || o === org) && (!ranged || daysOf.has(ip));
          });
          const days = new Set<string>();
          for (const ip of members) for (const d of daysOf.get(ip) ?? []) days.add(d);
          return {
            id: f.id,
            signatures: f.signatures,
            profile: f.profile,
            members,
            size: members.length,
            days: [...days].sort(),
          };
        })
        .filter((f) => f.size > 0 && (inNet === undefined || f.members.some(inNet)));
      return p.paginate(fams, c.query);
    },
  }),
];

/** The suspicious-IP table over every finding, or (a day range) over the findings and reports of those days. */
async function suspectsIn(c: RouteContext<unknown, unknown>, from?: string, to?: string) {
  if (from === undefined && to === undefined) return c.data.suspects();
  if (from !== undefined && to !== undefined && to < from)
    throw p.badRequest('query.to must not be before query.from');
  const inDays = (day: string) => (from === undefined || day >= from) && (to === undefined || day <= to);
  const findings = (await c.data.findings()).filter((f) => inDays(f.day));
  // suspiciousIps reads only the role and address of a report, which the light rows keep.
  const reports = (await c.data.reports()).filter((r) =>
    inDays(new Date(r.windowStart).toISOString().slice(0, 10)),
  ) as unknown as Report[];
  return suspiciousIps(findings, reports);
}
