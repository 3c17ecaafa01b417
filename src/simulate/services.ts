/**
 * @module Campus services and infrastructure in flows:
 * - outside visitors to campus servers (web, DNS, NTP, inbound mail), with
 *   repeat visitors by popularity; the most popular server answers
 *   thousands of them (a server with a large fan-out);
 * - the recursive resolvers, querying thousands of authoritative servers
 *   on UDP 53 from random source ports (one packet per flow: the shape of a
 *   service scan, but a resolver's);
 * - the mail relays, delivering to thousands of mail exchangers;
 * - legitimate clients of the ports attackers use: SSH administrators,
 *   application servers on MSSQL, a CI system driving remote Docker hosts.
 */

import { MEAN_DIURNAL } from './clients.js';
import { ephemeralPort, type Minute, type Source } from './clock.js';
import { type Addr, outsideV6 } from './network.js';
import type { Population } from './population.js';
import { hash3, Rng } from './rng.js';
import { exchange, TCP, UDP } from './traffic.js';
import type { TruthBuilder } from './truth.js';
import type { FlowWriter } from './writer.js';

export interface ServiceRates {
  /** Sessions a day from outside visitors to campus servers, all servers together. */
  inboundSessions: number;
  /** Queries a day of one recursive resolver. */
  resolverQueries: number;
  /** Deliveries a day of one mail relay. */
  mailDeliveries: number;
}

/** A fixed pair of hosts that talk all day: (client, server, port, sessions a day). */
interface Regular {
  client: Addr;
  server: Addr;
  port: number;
  perDay: number;
  os: number;
}

export class Services implements Source {
  private readonly regulars: Regular[] = [];

  constructor(
    private readonly seed: number,
    private readonly pop: Population,
    private readonly rates: ServiceRates,
    truth: TruthBuilder,
  ) {
    const rng = Rng.of(seed, 'services');
    for (const srv of pop.campusServers) {
      if (srv.port === 22) {
        for (let i = 0; i < 3; i++) {
          const a = pop.alloc.outside4();
          truth.host(a, {
            role: 'client',
            side: 'outside',
            what: 'SSH user (administrator)',
            decoy: 'attacked-port',
          });
          this.regulars.push({ client: a, server: srv.addr, port: 22, perDay: rng.uniform(5, 60), os: 0 });
        }
      } else if (srv.port === 1433) {
        for (let i = 0; i < 2; i++) {
          const a = pop.alloc.outside4();
          truth.host(a, {
            role: 'client',
            side: 'outside',
            what: 'application server using MSSQL',
            decoy: 'attacked-port',
          });
          this.regulars.push({
            client: a,
            server: srv.addr,
            port: 1433,
            perDay: rng.uniform(500, 3000),
            os: 1,
          });
        }
      }
    }
    // Campus developers reach outside servers over SSH (git) from their workstations.
    for (let i = 0; i < Math.min(20, pop.clients.addrs.length); i++) {
      const git = pop.outServers.addrs[rng.int(Math.min(50, pop.outServers.addrs.length))]!;
      this.regulars.push({
        client: pop.clients.addrs[i]!,
        server: git,
        port: 22,
        perDay: rng.uniform(5, 40),
        os: 0,
      });
    }
    // A CI system drives remote Docker hosts over the plain API port.
    const ci = pop.alloc.campusInfra();
    truth.host(ci, {
      role: 'client',
      side: 'campus',
      what: 'CI system (Docker API client)',
      decoy: 'attacked-port',
    });
    for (let i = 0; i < 3; i++) {
      const d = pop.alloc.outside4();
      truth.host(d, { role: 'server', side: 'outside', what: 'Docker host (API on 2375)' });
      this.regulars.push({ client: ci, server: d, port: 2375, perDay: rng.uniform(200, 800), os: 0 });
    }
  }

  minute(m: Minute, out: FlowWriter): void {
    const rng = Rng.of(this.seed, 'services', m.index);
    const load = m.diurnal / MEAN_DIURNAL;
    const p = this.pop;
    // Outside visitors to campus servers.
    const n = rng.poisson((this.rates.inboundSessions / 1440) * load);
    for (let i = 0; i < n; i++) {
      const srv = p.campusServers[rng.weighted(p.campusServerCdf)]!;
      if (srv.port === 22 || srv.port === 1433) continue; // their clients are the regulars
      let visitor: Addr;
      if (typeof srv.addr !== 'number') {
        const v = rng.int(5000);
        visitor = outsideV6(hash3(this.seed, v, 0x71), hash3(this.seed, v, 0x72));
      } else if (srv.port === 25) {
        visitor = p.mx.addrs[rng.weighted(p.mx.cdf)]!;
      } else {
        visitor = p.outClients.addrs[rng.weighted(p.outClients.cdf)]!;
      }
      const sport = srv.port === 123 ? 123 : ephemeralPort(rng, rng.int(3));
      exchange(out, rng, m, visitor, srv.addr, sport, srv.port, srv.proto);
    }
    // Recursive resolvers: one query per flow, a fresh source port each (RFC 5452).
    for (const r of p.resolvers) {
      const v6 = typeof r !== 'number';
      const q = rng.poisson((this.rates.resolverQueries / 1440) * load * (v6 ? 0.3 : 1));
      const pool = v6 ? p.outServers6 : p.authDns;
      if (pool.addrs.length === 0) continue;
      for (let i = 0; i < q; i++) {
        const auth = pool.addrs[rng.weighted(pool.cdf)]!;
        exchange(out, rng, m, r, auth, ephemeralPort(rng, 2), 53, UDP);
      }
    }
    // Mail relays deliver to outside mail exchangers.
    for (const relay of p.mailRelays) {
      const d = rng.poisson((this.rates.mailDeliveries / 1440) * load);
      for (let i = 0; i < d; i++) {
        exchange(out, rng, m, relay, p.mx.addrs[rng.weighted(p.mx.cdf)]!, ephemeralPort(rng, 0), 25, TCP);
      }
    }
    for (const r of this.regulars) {
      const k = rng.poisson((r.perDay / 1440) * load);
      for (let i = 0; i < k; i++)
        exchange(out, rng, m, r.client, r.server, ephemeralPort(rng, r.os), r.port, TCP);
    }
  }
}
