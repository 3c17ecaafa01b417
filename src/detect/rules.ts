/**
 * @module Stage 3 — score and classify, with explicit rules.
 *
 * Each rule declares the role it applies to (a source or a destination, and
 * for sources whether it looks like a client or a server) and returns its
 * evidence — which metric crossed which threshold, and by how much — or
 * null. The first rule that fires names the anomaly type, so the order
 * below is from the most specific to the most generic. Nothing outside this
 * file knows the types.
 */

import { AMPLIFICATION_PORTS, EPHEMERAL_PORT_MIN } from '../flow/names.js';
import {
  type Baseline,
  type Basis,
  type Limit,
  limitOf,
  SMALL_PACKET_BYTES,
  serviceKey,
} from './baseline.js';
import type { HostMetrics, Metrics, Role } from './metrics.js';
import type { Profile } from './profile.js';
import type { Thresholds } from './thresholds.js';

export const ANOMALY_TYPES = [
  'port-sweep',
  'content-attack',
  'ping-sweep',
  'service-scan',
  'syn-scan',
  'many-peers',
  'reflection-victim',
  'ddos-victim',
  'flood',
  'distributed-scan',
] as const;
export type AnomalyType = (typeof ANOMALY_TYPES)[number];

export interface Evidence {
  metric: string;
  value: number;
  threshold: number;
  /** `>=` or `<=`: which side of the threshold the value had to be on. */
  op: '>=' | '<=';
  /** What a learned threshold was judged against (absent: a pinned or fixed threshold). */
  basis?: Basis;
}

/** The volume thresholds a host is judged by: pinned, or learned from this network's normal. */
export interface Limits {
  /** Distinct targets on the host's most-targeted service (scans and brute force of one service). */
  serviceTargets: Limit;
  /** Distinct targets over every port (SYN scans). */
  scanPeers: Limit;
  manyPeers: Limit;
  sweepPorts: Limit;
  attackFlows: Limit;
  serverPeers: Limit;
  ddosSources: Limit;
  ddosPackets: Limit;
  reflectors: Limit;
  reflectionBytes: Limit;
  floodPackets: Limit;
}

/** What rules read: window metrics, the profile, and derived ratios. */
export interface HostView {
  m: HostMetrics;
  p: Profile;
  /** Server: answers from one well-known port to ephemeral client ports. */
  kind: 'client' | 'server';
  sessionsPerPeer: number;
  packetsPerFlow: number;
  bytesPerPacket: number;
  synShare: number;
  topPortShare: number;
  topPpoShare: number;
  ampShare: number;
  /** ICMP and ICMPv6 flows' share: portless traffic, judged by type and code. */
  icmpShare: number;
  /** Distinct targets on the service (protocol and destination port, ICMP type and code) with the most of them. */
  service: { proto: number; port: number; targets: number };
  limits: Limits;
}

const TCP_HEADER = 40;

/** The thresholds of one host: the pinned ones, or learned per role (and per service for its service targets). */
export function limitsOf(
  t: Thresholds,
  base: Baseline | undefined,
  role: Role,
  kind: 'client' | 'server',
  service: { proto: number; port: number },
  bytesPerPacket = 0,
): Limits {
  if (t.baseline.mode === 'pinned') {
    const v = (value: number): Limit => ({ value });
    return {
      serviceTargets: v(t.client.scanPeers),
      scanPeers: v(t.client.scanPeers),
      manyPeers: v(t.client.manyPeers),
      sweepPorts: v(t.client.sweepPorts),
      attackFlows: v(t.client.attackFlows),
      serverPeers: v(t.server.manyPeers),
      ddosSources: v(t.victim.ddosSources),
      ddosPackets: v(t.victim.ddosPackets),
      reflectors: v(t.victim.reflectors),
      reflectionBytes: v(t.victim.reflectionBytes),
      floodPackets: v(t.victim.floodPackets),
    };
  }
  const min = t.minimum;
  const l = (key: string, minimum: number) => limitOf(base, key, minimum, t.baseline);
  const self = role === 'destination' ? 'destination' : kind;
  return {
    serviceTargets: l(serviceKey(service.proto, service.port), min.scanPeers),
    scanPeers: l('client.peers', min.scanPeers),
    manyPeers: l('client.peers', min.manyPeers),
    sweepPorts: l('client.ports', min.sweepPorts),
    attackFlows: l('client.flows', min.attackFlows),
    serverPeers: l('server.peers', min.serverPeers),
    ddosSources: l('destination.peers', min.ddosSources),
    ddosPackets: l('destination.packets', min.ddosPackets),
    reflectors: l('destination.peers', min.reflectors),
    reflectionBytes: l('destination.bytes', min.reflectionBytes),
    // A flood of small packets is judged against the small packets hosts send (not against video calls).
    floodPackets: l(
      bytesPerPacket <= SMALL_PACKET_BYTES ? `${self}.smallPackets` : `${self}.packets`,
      min.floodPackets,
    ),
  };
}

/** The share of a host's flows that are ICMP (exact: counted in the window metrics, not read off the top protocols). */
function icmpShareOf(m: Metrics): number {
  return m.flows > 0 ? m.icmpFlows / m.flows : 0;
}

/** A source answering from one well-known port to ephemeral ones is a server; every other host a client. */
export function kindOf(role: HostMetrics['role'], m: Metrics, p: Profile): 'client' | 'server' {
  const topSrc = p.srcPorts.top[0];
  // ICMP has no ports: a source port of 0 is no well-known service, and an ICMP sender is a client.
  const server =
    role === 'source' &&
    topSrc !== undefined &&
    Number(topSrc.value) > 0 &&
    Number(topSrc.value) < EPHEMERAL_PORT_MIN &&
    topSrc.share >= 0.8 &&
    p.ephemeralSrcShare < 0.2 &&
    icmpShareOf(m) < 0.5;
  return server ? 'server' : 'client';
}

export function viewOf(
  m: HostMetrics,
  p: Profile,
  t: Thresholds,
  base: Baseline | undefined,
  service: { proto: number; port: number; targets: number } = { proto: 0, port: 0, targets: 0 },
): HostView {
  const icmpShare = icmpShareOf(m);
  const kind = kindOf(m.role, m, p);
  const bytesPerPacket = m.packets > 0 ? m.bytes / m.packets : 0;
  const portDist = m.role === 'source' ? p.dstPorts : p.dstPorts;
  return {
    m,
    p,
    kind,
    sessionsPerPeer: m.peers > 0 ? m.flows / m.peers : 0,
    packetsPerFlow: m.flows > 0 ? m.packets / m.flows : 0,
    bytesPerPacket,
    synShare: m.flows > 0 ? m.synOnlyFlows / m.flows : 0,
    topPortShare: portDist.top[0]?.share ?? 0,
    topPpoShare: p.ppo.top[0]?.share ?? 0,
    ampShare: m.flows > 0 ? m.ampFlows / m.flows : 0,
    icmpShare,
    service,
    limits: limitsOf(t, base, m.role, kind, service, bytesPerPacket),
  };
}

export interface Rule {
  type: AnomalyType;
  role: Role;
  /** For source rules: which kind of host it applies to. */
  kind?: 'client' | 'server';
  /** One line for the documentation and the alert text. */
  describe: string;
  check(v: HostView, t: Thresholds): Evidence[] | null;
}

const ge = (metric: string, value: number, threshold: number | Limit): Evidence | null => {
  const l = typeof threshold === 'number' ? { value: threshold } : threshold;
  if (value < l.value) return null;
  return l.basis
    ? { metric, value, threshold: l.value, op: '>=', basis: l.basis }
    : { metric, value, threshold: l.value, op: '>=' };
};
const le = (metric: string, value: number, threshold: number): Evidence | null =>
  value <= threshold ? { metric, value, threshold, op: '<=' } : null;

/** All of the conditions, or null. */
function all(...e: (Evidence | null)[]): Evidence[] | null {
  return e.every((x) => x !== null) ? (e as Evidence[]) : null;
}

function bareProbes(v: HostView, t: Thresholds): (Evidence | null)[] {
  return [
    le('packets per flow', v.packetsPerFlow, t.probe.maxPackets),
    le('bytes per packet', v.bytesPerPacket, t.probe.maxBytesPerPacket),
  ];
}

function oneSessionPerTarget(v: HostView, t: Thresholds): Evidence | null {
  return le('flows per target', v.sessionsPerPeer, t.client.sessionsPerPeer);
}

/**
 * A flood: far more packets than a host gets, from (or to) a few peers that
 * each open many flows — a flooder cycles source ports; a big download or a
 * QUIC stream is one or two flows. Large packets count only when the traffic
 * is not TCP (a TCP bulk transfer is a download, not a flood).
 */
function floodOf(v: HostView, perPeer: string): Evidence[] | null {
  const packets = ge('packets', v.m.packets, v.limits.floodPackets);
  // ICMP echo floods are one flow per exporter timeout (the flow key is type and code): no flow count to ask.
  const icmp = all(packets, ge('ICMP share', v.icmpShare, 0.8));
  if (icmp) return icmp;
  const base = [packets, ge(perPeer, v.sessionsPerPeer, 20)];
  const nonTcp = v.m.flows > 0 ? 1 - v.m.tcpFlows / v.m.flows : 0;
  return (
    all(...base, ge('non-TCP share', nonTcp, 0.8)) ??
    all(...base, le('bytes per packet', v.bytesPerPacket, 100))
  );
}

export const RULES: readonly Rule[] = [
  {
    type: 'flood',
    role: 'source',
    kind: 'client',
    describe: 'a host flooding a few targets: ICMP, or many non-TCP or tiny-packet flows',
    check: (v) => {
      const f = floodOf(v, 'flows per target');
      return f ? all(le('distinct targets', v.m.peers, 10), ...f) : null;
    },
  },
  {
    type: 'port-sweep',
    role: 'source',
    kind: 'client',
    describe: 'many destination ports on few hosts (a vertical scan)',
    check: (v) =>
      all(
        ge('distinct destination ports', v.m.ports, v.limits.sweepPorts),
        ge('ports per target', v.m.ports / Math.max(1, v.m.peers), 10),
      ),
  },
  {
    type: 'content-attack',
    role: 'source',
    kind: 'client',
    describe:
      'one service, several packets with payload per flow, uniform or failing sessions (brute force, exploit, spam)',
    check: (v, t) => {
      const payload = v.bytesPerPacket - TCP_HEADER;
      const base = [
        ge('top destination port share', v.topPortShare, t.probe.servicePortShare),
        ge('packets per flow', v.packetsPerFlow, t.probe.contentPackets),
        ge('payload bytes per packet', payload, t.probe.contentPayload),
      ];
      // Uniform sessions (one port-packets-octets combination carries a large share), or many attempts
      // nobody answered (SYN-only): what a brute-forcer or a spam bot shows and a NAT gateway does not.
      const uniform = ge('top port-packets-octets share', v.topPpoShare, 0.25);
      const failing = ge('SYN-only share', v.synShare, 0.2);
      const wide = [
        ...base,
        ge('distinct targets', v.service.targets, v.limits.serviceTargets),
        le('flows per target', v.sessionsPerPeer, t.client.attackSessionsPerPeer),
      ];
      const found = all(...wide, uniform) ?? all(...wide, failing);
      if (found) return found;
      return all(
        ...base,
        uniform,
        ge('flows to the service', v.m.flows * v.topPortShare, v.limits.attackFlows),
      );
    },
  },
  {
    type: 'ping-sweep',
    role: 'source',
    kind: 'client',
    describe: 'ICMP echo (or another ICMP type) to many addresses, once each (a ping sweep)',
    check: (v, t) =>
      all(
        ge('ICMP share', v.icmpShare, 0.8),
        ge('distinct targets', v.service.targets, v.limits.serviceTargets),
        oneSessionPerTarget(v, t),
      ),
  },
  {
    type: 'service-scan',
    role: 'source',
    kind: 'client',
    describe: 'bare probes of one service across many hosts (wide-range service scan)',
    check: (v, t) =>
      all(
        ge('distinct targets', v.service.targets, v.limits.serviceTargets),
        oneSessionPerTarget(v, t),
        ...bareProbes(v, t),
        ge('top destination port share', v.topPortShare, t.probe.servicePortShare),
      ),
  },
  {
    type: 'syn-scan',
    role: 'source',
    kind: 'client',
    describe: 'SYN-only probes across many hosts and ports',
    check: (v, t) =>
      all(
        ge('distinct targets', v.m.peers, v.limits.scanPeers),
        oneSessionPerTarget(v, t),
        ...bareProbes(v, t),
        ge('SYN-only share', v.synShare, t.probe.synShare),
      ),
  },
  {
    type: 'many-peers',
    role: 'source',
    kind: 'client',
    describe: 'far more targets than a client has, about one session each',
    check: (v, t) =>
      // Probe-like traffic: uniform (one combination dominates) or bare. A NAT gateway's flows are neither.
      all(
        ge('distinct targets', v.m.peers, v.limits.manyPeers),
        oneSessionPerTarget(v, t),
        ge('top port-packets-octets share', v.topPpoShare, 0.2),
      ) ??
      all(
        ge('distinct targets', v.m.peers, v.limits.manyPeers),
        oneSessionPerTarget(v, t),
        le('packets per flow', v.packetsPerFlow, t.probe.maxPackets),
      ),
  },
  {
    type: 'many-peers',
    role: 'source',
    kind: 'server',
    describe: 'a server answering far more clients than usual',
    check: (v) => all(ge('distinct clients', v.m.peers, v.limits.serverPeers)),
  },
  {
    type: 'reflection-victim',
    role: 'destination',
    describe: 'large UDP responses from amplification ports (DNS, NTP, memcached...) of many reflectors',
    check: (v, t) =>
      all(
        ge('share of flows from amplification ports', v.ampShare, t.victim.reflectionShare),
        ge('distinct reflectors', v.m.peers, v.limits.reflectors),
        ge('bytes from amplification ports', v.m.ampBytes, v.limits.reflectionBytes),
      ),
  },
  {
    type: 'ddos-victim',
    role: 'destination',
    describe: 'many sources sending SYN-only or identical flows (spoofed SYN flood, botnet flood)',
    check: (v, t) => {
      const base = [
        ge('distinct sources', v.m.peers, v.limits.ddosSources),
        ge('packets', v.m.packets, v.limits.ddosPackets),
      ];
      // Legitimate clients of a popular server send varied, data-carrying flows; attack traffic is
      // SYN-only (spoofed) or the same flow over and over (a bot's flood).
      return (
        all(...base, ge('SYN-only share', v.synShare, t.probe.synShare)) ??
        all(...base, ge('top port-packets-octets share', v.topPpoShare, 0.5))
      );
    },
  },
  {
    type: 'flood',
    role: 'destination',
    describe: 'a packet flood from a few sources, each opening many flows (UDP/ICMP, or tiny TCP packets)',
    check: (v) => floodOf(v, 'flows per source'),
  },
];

export interface Classification {
  type: AnomalyType;
  rule: Rule;
  evidence: Evidence[];
  /** How far past its thresholds the host is: the largest value/threshold over `>=` evidence. */
  score: number;
}

export function classify(v: HostView, t: Thresholds, rules: readonly Rule[] = RULES): Classification | null {
  for (const rule of rules) {
    if (rule.role !== v.m.role) continue;
    if (rule.kind && rule.kind !== v.kind) continue;
    const evidence = rule.check(v, t);
    if (!evidence) continue;
    const ratios = evidence.filter((e) => e.op === '>=' && e.threshold > 0).map((e) => e.value / e.threshold);
    const score = Math.round(Math.max(1, ...ratios) * 100) / 100;
    return { type: rule.type, rule, evidence, score };
  }
  return null;
}

/** Reflectors seen in a reflection victim's profile: abused hosts, not attackers. */
export function reflectorsOf(p: Profile): string[] {
  return p.peers.top.map((x) => x.value);
}

export function isAmplificationPort(port: number): boolean {
  return AMPLIFICATION_PORTS.has(port);
}
