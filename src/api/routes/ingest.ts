/**
 * @module Routes: the overview (ingest rate, exporters, the last 24 hours of
 * alerts) and the collector's statistics. Exporter addresses are the
 * operator's own routers, outside any organisation: a scoped token gets
 * their number, never the addresses (the statistics route is admin-only).
 */

import { z } from 'zod';
import { ANOMALY_TYPES } from '../../detect/rules.js';
import { type Route, route } from '../route.js';
import { getOrSet, publicRow } from './common.js';
import { eventKey } from './reports.js';

const DAY = 86_400_000;

export const ingestRoutes: Route[] = [
  route({
    path: '/api/overview',
    tag: 'overview',
    summary:
      'Flows per second, exporters, alerts and anomaly events of the last 24 hours by type, the latest alerts',
    query: z.strictObject({}),
    async handler(c) {
      const now = Date.now();
      const reports = (await c.data.reports()).filter((r) => c.scope.seesOrg(r.org));
      const recent = reports.filter((r) => r.windowEnd > now - DAY && r.windowStart <= now);
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
        ingest: {
          flowsPerSecond: await c.ingest.flowsPerSecond(),
          exporters: exporters.length,
          flowsStored: c.ingest.collector?.stats.flowsStored ?? null,
        },
        last24h: {
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
        latest: reports.slice(-10).reverse().map(publicRow),
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
];
