/**
 * @module Volumetric attacks on campus hosts:
 * - a spoofed SYN flood: one victim, sources drawn at random from the whole
 *   address space (each seen once or twice), almost all entering through one
 *   uplink (the provider the attack comes from), and the victim's SYN-ACK
 *   backscatter to some of them;
 * - reflection/amplification: thousands of abused DNS, NTP and memcached
 *   servers answering requests the victim never sent, from their service
 *   ports, with large responses;
 * - a flood: one source sending a very large volume to one host.
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
import { outsideV4, UPLINKS } from './network.js';
import type { Population } from './population.js';
import { Rng } from './rng.js';
import { FLAGS_SYN, FLAGS_SYN_ACK, TCP, UDP } from './traffic.js';
import { activePeriods, type TruthBuilder } from './truth.js';
import type { FlowWriter } from './writer.js';

export interface EventTime {
  at: number;
  minutes: number;
}

/** The uplink a SYN flood arrives through. */
export const DDOS_UPLINK = UPLINKS.findIndex((u) => u.name === 'transit-b');
/** Share of the flood that arrives through {@link DDOS_UPLINK}. */
export const DDOS_UPLINK_SHARE = 0.92;

export class SynFlood implements Source {
  readonly victim: number;
  private readonly spans: Span[];

  constructor(
    private readonly seed: number,
    pop: Population,
    schedule: Schedule,
    when: EventTime,
    private readonly perMinute: number,
    truth: TruthBuilder,
  ) {
    this.victim = pop.alloc.campusInfra();
    this.spans = schedule.periods(when.at, when.minutes);
    truth.host(this.victim, {
      role: 'victim',
      side: 'campus',
      what: 'web server under a spoofed SYN flood',
      expectedTypes: ['ddos-victim'],
      active: activePeriods(this.spans),
    });
  }

  minute(m: Minute, out: FlowWriter): void {
    if (!activeAt(this.spans, m.start)) return;
    const rng = Rng.of(this.seed, 'synflood', m.index);
    const n = rng.poisson(this.perMinute * rng.uniform(0.8, 1.2));
    const dport = 443;
    for (let i = 0; i < n; i++) {
      const src = outsideV4(rng.u32());
      const te = endIn(rng, m);
      const pk = rng.chance(0.85) ? 1 : rng.range(2, 3);
      const size = rng.chance(0.7) ? 40 : 60;
      const uplink = rng.chance(DDOS_UPLINK_SHARE) ? DDOS_UPLINK : -1;
      const sport = 1024 + rng.int(64512);
      out.emit(
        te - (pk - 1) * 1000,
        te,
        src,
        this.victim,
        sport,
        dport,
        TCP,
        FLAGS_SYN,
        pk,
        pk * size,
        uplink,
      );
      if (rng.chance(0.2)) {
        // Backscatter: the victim still answers some of them.
        const te2 = Math.min(m.end - 1, te + 1 + rng.int(20));
        const rpk = rng.range(1, 3);
        out.emit(
          te2 - (rpk - 1) * 1000,
          te2,
          this.victim,
          src,
          dport,
          sport,
          TCP,
          FLAGS_SYN_ACK,
          rpk,
          rpk * 44,
        );
      }
    }
  }
}

interface Reflector {
  addr: number;
  port: number;
}

export class Reflection implements Source {
  readonly victim: number;
  private readonly spans: Span[];
  private readonly reflectors: Reflector[] = [];

  constructor(
    private readonly seed: number,
    pop: Population,
    schedule: Schedule,
    when: EventTime,
    count: number,
    truth: TruthBuilder,
  ) {
    const rng = Rng.of(seed, 'reflection');
    this.victim = pop.alloc.campusInfra();
    this.spans = schedule.periods(when.at, when.minutes);
    truth.host(this.victim, {
      role: 'victim',
      side: 'campus',
      what: 'host under a DNS/NTP/memcached reflection attack',
      expectedTypes: ['reflection-victim', 'ddos-victim'],
      active: activePeriods(this.spans),
    });
    const kinds: [number, string][] = [
      [53, 'open DNS resolver abused for reflection'],
      [123, 'NTP server abused for reflection (monlist)'],
      [11211, 'memcached server abused for reflection'],
    ];
    for (let i = 0; i < count; i++) {
      const u = rng.float();
      const [port, what] = kinds[u < 0.6 ? 0 : u < 0.9 ? 1 : 2]!;
      const addr = pop.alloc.outside4();
      this.reflectors.push({ addr, port });
      truth.host(addr, { role: 'reflector', side: 'outside', what });
    }
  }

  minute(m: Minute, out: FlowWriter): void {
    if (!activeAt(this.spans, m.start)) return;
    const rng = Rng.of(this.seed, 'reflection', m.index);
    for (const r of this.reflectors) {
      if (!rng.chance(0.9)) continue;
      // The spoofed requests carried source ports of the attacker's choosing.
      const dport = rng.chance(0.5) ? 80 : ephemeralPort(rng, 2);
      let pk: number;
      let size: number;
      if (r.port === 53) {
        pk = rng.range(10, 120);
        size = rng.range(1100, 1500);
      } else if (r.port === 123) {
        pk = rng.range(20, 100);
        size = 468;
      } else {
        pk = rng.range(50, 400);
        size = rng.range(1300, 1428);
      }
      const te = endIn(rng, m);
      out.emit(te - rng.int(50_000), te, r.addr, this.victim, r.port, dport, UDP, 0, pk, pk * size);
    }
  }
}

export class Flood implements Source {
  readonly source: number;
  readonly target: number;
  private readonly spans: Span[];

  constructor(
    private readonly seed: number,
    pop: Population,
    schedule: Schedule,
    when: EventTime,
    private readonly perMinute: number,
    truth: TruthBuilder,
  ) {
    this.source = pop.alloc.outside4();
    this.target = pop.alloc.campusInfra();
    this.spans = schedule.periods(when.at, when.minutes);
    const active = activePeriods(this.spans);
    truth.host(this.source, {
      role: 'attacker',
      side: 'outside',
      what: 'UDP flood source',
      expectedTypes: ['flood'],
      active,
    });
    truth.host(this.target, {
      role: 'victim',
      side: 'campus',
      what: 'game server hit by a UDP flood',
      expectedTypes: ['flood', 'ddos-victim'],
      active,
    });
  }

  minute(m: Minute, out: FlowWriter): void {
    if (!activeAt(this.spans, m.start)) return;
    const rng = Rng.of(this.seed, 'flood', m.index);
    const n = rng.poisson(this.perMinute);
    for (let i = 0; i < n; i++) {
      const pk = rng.range(80, 300);
      const te = endIn(rng, m);
      out.emit(
        te - rng.int(30_000),
        te,
        this.source,
        this.target,
        1024 + rng.int(64512),
        27015,
        UDP,
        0,
        pk,
        pk * rng.range(1000, 1470),
      );
    }
  }
}
