/**
 * @module Outbound sessions of campus clients, NAT gateways and proxies.
 *
 * A client returns to its own set of favourite servers most of the time
 * (repeated sessions to the same servers, several connections per visit,
 * each from a new ephemeral port) and now and then visits a new one, picked
 * by global popularity. How many favourites a client has sets how many
 * distinct destinations it reaches in a day: tens for most, hundreds for a
 * few. NAT gateways and proxies are the same behaviour at a hundred times
 * the rate and breadth: thousands of destinations, but repeated sessions.
 */

import { diurnal, ephemeralPort, type Minute, type Source } from './clock.js';
import type { Addr } from './network.js';
import type { ClientPool, Population, ServerPool } from './population.js';
import { cumulative, hash3, Rng, searchCdf, unit } from './rng.js';
import { exchange, TCP, UDP } from './traffic.js';
import type { FlowWriter } from './writer.js';

/** Mean of {@link diurnal} over a day, so that per-day rates average out right. */
export const MEAN_DIURNAL = (() => {
  let s = 0;
  for (let i = 0; i < 1440; i++) s += diurnal(i * 60_000);
  return s / 1440;
})();

export interface ClientRates {
  /** Sessions a day of an average campus client. */
  clientSessions: number;
  natSessions: number;
  proxySessions: number;
}

interface Group {
  key: number;
  pool: ClientPool;
  servers: ServerPool;
  perDay: number;
  /** Share of sessions to a server picked by popularity rather than a favourite. */
  fresh: number;
  /** Share of sessions that are direct DNS queries to a public resolver. */
  dns: number;
  /** Proxies only fetch the web. */
  webOnly: boolean;
}

function gatewayPool(seed: number, addrs: Addr[], key: number): ClientPool {
  const breadth = new Uint16Array(addrs.length);
  for (let i = 0; i < addrs.length; i++) breadth[i] = 2500 + (hash3(seed, key, i) % 6000);
  return { addrs, cdf: cumulative(addrs.map(() => 1)), breadth, os: new Uint8Array(addrs.length).fill(2) };
}

export class ClientSessions implements Source {
  private readonly groups: Group[];

  constructor(
    private readonly seed: number,
    private readonly pop: Population,
    rates: ClientRates,
  ) {
    this.groups = [
      {
        key: 1,
        pool: pop.clients,
        servers: pop.outServers,
        perDay: rates.clientSessions,
        fresh: 0.12,
        dns: 0.03,
        webOnly: false,
      },
      {
        key: 2,
        pool: pop.clients6,
        servers: pop.outServers6,
        perDay: rates.clientSessions,
        fresh: 0.12,
        dns: 0,
        webOnly: false,
      },
      {
        key: 3,
        pool: gatewayPool(seed, pop.nats, 3),
        servers: pop.outServers,
        perDay: rates.natSessions,
        fresh: 0.2,
        dns: 0.02,
        webOnly: false,
      },
      {
        key: 4,
        pool: gatewayPool(seed, pop.proxies, 4),
        servers: pop.outServers,
        perDay: rates.proxySessions,
        fresh: 0.2,
        dns: 0,
        webOnly: true,
      },
    ].filter((g) => g.pool.addrs.length > 0 && g.servers.addrs.length > 0);
  }

  minute(m: Minute, out: FlowWriter): void {
    for (const g of this.groups) this.group(g, Rng.of(this.seed, 'clients', g.key, m.index), m, out);
  }

  private group(g: Group, rng: Rng, m: Minute, out: FlowWriter): void {
    const { pool, servers } = g;
    const lambda = ((pool.addrs.length * g.perDay) / 1440) * (m.diurnal / MEAN_DIURNAL);
    const n = rng.poisson(lambda);
    const total = servers.cdf[servers.cdf.length - 1]!;
    const salt = hash3(this.seed, g.key, 0xfa7);
    for (let k = 0; k < n; k++) {
      const c = rng.weighted(pool.cdf);
      const client = pool.addrs[c]!;
      const os = pool.os[c]!;
      if (g.dns > 0 && rng.chance(g.dns)) {
        const r = this.pop.publicDns[rng.int(this.pop.publicDns.length)]!;
        exchange(out, rng, m, client, r, ephemeralPort(rng, os), 53, UDP);
        continue;
      }
      let srv: number;
      if (rng.chance(g.fresh)) {
        srv = rng.weighted(servers.cdf);
      } else {
        // Favourites: a client's f-th favourite is a fixed popularity draw; low f are visited most.
        const u = rng.float();
        const f = Math.floor(pool.breadth[c]! * u * u);
        srv = searchCdf(servers.cdf, unit(hash3(salt, c, f)) * total);
      }
      let port = servers.port[srv]!;
      if (g.webOnly && port !== 80 && port !== 443) port = 443;
      const proto = port === 443 && rng.chance(0.15) ? UDP : TCP;
      const conns = 1 + (rng.chance(0.35) ? rng.poisson(1.2) : 0);
      const server = servers.addrs[srv]!;
      const heavy = srv < servers.cdn;
      for (let j = 0; j < conns; j++)
        exchange(out, rng, m, client, server, ephemeralPort(rng, os), port, proto, heavy);
    }
  }
}
