/**
 * @module Routes: the flow explorer (nfdump's filter language over a time
 * range, a top-N statistic by any key or the first flows, asked through
 * `flowhunt query`'s own path, src/store/ask.ts) and one host's timeline
 * (flows, bytes and peers per bucket with its anomalous windows, its top
 * peers and destination ports, from the closed days kept, hostdays.ts). A scoped token asks about the flows with an
 * address in its organisations' prefixes only, and about its own hosts
 * only. A filter that does not parse answers 400 with the position and
 * length of the offending word, for the caret under it.
 */

import { z } from 'zod';
import { askFlows } from '../../store/ask.js';
import { FilterError } from '../../store/filter/index.js';
import { STAT_KEYS, STAT_ORDERS } from '../../store/types.js';
import { flowRow } from '../flow-row.js';
import { topOf } from '../hostdays.js';
import * as p from '../params.js';
import { ApiError } from '../params.js';
import { type Route, type RouteContext, route } from '../route.js';
import { BUCKETS, bucketFor } from '../traffic.js';

const DAY = 86_400_000;
const MAX_BUCKETS = 2000;

/** The range of a request: [from, to), the last 24 hours by default. */
function rangeOf(q: { from?: number; to?: number }): { from: number; to: number } {
  const to = q.to ?? Date.now();
  const from = q.from ?? to - DAY;
  if (!(from < to)) throw p.badRequest('query.from must be before query.to');
  return { from, to };
}

/** The networks a principal's questions are limited to: undefined for an admin. */
export function scopeNetworks(c: RouteContext<unknown, unknown>): string[] | undefined {
  if (c.scope.admin) return undefined;
  return c.scope.organisations().flatMap((o) => c.directory.cidrsOf(o) ?? []);
}

export const flowRoutes: Route[] = [
  route({
    path: '/api/flows',
    tag: 'flows',
    summary:
      "The flow explorer: an nfdump filter over a time range, as a top-N statistic (like nfdump -s key/order -n top) or the first flows in time order, with the matched totals; a scoped token's flows only",
    query: z.strictObject({
      filter: z.string().max(2000, 'filter is at most 2000 characters').optional().describe('nfdump filter'),
      from: p.time.optional().describe('flows ending at or after this time (default: 24 hours ago)'),
      to: p.time.optional().describe('flows ending before this time (default: now)'),
      stat: p.enumOf(STAT_KEYS, 'stat').optional().describe('top-N by this key; absent: list flows'),
      order: p.enumOf(STAT_ORDERS, 'order').optional(),
      top: p.intIn(1, 1000, 'top').optional(),
      limit: p.intIn(1, 1000, 'limit').optional(),
    }),
    async handler(c) {
      const range = rangeOf(c.query);
      const filter = c.query.filter ?? '';
      const within = scopeNetworks(c);
      const stat = c.query.stat
        ? { key: c.query.stat, order: c.query.order ?? 'flows', top: c.query.top ?? 10 }
        : undefined;
      try {
        const a = await askFlows(c.data.store, {
          filter,
          ...range,
          limit: c.query.limit ?? 100,
          ...(stat ? { stat } : {}),
          ...(within ? { within } : {}),
        });
        return {
          ...range,
          filter,
          total: a.total,
          ...(a.rows
            ? { stat, rows: a.rows }
            : {
                flows: a.flows.map(flowRow),
              }),
        };
      } catch (e) {
        if (!(e instanceof FilterError)) throw e;
        c.reply.code(400);
        return {
          error: 'bad_filter',
          message: e.message,
          reason: e.reason,
          position: e.position,
          length: e.length,
        };
      }
    },
  }),

  route({
    path: '/api/ip/:addr/timeline',
    tag: 'hosts',
    summary:
      "One host over a range: flows and bytes out and in and distinct peers per 5-minute window, hour or day, its anomalous windows, its top peers and destination ports (the host's own organisation only)",
    params: z.strictObject({ addr: p.ip }),
    query: z.strictObject({
      from: p.time.optional().describe('default: 24 hours ago'),
      to: p.time.optional().describe('default: now'),
      bucket: p.enumOf(['window', 'hour', 'day'] as const, 'bucket').optional(),
      top: p.intIn(1, 100, 'top').optional(),
    }),
    async handler(c) {
      const ip = c.params.addr;
      if (!c.scope.sees(ip)) throw new ApiError('forbidden', `${ip} is outside this token's organisations`);
      const { from, to } = rangeOf(c.query);
      const size = c.query.bucket ? BUCKETS[c.query.bucket] : bucketFor(from, to);
      if ((to - from) / size > MAX_BUCKETS)
        throw p.badRequest(
          `at most ${MAX_BUCKETS} buckets: ${Math.ceil((to - from) / size)} asked for; use a larger bucket`,
        );
      const top = c.query.top ?? 10;
      // The days first: the stretches they read fill the timeline's buckets in the same scan.
      const days = await c.data.hostDays.summary(ip, from, to, c.data.hosts.sink(ip, size));
      const points = await c.data.hosts.series(ip, from, to, size);
      const anomalous = (await c.data.reports())
        .filter((r) => r.ip === ip && r.windowStart >= from && r.windowStart < to)
        .map((r) => ({ id: r.id, t: r.windowStart, type: r.type, role: r.role, score: r.score }));
      return {
        ip,
        from,
        to,
        bucketMs: size,
        points,
        anomalous,
        total: {
          flows: days.out.flows + days.in.flows,
          packets: days.out.packets + days.in.packets,
          bytes: days.out.bytes + days.in.bytes,
        },
        topPeers: topOf(days.peers, top + 1)
          .filter((r) => r.key !== ip)
          .slice(0, top),
        topPorts: topOf(days.ports, top),
      };
    },
  }),
];
