/**
 * @module A host that probes many targets on one service, one session per
 * target: a scanner, a brute-forcer, a bot. Each flow has one of a few
 * shapes (packets, octets, TCP flags); the first is the host's signature and
 * covers most but not all of its flows, the others are retries, half-open
 * attempts and other sizes. Targets are walked in a scrambled order without
 * repeats, like masscan and zmap do.
 */

import type { AddrWords } from '../flow/address.js';
import { endIn, ephemeralPort, type Minute, WINDOW_MS } from './clock.js';
import { type Addr, CAMPUS_V4_SIZE, campusV4, campusV6, isOutsideV4 } from './network.js';
import { cumulative, Permutation, type Rng } from './rng.js';
import type { FlowWriter } from './writer.js';

export interface Shape {
  packets: number;
  octets: number;
  flags: number;
  /** Probability that the target answers this flow. */
  answer: number;
  /** The answer's packets, octets and flags. */
  reply?: { packets: [number, number]; octets: [number, number]; flags: number };
  /** Flow duration range in ms. */
  dur: [number, number];
  weight: number;
}

/** Where a prober's targets come from, walked once each in scrambled order. */
export interface TargetSpace {
  next(): Addr;
}

export class CampusTargets implements TargetSpace {
  private readonly perm: Permutation;
  private i = 0;
  constructor(key: number) {
    this.perm = new Permutation(17, key);
  }
  next(): Addr {
    return campusV4(this.perm.at(this.i++ % CAMPUS_V4_SIZE));
  }
}

/** Campus IPv6 servers' subnets (2001:db8:100:1::/64 .. :f::/64), low interface ids. */
export class CampusTargets6 implements TargetSpace {
  private readonly perm: Permutation;
  private i = 0;
  constructor(key: number) {
    this.perm = new Permutation(20, key);
  }
  next(): AddrWords {
    const x = this.perm.at(this.i++ & 0xfffff);
    return campusV6(1 + (x >>> 16), 0, (x & 0xffff) + 1);
  }
}

export class OutsideTargets implements TargetSpace {
  private readonly perm: Permutation;
  private i = 0;
  constructor(key: number) {
    this.perm = new Permutation(32, key);
  }
  next(): Addr {
    for (;;) {
      const a = this.perm.at(this.i++);
      if (isOutsideV4(a)) return a;
    }
  }
}

export interface ProberOptions {
  addr: Addr;
  port: number;
  proto: number;
  /** The signature first. */
  shapes: readonly Shape[];
  /** Share of flows with the signature shape (the rest follow the other shapes' weights). */
  share: number;
  targets: TargetSpace;
  /** Source port convention (see `ephemeralPort`). */
  os: number;
  /** Most targets in one 5-minute window. */
  windowCap: number;
}

export class Prober {
  private readonly otherCdf: Float64Array;
  private window = -1;
  private inWindow = 0;
  /** Flows sent, and flows with the signature shape (for tests and the truth). */
  sent = 0;
  onSignature = 0;

  constructor(readonly o: ProberOptions) {
    this.otherCdf = cumulative(o.shapes.slice(1).map((s) => s.weight));
  }

  /** Sends up to `n` probes in this minute (fewer when the window's cap is reached). */
  probe(rng: Rng, m: Minute, out: FlowWriter, n: number): void {
    const w = Math.floor(m.start / WINDOW_MS);
    if (w !== this.window) {
      this.window = w;
      this.inWindow = 0;
    }
    const k = Math.min(n, this.o.windowCap - this.inWindow);
    const { addr, port, proto, shapes } = this.o;
    for (let i = 0; i < k; i++) {
      const onSig = shapes.length === 1 || rng.chance(this.o.share);
      const sh = onSig ? shapes[0]! : shapes[1 + rng.weighted(this.otherCdf)]!;
      const target = this.o.targets.next();
      const sport = ephemeralPort(rng, this.o.os);
      const te = endIn(rng, m);
      const ts = te - Math.round(rng.uniform(sh.dur[0], sh.dur[1]));
      out.emit(ts, te, addr, target, sport, port, proto, sh.flags, sh.packets, sh.octets);
      if (sh.reply && rng.chance(sh.answer)) {
        const r = sh.reply;
        const te2 = Math.max(m.start, te - rng.int(3));
        out.emit(
          Math.min(te2, ts + 1 + rng.int(60)),
          te2,
          target,
          addr,
          port,
          sport,
          proto,
          r.flags,
          rng.range(r.packets[0], r.packets[1]),
          rng.range(r.octets[0], r.octets[1]),
        );
      }
      this.sent++;
      if (onSig) this.onSignature++;
    }
    this.inWindow += k;
  }
}
