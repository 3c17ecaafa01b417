/**
 * @module What a set of hosts did, measured from the flows themselves:
 * distinct destinations per 5-minute window, sessions per target, source
 * ports, port-packets-octets combinations, ingress interfaces of the
 * traffic they received. The tests use it to check that each scenario holds
 * what its truth claims; an evaluation can use it to describe a miss.
 */

import { parsePpo } from '../detect/profile.js';
import { parseAddress } from '../flow/address.js';
import type { FlowBatch } from '../flow/batch.js';

export interface PortObservation {
  flows: number;
  targets: Map<string | number, number>;
  sourcePorts: Set<number>;
}

export interface HostObservation {
  flows: number;
  /** Distinct destinations (all ports). */
  destinations: Set<string | number>;
  /** Distinct destinations per 5-minute window (window index → set). */
  windows: Map<number, Set<string | number>>;
  /** Flows per destination. */
  perTarget: Map<string | number, number>;
  sourcePorts: Set<number>;
  /** Per destination port: flows, flows per destination, source ports. */
  byPort: Map<number, PortObservation>;
  /** `port-packets-octets` → flows. */
  combos: Map<string, number>;
  /** Flows received, bytes received, by ingress interface and source port. */
  inFlows: number;
  inPacketsByIf: Map<number, number>;
  inBytesBySport: Map<number, number>;
  inSources: Set<string | number>;
}

/** The key of a truth address: the IPv4 value, or the text of an IPv6 address. */
export function hostKey(ip: string): string | number {
  const w = parseAddress(ip);
  if (!w) throw new Error(`bad address ${ip}`);
  return w[0] === 0 && w[1] === 0 && w[2] === 0xffff ? w[3] : w.join(':');
}

function keyAt(col: Uint32Array, i: number): string | number {
  const a = i * 4;
  return col[a] === 0 && col[a + 1] === 0 && col[a + 2] === 0xffff
    ? col[a + 3]!
    : `${col[a]}:${col[a + 1]}:${col[a + 2]}:${col[a + 3]}`;
}

function empty(): HostObservation {
  return {
    flows: 0,
    destinations: new Set(),
    windows: new Map(),
    perTarget: new Map(),
    sourcePorts: new Set(),
    byPort: new Map(),
    combos: new Map(),
    inFlows: 0,
    inPacketsByIf: new Map(),
    inBytesBySport: new Map(),
    inSources: new Set(),
  };
}

/** Observes the given hosts (truth IPs) over a stream of batches. */
export class Observer {
  readonly hosts = new Map<string | number, HostObservation>();
  flows = 0;
  /** End times never went backwards. */
  ordered = true;
  minEnd = Number.POSITIVE_INFINITY;
  maxEnd = Number.NEGATIVE_INFINITY;
  private lastEnd = Number.NEGATIVE_INFINITY;

  constructor(ips: Iterable<string>) {
    for (const ip of ips) this.hosts.set(hostKey(ip), empty());
  }

  get(ip: string): HostObservation {
    const h = this.hosts.get(hostKey(ip));
    if (!h) throw new Error(`${ip} is not observed`);
    return h;
  }

  add(b: FlowBatch): void {
    for (let i = 0; i < b.length; i++) {
      const te = b.te[i]!;
      if (te < this.lastEnd) this.ordered = false;
      this.lastEnd = te;
      if (te < this.minEnd) this.minEnd = te;
      if (te > this.maxEnd) this.maxEnd = te;
      this.flows++;
      const s = this.hosts.get(keyAt(b.src, i));
      const d = this.hosts.get(keyAt(b.dst, i));
      if (!s && !d) continue;
      const dst = keyAt(b.dst, i);
      if (s) {
        s.flows++;
        s.destinations.add(dst);
        const w = Math.floor(te / 300_000);
        let ws = s.windows.get(w);
        if (!ws) {
          ws = new Set();
          s.windows.set(w, ws);
        }
        ws.add(dst);
        s.perTarget.set(dst, (s.perTarget.get(dst) ?? 0) + 1);
        s.sourcePorts.add(b.sport[i]!);
        const dport = b.dport[i]!;
        let bp = s.byPort.get(dport);
        if (!bp) {
          bp = { flows: 0, targets: new Map(), sourcePorts: new Set() };
          s.byPort.set(dport, bp);
        }
        bp.flows++;
        bp.targets.set(dst, (bp.targets.get(dst) ?? 0) + 1);
        bp.sourcePorts.add(b.sport[i]!);
        const combo = `${b.dport[i]}-${b.packets[i]}-${b.bytes[i]}`;
        s.combos.set(combo, (s.combos.get(combo) ?? 0) + 1);
      }
      if (d) {
        d.inFlows++;
        d.inPacketsByIf.set(b.inIf[i]!, (d.inPacketsByIf.get(b.inIf[i]!) ?? 0) + b.packets[i]!);
        d.inBytesBySport.set(b.sport[i]!, (d.inBytesBySport.get(b.sport[i]!) ?? 0) + b.bytes[i]!);
        d.inSources.add(keyAt(b.src, i));
      }
    }
  }
}

/** Per-window distinct destinations, smallest and largest, over the windows a host was seen in. */
export function windowRange(h: HostObservation): { min: number; max: number } {
  let min = Number.POSITIVE_INFINITY;
  let max = 0;
  for (const s of h.windows.values()) {
    if (s.size < min) min = s.size;
    if (s.size > max) max = s.size;
  }
  return { min: Number.isFinite(min) ? min : 0, max };
}

/** Share of a host's flows with the given combination, among its flows to `port`. */
export function comboShare(h: HostObservation, combo: string): number {
  const port = parsePpo(combo)?.port;
  let onPort = 0;
  for (const [c, n] of h.combos) if (parsePpo(c)?.port === port) onPort += n;
  return onPort === 0 ? 0 : (h.combos.get(combo) ?? 0) / onPort;
}
