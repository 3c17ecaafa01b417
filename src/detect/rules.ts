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
import type { Profile } from './profile.js';
import type { HostMetrics, Role } from './rank.js';
import type { Thresholds } from './thresholds.js';

export const ANOMALY_TYPES = [
  'port-sweep',
  'content-attack',
  'service-scan',
  'syn-scan',
  'many-peers',
  'reflection-victim',
  'ddos-victim',
  'flood',
] as const;
export type AnomalyType = (typeof ANOMALY_TYPES)[number];

export interface Evidence {
  metric: string;
  value: number;
  threshold: number;
  /** `>=` or `<=`: which side of the threshold the value had to be on. */
  op: '>=' | '<=';
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
}

const TCP_HEADER = 40;

export function viewOf(m: HostMetrics, p: Profile): HostView {
  const topSrc = p.srcPorts.top[0];
  const server =
    m.role === 'source' &&
    topSrc !== undefined &&
    Number(topSrc.value) < EPHEMERAL_PORT_MIN &&
    topSrc.share >= 0.8 &&
    p.ephemeralSrcShare < 0.2;
  const portDist = m.role === 'source' ? p.dstPorts : p.dstPorts;
  return {
    m,
    p,
    kind: server ? 'server' : 'client',
    sessionsPerPeer: m.peers > 0 ? m.flows / m.peers : 0,
    packetsPerFlow: m.flows > 0 ? m.packets / m.flows : 0,
    bytesPerPacket: m.packets > 0 ? m.bytes / m.packets : 0,
    synShare: m.flows > 0 ? m.synOnlyFlows / m.flows : 0,
    topPortShare: portDist.top[0]?.share ?? 0,
    topPpoShare: p.ppo.top[0]?.share ?? 0,
    ampShare: m.flows > 0 ? m.ampFlows / m.flows : 0,
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

const ge = (metric: string, value: number, threshold: number): Evidence | null =>
  value >= threshold ? { metric, value, threshold, op: '>=' } : null;
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
function floodOf(v: HostView, t: Thresholds, perPeer: string): Evidence[] | null {
  const base = [ge('packets', v.m.packets, t.victim.floodPackets), ge(perPeer, v.sessionsPerPeer, 20)];
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
    describe: 'a host flooding a few targets with many non-TCP flows',
    check: (v, t) => {
      const f = floodOf(v, t, 'flows per target');
      return f ? all(le('distinct targets', v.m.peers, 10), ...f) : null;
    },
  },
  {
    type: 'port-sweep',
    role: 'source',
    kind: 'client',
    describe: 'many destination ports on few hosts (a vertical scan)',
    check: (v, t) =>
      all(
        ge('distinct destination ports', v.m.ports, t.client.sweepPorts),
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
        ge('distinct targets', v.m.peers, t.client.scanPeers),
        oneSessionPerTarget(v, t),
      ];
      const found = all(...wide, uniform) ?? all(...wide, failing);
      if (found) return found;
      return all(
        ...base,
        uniform,
        ge('flows to the service', v.m.flows * v.topPortShare, t.client.attackFlows),
      );
    },
  },
  {
    type: 'service-scan',
    role: 'source',
    kind: 'client',
    describe: 'bare probes of one service across many hosts (wide-range service scan)',
    check: (v, t) =>
      all(
        ge('distinct targets', v.m.peers, t.client.scanPeers),
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
        ge('distinct targets', v.m.peers, t.client.scanPeers),
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
        ge('distinct targets', v.m.peers, t.client.manyPeers),
        oneSessionPerTarget(v, t),
        ge('top port-packets-octets share', v.topPpoShare, 0.2),
      ) ??
      all(
        ge('distinct targets', v.m.peers, t.client.manyPeers),
        oneSessionPerTarget(v, t),
        le('packets per flow', v.packetsPerFlow, t.probe.maxPackets),
      ),
  },
  {
    type: 'many-peers',
    role: 'source',
    kind: 'server',
    describe: 'a server answering far more clients than usual',
    check: (v, t) => all(ge('distinct clients', v.m.peers, t.server.manyPeers)),
  },
  {
    type: 'reflection-victim',
    role: 'destination',
    describe: 'large UDP responses from amplification ports (DNS, NTP, memcached...) of many reflectors',
    check: (v, t) =>
      all(
        ge('share of flows from amplification ports', v.ampShare, t.victim.reflectionShare),
        ge('distinct reflectors', v.m.peers, t.victim.reflectors),
        ge('bytes from amplification ports', v.m.ampBytes, t.victim.reflectionBytes),
      ),
  },
  {
    type: 'ddos-victim',
    role: 'destination',
    describe: 'many sources sending SYN-only or identical flows (spoofed SYN flood, botnet flood)',
    check: (v, t) => {
      const base = [
        ge('distinct sources', v.m.peers, t.victim.ddosSources),
        ge('packets', v.m.packets, t.victim.ddosPackets),
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
    check: (v, t) => floodOf(v, t, 'flows per source'),
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
