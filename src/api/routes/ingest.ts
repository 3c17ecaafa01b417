/**
 * @module Routes: the overview (ingest rate, exporters, the last 24 hours of
 * alerts) and the collector's statistics. Exporter addresses are the
 * operator's own routers, outside any organisation: a scoped token gets
 * their number, never the addresses (the statistics and exporters routes
 * are admin-only).
 */

import { z } from 'zod';
import { EXPORTER_KIND, type ExporterSnapshot } from '../../collect/snapshot.js';
import { ANOMALY_TYPES } from '../../detect/rules.js';
import * as p from '../params.js';
import { type Route, route } from '../route.js';
import { BUCKETS, bucketFor } from '../traffic.js';
import { checkOrg, getOrSet, publicRow } from './common.js';
import { eventKey } from './reports.js';

const DAY = 86_400_000;

export const ingestRoutes: Route[] = [
  route({
    path: '/api/overview',
    tag: 'overview',
    summary:
      'Flows per second, exporters, alerts and anomaly events in a range (the last 24 hours by default) by type, the latest alerts of the range',
    query: z.strictObject({
      from: p.time.optional().describe('windows ending after this time (default: 24 hours before to)'),
      to: p.time.optional().describe('windows starting before this time (default: now)'),
    }),
    async handler(c) {
      const now = Date.now();
      const to = c.query.to ?? now;
      const from = c.query.from ?? to - DAY;
      if (!(from < to)) throw p.badRequest('query.from must be before query.to');
      const reports = (await c.data.reports()).filter((r) => c.scope.seesOrg(r.org));
      const recent = reports.filter((r) => r.windowEnd > from && r.windowStart < to);
      const byType = new Map<string, { type: string; reports: number; events: Set<string> }>();
      for (const r of recent) {
        const t = getOrSet(byType, r.type, () => ({ type: r.type, reports: 0, events: new Set<string>() }));
        t.reports++;
        t.events.add(eventKey(r));
      }
      const topTypes = [...byType.values()]
        .map((t) => ({ type: t.type, reports: t.reports, events: t.events.size }))
        .sort(
          (a, b) =>
            b.events - a.events ||
            ANOMALY_TYPES.indexOf(a.type as never) - ANOMALY_TYPES.indexOf(b.type as never),
        );
      const findings = (await c.data.findings()).filter((f) => c.scope.seesOrg(f.org));
      const exporters = c.ingest.exporters();
      return {
        now,
        from,
        to,
        ingest: {
          flowsPerSecond: await c.ingest.flowsPerSecond(),
          exporters: exporters.length,
          flowsStored: c.ingest.collector?.stats.flowsStored ?? null,
        },
        inRange: {
          reports: recent.length,
          events: topTypes.reduce((n, t) => n + t.events, 0),
          topTypes,
        },
        totals: {
          reports: reports.length,
          findings: findings.length,
          suspects: new Set(findings.map((f) => f.ip)).size,
          lastReport: reports.at(-1)?.windowStart ?? null,
          lastHuntedDay: findings.at(-1)?.day ?? null,
        },
        latest: recent.slice(-10).reverse().map(publicRow),
      };
    },
  }),

  route({
    path: '/api/stats',
    tag: 'overview',
    summary: 'Collector and store statistics: per-exporter counters, stored days',
    adminOnly: true,
    async handler(c) {
      const s = c.ingest.collector?.stats;
      return {
        flowsPerSecond: await c.ingest.flowsPerSecond(),
        collector: s
          ? {
              flowsStored: s.flowsStored,
              refused: s.refused,
              queueDropped: s.queueDropped,
              storeErrors: s.storeErrors,
              flushes: s.flushCount,
              lastFlushSeconds: s.flushLastSeconds,
            }
          : null,
        exporters: c.ingest.exporters(),
        days: await c.data.store.days(),
      };
    },
  }),

  route({
    path: '/api/exporters',
    tag: 'overview',
    summary:
      'Every exporter of every collecting serve instance on the store: packets, bytes, records, sequence gaps, decode errors, templates, last seen',
    adminOnly: true,
    async handler(c) {
      const now = Date.now();
      const items = (await c.data.store.getDocs<ExporterSnapshot>(EXPORTER_KIND))
        .flatMap((p) => p.docs)
        // An instance that has not written for a minute has stopped (or cannot reach the store).
        .map((x) => ({ ...x, current: now - x.at < 60_000 }))
        .sort((a, b) => a.exporter.localeCompare(b.exporter) || a.instance.localeCompare(b.instance));
      return { items };
    },
  }),

  route({
    path: '/api/traffic',
    tag: 'overview',
    summary:
      'Flows, packets and bytes over time per 5-minute window, hour or day (by default by the length of the range; the last 24 hours by default); a scoped token gets the traffic of its own networks',
    query: z.strictObject({
      from: p.time.optional(),
      to: p.time.optional(),
      bucket: p.enumOf(['window', 'hour', 'day'] as const, 'bucket').optional(),
      org: p.organisation.optional(),
    }),
    async handler(c) {
      const now = Date.now();
      const to = c.query.to ?? now;
      const from = c.query.from ?? to - DAY;
      if (!(from < to)) throw p.badRequest('query.from must be before query.to');
      const size = c.query.bucket ? BUCKETS[c.query.bucket] : bucketFor(from, to);
      if ((to - from) / size > 2000)
        throw p.badRequest(
          `at most 2000 buckets: ${Math.ceil((to - from) / size)} asked for; use a larger bucket`,
        );
      const org = checkOrg(c.query.org, c.scope, c.directory);
      // The flows with an address in the networks asked for: one organisation, the token's, or all.
      const orgs = org !== undefined ? [org] : c.scope.admin ? undefined : c.scope.organisations();
      const networks = orgs?.flatMap((o) => c.directory.cidrsOf(o) ?? []);
      const points = await c.data.traffic.series(from, to, size, networks, orgs ? orgs.join('\u0000') : '*');
      return { bucketMs: size, from, to, points };
    },
  }),
];
