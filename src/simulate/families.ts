/**
 * @module Botnet families: a few *large* attackers that probe thousands of
 * targets in a 5-minute window for a while, and many *small-scale* members
 * that use the same signature at a trickle (tens to a few thousand targets a
 * day, a few per window, one session per target, a new ephemeral source
 * port each time), which no volume threshold catches: the hunt's quarry.
 */

import { activeAt, type Minute, type Schedule, type Source, type Span } from './clock.js';
import { type Addr, isCampus } from './network.js';
import type { Population } from './population.js';
import {
  CampusTargets,
  CampusTargets6,
  OutsideTargets,
  Prober,
  type Shape,
  type TargetSpace,
} from './prober.js';
import { hash3, Rng, unit } from './rng.js';
import { exchange, TCP } from './traffic.js';
import { type AnomalyType, activePeriods, iso, type TruthBuilder, type TruthFamily } from './truth.js';
import type { FlowWriter } from './writer.js';

export interface FamilySpec {
  name: string;
  port: number;
  kind: TruthFamily['kind'];
  /** What one attacker is, for the truth (`SSH brute-forcer`). */
  what: string;
  /** The signature shape first. */
  shapes: readonly Shape[];
  /** Anomaly types of a large attacker, main one first. */
  largeTypes: AnomalyType[];
  /** Large attackers: when (fraction of the cycle) and how long (minutes); `v6` marks an IPv6 one. */
  large: { at: number; minutes: number; v6?: boolean }[];
  /** Small-scale members at scale 1. */
  small: number;
}

/** Targets a large attacker probes in a 5-minute window, at least. */
export const LARGE_MIN_PER_WINDOW = 2000;
/** Targets a small-scale member probes in a 5-minute window, at most. */
export const SMALL_MAX_PER_WINDOW = 60;

export function signatureOf(port: number, s: Shape): string {
  return `${port}-${s.packets}-${s.octets}`;
}

interface Large {
  prober: Prober;
  spans: Span[];
  perWindow: number;
}

interface Small {
  prober: Prober;
  perDay: number;
  /** Hours of the run in which the member is online. */
  online: Uint8Array;
  onShare: number;
  /** An infected campus host also browses. */
  inside: boolean;
}

function mergeHours(online: Uint8Array, from: number, to: number): { from: string; to: string }[] {
  const out: { from: string; to: string }[] = [];
  for (let h = 0; h < online.length; h++) {
    if (!online[h]) continue;
    const s = from + h * 3_600_000;
    const e = Math.min(to, s + 3_600_000);
    const last = out[out.length - 1];
    if (last && last.to === iso(s)) last.to = iso(e);
    else out.push({ from: iso(s), to: iso(e) });
  }
  return out;
}

export class Family implements Source {
  private readonly large: Large[] = [];
  private readonly small: Small[] = [];

  constructor(
    private readonly seed: number,
    private readonly spec: FamilySpec,
    private readonly pop: Population,
    schedule: Schedule,
    scale: number,
    truth: TruthBuilder,
  ) {
    const rng = Rng.of(seed, 'family', spec.name);
    const sig = signatureOf(spec.port, spec.shapes[0]!);
    const fam: TruthFamily = {
      name: spec.name,
      port: spec.port,
      protocol: 'tcp',
      signatures: spec.shapes.map((s) => signatureOf(spec.port, s)),
      kind: spec.kind,
      members: [],
      large: [],
      small: [],
    };
    const key = (i: number, salt: number) => hash3(seed, hash3(i, salt, 0), spec.port);
    const label = (a: Addr, scale: 'large' | 'small', share: number, extra: object) => {
      const h = truth.host(a, {
        role: scale === 'large' ? 'attacker' : 'bot',
        side: isCampus(a) ? 'campus' : 'outside',
        what: scale === 'large' ? spec.what : `${spec.what} (small-scale botnet member)`,
        family: spec.name,
        signature: sig,
        signatureShare: Math.round(share * 1000) / 1000,
        scale,
        ...extra,
      });
      fam.members.push(h.ip);
      fam[scale].push(h.ip);
    };

    spec.large.forEach((l, i) => {
      const v6 = l.v6 === true;
      const addr: Addr = v6 ? pop.alloc.outside6() : pop.alloc.outside4();
      const targets: TargetSpace = v6 ? new CampusTargets6(key(i, 1)) : new CampusTargets(key(i, 1));
      const share = rng.uniform(0.75, 0.95);
      const spans = schedule.periods(l.at, l.minutes);
      const prober = new Prober({
        addr,
        port: spec.port,
        proto: TCP,
        shapes: spec.shapes,
        share,
        targets,
        os: rng.chance(0.5) ? 0 : 2,
        windowCap: Number.POSITIVE_INFINITY,
      });
      const perWindow = Math.round(rng.uniform(LARGE_MIN_PER_WINDOW * 1.2, LARGE_MIN_PER_WINDOW * 3));
      this.large.push({ prober, spans, perWindow });
      label(addr, 'large', share, {
        expectedTypes: spec.largeTypes,
        active: activePeriods(spans),
      });
    });

    const hours = Math.ceil((schedule.to - schedule.from) / 3_600_000);
    const nSmall = Math.max(3, Math.round(spec.small * scale));
    for (let i = 0; i < nSmall; i++) {
      const u = rng.float();
      // Mostly outside hosts probing the campus; some infected campus hosts probing out; a few over IPv6.
      const inside = u < 0.2;
      const v6 = !inside && u > 0.96;
      const addr: Addr = inside ? pop.alloc.campusClient() : v6 ? pop.alloc.outside6() : pop.alloc.outside4();
      const targets: TargetSpace = inside
        ? new OutsideTargets(key(i, 2))
        : v6
          ? new CampusTargets6(key(i, 2))
          : new CampusTargets(key(i, 2));
      const share = rng.uniform(0.6, 0.95);
      const perDay = Math.max(20, Math.min(3000, Math.round(rng.lognormal(150, 1))));
      // Online hours: an always-on device, or a machine that is on some hours of the day.
      const onShare = rng.chance(0.4) ? 1 : rng.uniform(0.3, 0.9);
      const online = new Uint8Array(Math.max(1, hours));
      for (let h = 0; h < online.length; h++) online[h] = unit(hash3(key(i, 3), h, 7)) < onShare ? 1 : 0;
      if (!online.some((x) => x === 1)) online[0] = 1;
      const prober = new Prober({
        addr,
        port: spec.port,
        proto: TCP,
        shapes: spec.shapes,
        share,
        targets,
        os: inside ? 1 : rng.pick([0, 1, 2]),
        windowCap: SMALL_MAX_PER_WINDOW,
      });
      this.small.push({ prober, perDay, online, onShare, inside });
      label(addr, 'small', share, { active: mergeHours(online, schedule.from, schedule.to) });
    }
    truth.families.push(fam);
  }

  minute(m: Minute, out: FlowWriter): void {
    const rng = Rng.of(this.seed, 'family', this.spec.name, m.index);
    for (const l of this.large) {
      if (!activeAt(l.spans, m.start)) continue;
      l.prober.probe(rng, m, out, Math.round((l.perWindow / 5) * rng.uniform(0.85, 1.15)));
    }
    const hour = Math.floor(m.index / 60);
    for (const s of this.small) {
      if (!s.online[Math.min(hour, s.online.length - 1)]) continue;
      const lambda = s.perDay / 1440 / s.onShare;
      const n = rng.poisson(lambda);
      if (n > 0) s.prober.probe(rng, m, out, n);
      if (s.inside && rng.chance(0.08)) {
        const srv = rng.weighted(this.pop.outServers.cdf);
        exchange(
          out,
          rng,
          m,
          s.prober.o.addr,
          this.pop.outServers.addrs[srv]!,
          49152 + rng.int(16384),
          443,
          TCP,
        );
      }
    }
  }
}
