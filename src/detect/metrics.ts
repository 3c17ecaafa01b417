/**
 * @module The window metrics of a host, declared once. Each entry of
 * {@link METRICS} says what one flow adds to it, on which roles the rank
 * stage ranks it, the floor below which it does not make a host a
 * candidate, and whether a report shows it; the rank query, the combined
 * rank, the profile stage's exact re-count, {@link HostMetrics} and a
 * report's `metrics` are all read from the table, so a metric is added by
 * adding an entry.
 */

import { PROTO_ICMP, PROTO_ICMPV6 } from '../flow/icmp.js';
import { AMPLIFICATION_PORTS } from '../flow/names.js';
import type { Dialect } from '../store/types.js';
import type { Thresholds } from './thresholds.js';

export type Role = 'source' | 'destination';
export const ROLES: readonly Role[] = ['source', 'destination'];

/** SYN set and ACK clear, in arithmetic both engines spell the same. */
export const SYN_ONLY = '(proto = 6 AND (flags % 4) >= 2 AND (flags % 32) < 16)';

/** A UDP flow from an amplification service's port (a reflector's answer). */
export const AMP_FLOW = `(proto = 17 AND sport IN (${[...AMPLIFICATION_PORTS].sort((a, b) => a - b).join(', ')}))`;

/**
 * An address as one 64-bit value for the rank stage's approximate distinct
 * counts: its two halves XORed (an IPv4 address, upper half 0, is its lower
 * half). Counting the lower half alone made an IPv6 scan of one interface
 * ID across many /64s (`N::1`) one peer.
 */
function oneValue(hi: string, lo: string): (d: Pick<Dialect, 'bitXor'>) => string {
  return (d) => d.bitXor(lo, hi);
}

/** A profile dimension whose distinct values a metric counts (the profile stage's names). */
export type DistinctDim = 'peers' | 'dstPorts' | 'srcPorts';

/**
 * What one flow adds to its host's metric, in engine-neutral SQL over the
 * flow's columns: one (`count`), a column (`sum`), one or a column where a
 * condition holds (`where`, `sum`), or a value whose distinct values are
 * counted (`distinct`): exactly as the distinct values of a profile
 * dimension of the host's role, approximately in the rank stage of the
 * expression `approx` spells in the engine's dialect (for the roles ranked
 * on it).
 */
export type PerFlow =
  | { readonly count: true }
  | { readonly sum: string }
  | { readonly where: string; readonly sum?: string }
  | {
      readonly distinct: {
        readonly [R in Role]: {
          readonly dim: DistinctDim;
          readonly approx?: (d: Pick<Dialect, 'bitXor'>) => string;
        };
      };
    };

export interface Metric {
  /** The field of {@link HostMetrics}. */
  readonly key: string;
  readonly doc: string;
  readonly per: PerFlow;
  /** The roles whose combined rank it takes part in (none: counted exactly for the rules only). */
  readonly ranked: readonly Role[];
  /** Its floor in `detect.floor`: a host of a ranked role below every floor of that role is no candidate. */
  readonly floor?: keyof Thresholds['floor'];
  /** In a report's `metrics`, under its key. */
  readonly shown: boolean;
}

/**
 * The metrics, in the order the rank query computes them and a report
 * shows them. Ranking only chooses which hosts to profile, so its distinct
 * counts are the engine's approximate ones; every number a report carries
 * is recounted exactly for the kept hosts by the profile stage.
 */
const TABLE = [
  { key: 'flows', doc: 'flows', per: { count: true }, ranked: ['source'], floor: 'flows', shown: true },
  {
    key: 'packets',
    doc: 'packets',
    per: { sum: 'packets' },
    ranked: ['source', 'destination'],
    floor: 'packets',
    shown: true,
  },
  { key: 'bytes', doc: 'bytes', per: { sum: 'bytes' }, ranked: ['source', 'destination'], shown: true },
  {
    key: 'peers',
    doc: 'distinct other-side addresses',
    per: {
      distinct: {
        source: { dim: 'peers', approx: oneValue('dst_hi', 'dst_lo') },
        destination: { dim: 'peers', approx: oneValue('src_hi', 'src_lo') },
      },
    },
    ranked: ['source', 'destination'],
    floor: 'peers',
    shown: true,
  },
  {
    key: 'ports',
    doc: 'distinct destination ports (source role) or source ports (destination role)',
    per: {
      distinct: { source: { dim: 'dstPorts', approx: () => 'dport' }, destination: { dim: 'srcPorts' } },
    },
    ranked: ['source'],
    floor: 'ports',
    shown: true,
  },
  {
    key: 'synOnlyFlows',
    doc: 'TCP flows with SYN and without ACK: handshakes that never completed, or probes',
    per: { where: SYN_ONLY },
    ranked: ['source'],
    shown: false,
  },
  { key: 'tcpFlows', doc: 'TCP flows', per: { where: 'proto = 6' }, ranked: [], shown: false },
  {
    key: 'icmpFlows',
    doc: 'ICMP and ICMPv6 flows (portless: judged by type and code)',
    per: { where: `(proto = ${PROTO_ICMP} OR proto = ${PROTO_ICMPV6})` },
    ranked: [],
    shown: false,
  },
  {
    key: 'ampFlows',
    doc: 'UDP flows whose source port is an amplification service',
    per: { where: AMP_FLOW },
    ranked: [],
    shown: false,
  },
  {
    key: 'ampBytes',
    doc: 'bytes of those flows',
    per: { where: AMP_FLOW, sum: 'bytes' },
    ranked: [],
    shown: false,
  },
] as const satisfies readonly Metric[];

export type MetricKey = (typeof TABLE)[number]['key'];
export type ShownKey = Extract<(typeof TABLE)[number], { shown: true }>['key'];

export const METRICS: readonly (Metric & { readonly key: MetricKey })[] = TABLE;

/** Every metric's exact window value. */
export type Metrics = Record<MetricKey, number>;

/** A host of a window with its metrics. */
export interface HostMetrics extends Metrics {
  ip: string;
  hi: bigint;
  lo: bigint;
  role: Role;
  /** Best position on the role's ranked metrics (1 = largest). */
  rank: number;
}

/** The metrics the given role is ranked on. */
export function rankedOn(role: Role): MetricKey[] {
  return METRICS.filter((m) => m.ranked.includes(role)).map((m) => m.key);
}

/** Every metric 0: a host with no flows. */
export function zeroMetrics(): Metrics {
  return Object.fromEntries(METRICS.map((m) => [m.key, 0])) as Metrics;
}

/** The metrics a report shows, in the table's order. */
export function shownMetrics(m: Metrics): Record<ShownKey, number> {
  return Object.fromEntries(METRICS.filter((x) => x.shown).map((x) => [x.key, m[x.key]])) as Record<
    ShownKey,
    number
  >;
}

/** What a flow adds to a metric counted on a condition: 1 (or the column summed) where it holds, else 0. */
export function whereValue(per: Extract<PerFlow, { where: string }>): string {
  return `CASE WHEN ${per.where} THEN ${per.sum ?? 1} ELSE 0 END`;
}

/** The flow columns named in some SQL expressions (in the order of `columns`). */
export function columnsIn(exprs: readonly string[], columns: readonly string[]): string[] {
  const text = exprs.join(' ');
  return columns.filter((c) => new RegExp(`\\b${c}\\b`).test(text));
}
