/**
 * @module Other probing behaviours, hostile and not:
 * - a port sweep: one outside host walking thousands of ports on a few
 *   campus hosts with nmap's 44-byte SYNs, the hosts answering RST or SYN-ACK;
 * - a spam bot: an infected campus host delivering to thousands of mail
 *   exchangers (too many peers, with content);
 * - near-miss decoys: monitoring that looks like a botnet signature on the
 *   same port with the same packet count but other octets, and that returns
 *   to the same targets again and again;
 * - a research scanner (a Censys/Shodan-like survey) on an attacked port,
 *   with another SYN size than the botnet's.
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
import { type Addr, campusV4 } from './network.js';
import type { Population } from './population.js';
import { CampusTargets, OutsideTargets, Prober } from './prober.js';
import { hash3, Permutation, Rng } from './rng.js';
import { FLAGS_FULL, FLAGS_RST_ACK, FLAGS_SYN, FLAGS_SYN_ACK, TCP } from './traffic.js';
import { activePeriods, type TruthBuilder } from './truth.js';
import type { EventTime } from './volumetric.js';
import type { FlowWriter } from './writer.js';

export class PortSweep implements Source {
  readonly source: number;
  private readonly spans: Span[];
  private readonly hosts: { addr: Addr; open: number[] }[];
  private readonly perm: Permutation;
  private cursor = 0;
  private readonly portsPerHost = 8000;

  constructor(
    private readonly seed: number,
    pop: Population,
    schedule: Schedule,
    when: EventTime,
    private readonly perMinute: number,
    truth: TruthBuilder,
  ) {
    this.source = pop.alloc.outside4();
    this.spans = schedule.periods(when.at, when.minutes);
    truth.host(this.source, {
      role: 'attacker',
      side: 'outside',
      what: 'port sweeper (nmap-style SYN scan of a few hosts)',
      expectedTypes: ['port-sweep', 'syn-scan'],
      active: activePeriods(this.spans),
    });
    const v4 = pop.campusServers.filter((s) => typeof s.addr === 'number');
    this.hosts = v4.slice(0, 4).map((s) => ({ addr: s.addr, open: [s.port] }));
    for (let i = 0; i < 3; i++)
      this.hosts.push({ addr: campusV4(70000 + (hash3(seed, i, 0x5ee) % 50000)), open: [] });
    this.perm = new Permutation(16, hash3(seed, 0x5ee9, 1));
  }

  minute(m: Minute, out: FlowWriter): void {
    if (!activeAt(this.spans, m.start)) return;
    const rng = Rng.of(this.seed, 'sweep', m.index);
    const n = Math.round(this.perMinute * rng.uniform(0.9, 1.1));
    for (let i = 0; i < n; i++) {
      const c = this.cursor++;
      const h = this.hosts[Math.floor(c / this.portsPerHost) % this.hosts.length]!;
      const port = this.perm.at(c % this.portsPerHost) || 1;
      // nmap keeps one source port for a host's probes.
      const sport = 40000 + (hash3(this.seed, Math.floor(c / this.portsPerHost), 3) % 20000);
      const te = endIn(rng, m);
      out.emit(te, te, this.source, h.addr, sport, port, TCP, FLAGS_SYN, 1, 44);
      const open = h.open.includes(port);
      if (open || rng.chance(0.95)) {
        const te2 = Math.min(m.end - 1, te + 1 + rng.int(30));
        out.emit(
          te2,
          te2,
          h.addr,
          this.source,
          port,
          sport,
          TCP,
          open ? FLAGS_SYN_ACK : FLAGS_RST_ACK,
          1,
          open ? 44 : 40,
        );
      }
    }
  }
}

export class SpamBot implements Source {
  readonly addr: number;
  private readonly spans: Span[];
  private readonly targets: OutsideTargets;

  constructor(
    private readonly seed: number,
    pop: Population,
    schedule: Schedule,
    when: EventTime,
    private readonly perMinute: number,
    truth: TruthBuilder,
  ) {
    this.addr = pop.alloc.campusClient();
    this.spans = schedule.periods(when.at, when.minutes);
    this.targets = new OutsideTargets(hash3(seed, 0x5a3, 1));
    truth.host(this.addr, {
      role: 'bot',
      side: 'campus',
      what: 'spam bot (infected campus host mailing thousands of exchangers)',
      expectedTypes: ['many-peers', 'content-attack'],
      active: activePeriods(this.spans),
    });
  }

  minute(m: Minute, out: FlowWriter): void {
    if (!activeAt(this.spans, m.start)) return;
    const rng = Rng.of(this.seed, 'spam', m.index);
    const n = rng.poisson(this.perMinute);
    for (let i = 0; i < n; i++) {
      const mx = this.targets.next();
      const sport = ephemeralPort(rng, 1);
      const te = endIn(rng, m);
      if (rng.chance(0.3)) {
        const pk = rng.range(1, 2);
        out.emit(te - (pk - 1) * 3000, te, this.addr, mx, sport, 25, TCP, FLAGS_SYN, pk, pk * 52);
        continue;
      }
      const pk = rng.range(8, 14);
      const ts = te - rng.range(300, 4000);
      out.emit(ts, te, this.addr, mx, sport, 25, TCP, FLAGS_FULL, pk, rng.range(700, 3000));
      const rpk = rng.range(6, 10);
      const te2 = Math.max(m.start, te - rng.int(3));
      out.emit(
        Math.min(ts + 30, te2),
        te2,
        mx,
        this.addr,
        25,
        sport,
        TCP,
        FLAGS_FULL,
        rpk,
        rng.range(400, 800),
      );
    }
  }
}

export interface NearMissSpec {
  what: string;
  port: number;
  packets: number;
  octets: number;
  flags: number;
  /** The signature it resembles. */
  resembles: string;
  /** Targets probed, each once every `everyMinutes`. */
  targets: Addr[];
  everyMinutes: number;
  reply: { packets: number; octets: number; flags: number };
}

/** Health checks and uptime monitoring: the same few targets over and over, near a botnet's signature. */
export class NearMissMonitor implements Source {
  readonly addr: number;

  constructor(
    private readonly seed: number,
    private readonly spec: NearMissSpec,
    pop: Population,
    truth: TruthBuilder,
  ) {
    this.addr = pop.alloc.outside4();
    truth.host(this.addr, {
      role: 'monitor',
      side: 'outside',
      what: spec.what,
      decoy: 'near-miss',
      nearMiss: { resembles: spec.resembles, uses: `${spec.port}-${spec.packets}-${spec.octets}` },
    });
  }

  minute(m: Minute, out: FlowWriter): void {
    const s = this.spec;
    const rng = Rng.of(this.seed, 'monitor', s.port, m.index);
    s.targets.forEach((t, i) => {
      if ((m.index + i) % s.everyMinutes !== 0) return;
      const te = endIn(rng, m);
      const ts = te - rng.range(5, 200);
      const sport = ephemeralPort(rng, 0);
      out.emit(ts, te, this.addr, t, sport, s.port, TCP, s.flags, s.packets, s.octets);
      const te2 = Math.max(m.start, te - rng.int(3));
      out.emit(
        Math.min(ts + 1, te2),
        te2,
        t,
        this.addr,
        s.port,
        sport,
        TCP,
        s.reply.flags,
        s.reply.packets,
        s.reply.octets,
      );
    });
  }
}

export class ResearchScanner implements Source {
  readonly prober: Prober;
  private readonly spans: Span[];

  constructor(
    private readonly seed: number,
    pop: Population,
    schedule: Schedule,
    when: EventTime,
    port: number,
    resembles: string,
    private readonly perWindow: number,
    truth: TruthBuilder,
  ) {
    const addr = pop.alloc.outside4();
    this.spans = schedule.periods(when.at, when.minutes);
    this.prober = new Prober({
      addr,
      port,
      proto: TCP,
      shapes: [
        {
          packets: 1,
          octets: 44,
          flags: FLAGS_SYN,
          answer: 0.03,
          reply: { packets: [1, 1], octets: [40, 40], flags: FLAGS_RST_ACK },
          dur: [0, 0],
          weight: 1,
        },
      ],
      share: 1,
      targets: new CampusTargets(hash3(seed, port, 0x2e5)),
      os: 0,
      windowCap: Number.POSITIVE_INFINITY,
    });
    truth.host(addr, {
      role: 'research-scanner',
      side: 'outside',
      what: 'internet survey scanner (research)',
      expectedTypes: ['service-scan', 'syn-scan', 'many-peers'],
      decoy: 'near-miss',
      nearMiss: { resembles, uses: `${port}-1-44` },
      active: activePeriods(this.spans),
    });
  }

  minute(m: Minute, out: FlowWriter): void {
    if (!activeAt(this.spans, m.start)) return;
    const rng = Rng.of(this.seed, 'research', m.index);
    this.prober.probe(rng, m, out, Math.round((this.perWindow / 5) * rng.uniform(0.9, 1.1)));
  }
}
