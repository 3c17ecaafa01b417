/**
 * @module A botnet family whose bots mix two to four exchanges on one port
 * (a login refused, a login accepted, a server that hangs up), none on half
 * of the flows, so no single `port-packets-octets` signature describes it:
 * the case of the hunt's *profiles* (docs/hunt.md). With it, the hosts the
 * hunt must tell apart from its members on the same port:
 * - large attackers (thousands of targets a window) the profile is learned from;
 * - small members at a trickle, some retrying each target 2–5 times within
 *   a minute (brute forcers), the others one session per target;
 * - a near-miss prober: bot-like, but one other exchange only;
 * - legitimate clients of the port with varied sizes, some of their flows on
 *   the family's exchanges (the coverage rule);
 * - monitoring pollers that return to a short list of servers on a schedule,
 *   hundreds of identical sessions a day (the visits rule).
 * Kept apart from families.ts (the one-signature families) so the two grow
 * independently; the truth lists the family with its profile first.
 */

import {
  activeAt,
  endIn,
  ephemeralPort,
  type Minute,
  type Schedule,
  type Source,
  type Span,
} from './clock.js';
import { type Addr, campusV4, isCampus } from './network.js';
import type { Population } from './population.js';
import { CampusTargets, Prober, type Shape, type TargetSpace } from './prober.js';
import { cumulative, hash3, Rng, unit } from './rng.js';
import { TCP } from './traffic.js';
import { type AnomalyType, activePeriods, iso, type TruthBuilder, type TruthFamily } from './truth.js';
import type { FlowWriter } from './writer.js';

export interface MixedFamilySpec {
  name: string;
  port: number;
  what: string;
  /** Two to four exchanges, heaviest first; `weight` is each one's share of a bot's flows (summing to 1). */
  exchanges: readonly Shape[];
  /** Share of a bot's flows on its exchanges (the rest odd sizes: timeouts, resets). */
  onMix: number;
  largeTypes: AnomalyType[];
  large: { at: number; minutes: number }[];
  /** Small-scale members at scale 1. */
  small: number;
  /** Share of the members that retry each target 2–5 times within a minute. */
  retrying: number;
  /**
   * Bot-like probers using one exchange that is not the family's (each target
   * once), on the family's port unless `port` says another (a near miss of
   * another family's signature).
   */
  nearMiss: {
    port?: number;
    packets: number;
    octets: number;
    flags?: number;
    resembles: string;
    perDay: number;
  }[];
  /** Legitimate clients of the port at scale 1. */
  clients: number;
  /** Pollers: `servers` targets every `everyMinutes`, with the family's main exchange. */
  pollers: { servers: number; everyMinutes: number }[];
}

/** The family's profile in the documented form (`3306:5-420=45,4-320=30,3-210=25`). */
export function profileText(port: number, exchanges: readonly Shape[]): string {
  return `${port}:${exchanges.map((s) => `${s.packets}-${s.octets}=${Math.round(s.weight * 100)}`).join(',')}`;
}

interface Member {
  addr: Addr;
  targets: TargetSpace;
  cdf: Float64Array;
  perDay: number;
  online: Uint8Array;
  onShare: number;
  /** Sessions per target: 1, or 2–5 for a brute forcer. */
  retries: number;
  os: number;
}

interface Client {
  addr: Addr;
  /** Its servers; a client that sees each once (an inventory scan) has many. */
  servers: number[];
  once: boolean;
  perDay: number;
  sent: number;
}

/** Odd sizes of a bot's flows that are not its exchanges. */
const ODD: readonly { packets: number; octets: number; flags: number }[] = [
  { packets: 1, octets: 60, flags: 0x02 },
  { packets: 2, octets: 120, flags: 0x02 },
  { packets: 2, octets: 104, flags: 0x14 },
];

export class MixedFamily implements Source {
  private readonly large: { prober: Prober; spans: Span[]; perWindow: number }[] = [];
  private readonly members: Member[] = [];
  private readonly nearMiss: { prober: Prober; perDay: number }[] = [];
  private readonly clients: Client[] = [];
  private readonly pollers: { addr: Addr; servers: number[]; every: number }[] = [];
  private readonly mixCdf: Float64Array;

  constructor(
    private readonly seed: number,
    private readonly spec: MixedFamilySpec,
    pop: Population,
    schedule: Schedule,
    scale: number,
    truth: TruthBuilder,
  ) {
    const rng = Rng.of(seed, 'mixed', spec.name);
    this.mixCdf = cumulative(spec.exchanges.map((x) => x.weight));
    const profile = profileText(spec.port, spec.exchanges);
    const fam: TruthFamily = {
      name: spec.name,
      port: spec.port,
      protocol: 'tcp',
      signatures: [profile, ...spec.exchanges.map((s) => `${spec.port}-${s.packets}-${s.octets}`)],
      kind: 'content-attack',
      members: [],
      large: [],
      small: [],
    };
    const key = (i: number, salt: number) => hash3(seed, hash3(i, salt, 0x3a1), spec.port);
    const main = spec.exchanges[0]!;
    const cdf = (ex: readonly Shape[]) => cumulative(ex.map((s) => s.weight));

    spec.large.forEach((l, i) => {
      const addr = pop.alloc.outside4();
      const spans = schedule.periods(l.at, l.minutes);
      // The prober's first shape takes `share` of the flows, the others by weight: the family's mix.
      const prober = new Prober({
        addr,
        port: spec.port,
        proto: TCP,
        shapes: spec.exchanges,
        share: main.weight,
        targets: new CampusTargets(key(i, 1)),
        os: rng.chance(0.5) ? 0 : 2,
        windowCap: Number.POSITIVE_INFINITY,
      });
      this.large.push({ prober, spans, perWindow: Math.round(rng.uniform(2400, 6000)) });
      truth.host(addr, {
        role: 'attacker',
        side: 'outside',
        what: spec.what,
        family: spec.name,
        signature: profile,
        signatureShare: 1,
        scale: 'large',
        expectedTypes: spec.largeTypes,
        active: activePeriods(spans),
      });
      fam.members.push(truth.hosts[truth.hosts.length - 1]!.ip);
      fam.large.push(truth.hosts[truth.hosts.length - 1]!.ip);
    });

    const hours = Math.max(1, Math.ceil((schedule.to - schedule.from) / 3_600_000));
    const nSmall = Math.max(3, Math.round(spec.small * scale));
    for (let i = 0; i < nSmall; i++) {
      const addr = pop.alloc.outside4();
      // Each member's own mix is a little off the family's.
      const jitter = rng.uniform(-0.05, 0.05);
      const mine = spec.exchanges.map((s, k) => ({
        ...s,
        weight: s.weight + (k === 0 ? jitter : -jitter / (spec.exchanges.length - 1)),
      }));
      const onShare = rng.chance(0.4) ? 1 : rng.uniform(0.4, 0.9);
      const online = new Uint8Array(hours);
      for (let h = 0; h < hours; h++) online[h] = unit(hash3(key(i, 3), h, 7)) < onShare ? 1 : 0;
      if (!online.some((x) => x === 1)) online[0] = 1;
      const retries = rng.chance(spec.retrying) ? rng.range(2, 5) : 1;
      this.members.push({
        addr,
        targets: new CampusTargets(key(i, 2)),
        cdf: cdf(mine),
        perDay: Math.max(20, Math.min(2000, Math.round(rng.lognormal(120, 0.9)))),
        online,
        onShare,
        retries,
        os: rng.pick([0, 1, 2]),
      });
      const h = truth.host(addr, {
        role: 'bot',
        side: 'outside',
        what: `${spec.what} (small-scale botnet member${retries > 1 ? `, ${retries} sessions per target` : ''})`,
        family: spec.name,
        signature: profile,
        signatureShare: spec.onMix,
        scale: 'small',
        active: [{ from: iso(schedule.from), to: iso(schedule.to) }],
      });
      fam.members.push(h.ip);
      fam.small.push(h.ip);
    }
    truth.families.push(fam);

    spec.nearMiss.forEach((n, i) => {
      const addr = pop.alloc.outside4();
      const port = n.port ?? spec.port;
      const shape: Shape = {
        ...main,
        packets: n.packets,
        octets: n.octets,
        flags: n.flags ?? main.flags,
        weight: 1,
      };
      this.nearMiss.push({
        prober: new Prober({
          addr,
          port,
          proto: TCP,
          shapes: [shape],
          share: 1,
          targets: new CampusTargets(key(i, 4)),
          os: 0,
          windowCap: 60,
        }),
        perDay: n.perDay,
      });
      truth.host(addr, {
        role: 'research-scanner',
        side: 'outside',
        what: `prober of port ${port} with one exchange near a botnet's (${n.resembles})`,
        decoy: 'near-miss',
        nearMiss: { resembles: n.resembles, uses: `${port}-${n.packets}-${n.octets}` },
      });
    });

    const nClients = Math.max(2, Math.round(spec.clients * scale));
    for (let i = 0; i < nClients; i++) {
      const addr = pop.alloc.outside4();
      const once = i % 2 === 0;
      const n = once ? rng.range(40, 200) : rng.range(3, 12);
      const servers = Array.from({ length: n }, (_, k) =>
        campusV4(200 + (hash3(seed, key(i, 5), k) % 60000)),
      );
      this.clients.push({ addr, servers, once, perDay: once ? n : rng.range(50, 400), sent: 0 });
      truth.host(addr, {
        role: 'client',
        side: 'outside',
        what: once
          ? `inventory scan of port ${spec.port} servers (each once, varied sizes)`
          : `client of port ${spec.port} servers (varied sizes)`,
        decoy: 'attacked-port',
      });
    }
    spec.pollers.forEach((p, i) => {
      const addr = pop.alloc.outside4();
      const servers = Array.from({ length: p.servers }, (_, k) => campusV4(300 + k * 7 + i * 101));
      this.pollers.push({ addr, servers, every: p.everyMinutes });
      truth.host(addr, {
        role: 'monitor',
        side: isCampus(addr) ? 'campus' : 'outside',
        what: `monitoring poller of ${p.servers} port ${spec.port} servers every ${p.everyMinutes} minutes`,
        decoy: 'attacked-port',
      });
    });
  }

  minute(m: Minute, out: FlowWriter): void {
    const s = this.spec;
    const rng = Rng.of(this.seed, 'mixed', s.name, m.index);
    for (const l of this.large) {
      if (!activeAt(l.spans, m.start)) continue;
      l.prober.probe(rng, m, out, Math.round((l.perWindow / 5) * rng.uniform(0.85, 1.15)));
    }
    const hour = Math.floor(m.index / 60);
    for (const b of this.members) {
      if (!b.online[Math.min(hour, b.online.length - 1)]) continue;
      const n = rng.poisson(b.perDay / 1440 / b.onShare);
      for (let i = 0; i < n; i++) {
        const target = b.targets.next();
        // A brute forcer's sessions to one target all fall in this minute: one visit.
        for (let k = 0; k < b.retries; k++) {
          if (rng.chance(s.onMix))
            this.session(out, rng, m, b.addr, target, s.exchanges[rng.weighted(b.cdf)]!, b.os);
          else {
            const o = ODD[rng.int(ODD.length)]!;
            const te = endIn(rng, m);
            out.emit(
              te - rng.int(3000),
              te,
              b.addr,
              target,
              ephemeralPort(rng, b.os),
              s.port,
              TCP,
              o.flags,
              o.packets,
              o.octets,
            );
          }
        }
      }
    }
    for (const p of this.nearMiss) {
      const n = rng.poisson(p.perDay / 1440);
      if (n > 0) p.prober.probe(rng, m, out, n);
    }
    for (const c of this.clients) {
      if (c.once && c.sent >= c.servers.length) continue;
      const n = rng.poisson(c.perDay / 1440);
      for (let i = 0; i < n; i++) {
        const srv = c.once ? c.servers[c.sent % c.servers.length]! : c.servers[rng.int(c.servers.length)]!;
        c.sent++;
        // A third of its sessions happen to have the family's sizes, in the family's mix; the rest vary.
        const packets = 6 + rng.int(60);
        const shape: Shape = rng.chance(1 / 3)
          ? s.exchanges[rng.weighted(this.mixCdf)]!
          : { ...s.exchanges[0]!, packets, octets: packets * (60 + rng.int(1200)) };
        this.session(out, rng, m, c.addr, srv, shape, 0);
      }
    }
    for (const p of this.pollers)
      p.servers.forEach((srv, i) => {
        if ((m.index + i) % p.every !== 0) return;
        // The family's two heaviest exchanges in turn: only its schedule tells it from a bot.
        this.session(out, rng, m, p.addr, srv, s.exchanges[Math.floor(m.index / p.every + i) % 2]!, 0);
      });
  }

  /** One client session of `sh` and the server's answer when it gives one. */
  private session(out: FlowWriter, rng: Rng, m: Minute, src: Addr, dst: Addr, sh: Shape, os: number): void {
    const port = this.spec.port;
    const te = endIn(rng, m);
    const ts = te - Math.round(rng.uniform(sh.dur[0], sh.dur[1]));
    const sport = ephemeralPort(rng, os);
    out.emit(ts, te, src, dst, sport, port, TCP, sh.flags, sh.packets, sh.octets);
    if (sh.reply && rng.chance(sh.answer)) {
      const r = sh.reply;
      const te2 = Math.max(m.start, te - rng.int(3));
      out.emit(
        Math.min(te2, ts + 1 + rng.int(60)),
        te2,
        dst,
        src,
        port,
        sport,
        TCP,
        r.flags,
        rng.range(r.packets[0], r.packets[1]),
        rng.range(r.octets[0], r.octets[1]),
      );
    }
  }
}
