/**
 * @module Each kept source's most-targeted service: the protocol and
 * destination port (for ICMP, type and code) on which it reached the most
 * distinct targets, and how many. A brute forcer of SSH or a ping sweep is
 * judged on the targets of that one service against what hosts of this
 * network reach on it, not on all the peers a busy client has.
 */

import { big, num } from '../store/queries.js';
import { raw, sql } from '../store/sql.js';
import type { FlowStore } from '../store/types.js';
import type { HostMetrics } from './metrics.js';

export interface ServiceTargets {
  proto: number;
  port: number;
  targets: number;
}

const SLICE = 1000;

/** Per source address (as `HostMetrics.ip`), its most-targeted service in `[w0, w1)`. */
export async function serviceTargets(
  store: FlowStore,
  sources: readonly HostMetrics[],
  w0: number,
  w1: number,
): Promise<Map<string, ServiceTargets>> {
  const out = new Map<string, ServiceTargets>();
  const d = store.dialect;
  const byKey = new Map(sources.map((s) => [`${s.hi}/${s.lo}`, s.ip]));
  for (let i = 0; i < sources.length; i += SLICE) {
    const slice = sources.slice(i, i + SLICE);
    const set = d.inTuples(
      ['src_hi', 'src_lo'],
      slice.map((s) => [s.hi, s.lo]),
    );
    const rows = await store.queryFlows({ from: w0, to: w1 }, (from) =>
      d.topPerGroup(
        sql`SELECT src_hi AS hi, src_lo AS lo, proto, dport AS port, ${raw(d.uint(d.countDistinct(['dst_hi', 'dst_lo'])))} AS targets
          FROM ${from} WHERE te >= ${w0} AND te < ${w1} AND ${set} GROUP BY src_hi, src_lo, proto, dport`,
        ['hi', 'lo'],
        'targets DESC, proto, port',
        1,
        ['proto', 'port', 'targets'],
      ),
    );
    for (const r of rows) {
      const ip = byKey.get(`${big(r['hi'])}/${big(r['lo'])}`);
      if (ip) out.set(ip, { proto: num(r['proto']), port: num(r['port']), targets: num(r['targets']) });
    }
  }
  return out;
}
