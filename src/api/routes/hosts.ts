/**
 * @module Routes: everything about one address, search (an address, a
 * network, a signature or an organisation name), the principal and its
 * organisations, and the names the dashboard shows in each language.
 */

import { z } from 'zod';
import { MESSAGES } from '../../alert/i18n.js';
import { ANOMALY_TYPES } from '../../detect/rules.js';
import { LANGS } from '../../enrich/directory.js';
import { normalizeAddress, parseCidr } from '../../flow/address.js';
import { keyOf, parseSignature, signatureKey, signatureText } from '../../hunt/signature.js';
import * as p from '../params.js';
import { ApiError } from '../params.js';
import { type Route, route } from '../route.js';
import { bucketFor } from '../traffic.js';
import { addressFilter, compareBy, getOrSet, publicRow } from './common.js';

const DAY = 86_400_000;

export const hostRoutes: Route[] = [
  route({
    path: '/api/ip/:addr',
    tag: 'hosts',
    summary:
      'Everything known about one address: organisation and location, reports, signatures used as an attacker, hunt findings, flow totals',
    params: z.strictObject({ addr: p.ip }),
    query: z.strictObject({
      from: p.time.optional().describe('flow totals from this time (default: 24 hours ago)'),
      to: p.time.optional().describe('flow totals before this time (default: now)'),
    }),
    async handler(c) {
      const ip = c.params.addr;
      if (!c.scope.sees(ip)) throw new ApiError('forbidden', `${ip} is outside this token's organisations`);
      const now = Date.now();
      const range = p.timeRange({ from: c.query.from ?? now - DAY, to: c.query.to ?? now });
      const reports = (await c.data.reports()).filter((r) => r.ip === ip);
      const findings = (await c.data.findings()).filter((f) => f.ip === ip);
      const signatures = (await c.data.catalog())
        .filter((s) => s.attackers.some((a) => a.ip === ip))
        .map((s) => ({ signature: s.signature, protocol: s.protocol, strength: s.strength }));
      const suspect = (await c.data.suspects()).find((s) => s.ip === ip) ?? null;
      const family = (await c.data.families()).find((f) => f.members.includes(ip));
      // From its days (closed ones kept): a flow from the host to itself counts as sent.
      // The timeline's buckets of the range fill in passing (the page asks for them at once).
      const bucket = bucketFor(range.from!, range.to!);
      const days = await c.data.hostDays.summary(ip, range.from!, range.to!, c.data.hosts.sink(ip, bucket));
      const [asSource, asDestination] = [days.out, days.in];
      const org = c.directory.orgOf(ip);
      return {
        ip,
        org: org ?? null,
        enrichment: c.enrich(ip),
        reports: {
          total: reports.length,
          types: [...new Set(reports.map((r) => r.type))],
          latest: reports.slice(-200).reverse().map(publicRow),
        },
        signatures,
        findings: {
          total: findings.length,
          items: [...findings].sort(compareBy((f) => f.day, true)).slice(0, 500),
        },
        suspect,
        // Its family, with the members this token sees (an address is in at most one family).
        family: family
          ? {
              id: family.id,
              signatures: family.signatures,
              size: family.members.filter((m) => c.scope.sees(m)).length,
            }
          : null,
        flows: { ...range, asSource, asDestination },
      };
    },
  }),

  route({
    path: '/api/search',
    tag: 'hosts',
    summary: 'Search: an address, a network (CIDR), a signature (22-4-240) or part of an organisation name',
    query: z.strictObject({
      q: z
        .string()
        .trim()
        .min(1, 'q is empty')
        .max(100, 'q is at most 100 characters')
        .describe('what to look for'),
    }),
    async handler(c) {
      const q = c.query.q;
      const out: {
        kind: 'ip' | 'network' | 'signature' | 'organisation' | 'none';
        ips: { ip: string; org: string | null; reports: number; findings: number }[];
        signatures: { signature: string; protocol: number; strength: number | null; hosts: number }[];
        organisations: string[];
      } = { kind: 'none', ips: [], signatures: [], organisations: [] };
      const cidr = parseCidr(q);
      const sig = parseSignature(q);
      if (cidr) {
        out.kind = normalizeAddress(q) ? 'ip' : 'network';
        const inNet = addressFilter(cidr)!;
        const by = new Map<string, { ip: string; org: string | null; reports: number; findings: number }>();
        const hit = (ip: string, org: string | undefined) =>
          getOrSet(by, ip, () => ({ ip, org: org ?? null, reports: 0, findings: 0 }));
        for (const r of await c.data.reports())
          if (c.scope.seesOrg(r.org) && inNet(r.ip)) hit(r.ip, r.org).reports++;
        for (const f of await c.data.findings())
          if (c.scope.seesOrg(f.org) && inNet(f.ip)) hit(f.ip, f.org).findings++;
        out.ips = [...by.values()]
          .sort((a, b) => b.findings + b.reports - (a.findings + a.reports))
          .slice(0, 100);
        if (out.kind === 'ip' && out.ips.length === 0 && c.scope.sees(normalizeAddress(q)!)) {
          const ip = normalizeAddress(q)!;
          out.ips = [{ ip, org: c.directory.orgOf(ip) ?? null, reports: 0, findings: 0 }];
        }
      } else if (sig) {
        out.kind = 'signature';
        const text = signatureText(sig);
        const id = signatureKey(sig);
        const hosts = new Set(
          (await c.data.findings()).filter((f) => keyOf(f) === id && c.scope.seesOrg(f.org)).map((f) => f.ip),
        );
        const entry = (await c.data.catalog()).find((s) => signatureKey(s) === id);
        const attackers = entry?.attackers.filter((a) => c.scope.sees(a.ip)).length ?? 0;
        if (hosts.size > 0 || attackers > 0)
          out.signatures = [
            { signature: text, protocol: sig.protocol, strength: entry?.strength ?? null, hosts: hosts.size },
          ];
      } else {
        out.kind = 'organisation';
        const needle = q.toLowerCase();
        out.organisations = c.scope.organisations().filter((o) => o.toLowerCase().includes(needle));
      }
      return out;
    },
  }),

  route({
    path: '/api/me',
    tag: 'access',
    summary: 'Who the token belongs to and what it sees',
    async handler(c) {
      const pr = c.scope.principal;
      return { name: pr.name, admin: pr.admin, organisations: c.scope.organisations() };
    },
  }),

  route({
    path: '/api/orgs',
    tag: 'access',
    summary: 'The organisations this token sees, with their address space',
    async handler(c) {
      return {
        items: c.scope.organisations().map((name) => ({ name, cidrs: c.directory.cidrsOf(name) ?? [] })),
      };
    },
  }),

  route({
    path: '/api/meta',
    tag: 'access',
    summary: 'Anomaly types and profile dimensions with their names in each language',
    async handler() {
      return {
        anomalyTypes: ANOMALY_TYPES,
        languages: LANGS,
        typeNames: Object.fromEntries(LANGS.map((l) => [l, MESSAGES[l].type])),
        dimensionNames: Object.fromEntries(LANGS.map((l) => [l, MESSAGES[l].dim])),
        // Threshold metrics by their English names (a metric without a translation keeps its English name).
        metricNames: Object.fromEntries(LANGS.map((l) => [l, MESSAGES[l].metric])),
      };
    },
  }),
];
