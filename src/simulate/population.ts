/**
 * @module The legitimate population: campus clients, NAT gateways and
 * proxies, resolvers, mail relays and servers, and the outside world they
 * talk to (servers ranked by Zipf-like popularity, CDNs at the top, outside
 * visitors, authoritative DNS servers, mail exchangers).
 *
 * Per-host properties that are only ever read (a client's breadth, its
 * operating system, its favourite servers) are derived from hashes instead of
 * stored, so a population of millions stays a few typed arrays.
 */

import type { AddrWords } from '../flow/address.js';
import { type Addr, campusV4, campusV6, isOutsideV4, outsideV6 } from './network.js';
import { cumulative, hash3, Permutation, Rng, unit, zipfCdf } from './rng.js';
import type { TruthBuilder } from './truth.js';

export interface PopulationSize {
  clients: number;
  clients6: number;
  nats: number;
  proxies: number;
  resolvers: number;
  mailRelays: number;
  webServers: number;
  sshServers: number;
  dbServers: number;
  outServers: number;
  outServers6: number;
  outClients: number;
  authDns: number;
  mx: number;
}

/** A set of hosts with a popularity distribution. */
export interface Pool {
  readonly addrs: readonly Addr[];
  readonly cdf: Float64Array;
}

export interface ServerPool extends Pool {
  /** Service port of each server. */
  readonly port: Uint16Array;
  /** Number of top-ranked servers that are CDN nodes (larger, faster responses). */
  readonly cdn: number;
}

export interface ClientPool extends Pool {
  /** How many distinct favourite servers each client returns to. */
  readonly breadth: Uint16Array;
  /** Ephemeral port convention (see `ephemeralPort`). */
  readonly os: Uint8Array;
}

export interface CampusServer {
  addr: Addr;
  port: number;
  proto: number;
  what: string;
}

/** Hands out distinct addresses: campus infrastructure, campus clients, outside hosts. */
export class Allocator {
  private infra = 0;
  private client = 0;
  private outside = 0;
  private v6 = 0;
  private readonly clientPerm: Permutation;
  private readonly outsidePerm: Permutation;

  constructor(readonly seed: number) {
    this.clientPerm = new Permutation(17, hash3(seed, 1, 0xa11c));
    this.outsidePerm = new Permutation(32, hash3(seed, 2, 0xa11c));
  }

  /** Servers and gateways: 198.18.1.1 upwards, alternating between the two /16s. */
  campusInfra(): number {
    const n = this.infra++;
    return campusV4((n & 1) * 65536 + 257 + (n >>> 1));
  }

  /** Clients: spread over the campus outside the first /20 of each /16 (kept for infrastructure). */
  campusClient(): number {
    for (;;) {
      const i = this.clientPerm.at(this.client++);
      const low = i & 0xffff;
      if (low >= 4096 && (low & 0xff) !== 0 && (low & 0xff) !== 255) return campusV4(i);
    }
  }

  campusClient6(): AddrWords {
    const n = this.v6++;
    return campusV6(0x1000 + (n % 64), hash3(this.seed, n, 0x6c1), hash3(this.seed, n, 0x6c2));
  }

  campusServer6(n: number): AddrWords {
    return campusV6(0x0001, 0, n + 1);
  }

  /** A public IPv4 address no other outside host has. */
  outside4(): number {
    for (;;) {
      const a = this.outsidePerm.at(this.outside++);
      if (isOutsideV4(a)) return a;
    }
  }

  outside6(): AddrWords {
    const n = this.v6++;
    return outsideV6(hash3(this.seed, n, 0x0a61), hash3(this.seed, n, 0x0a62));
  }
}

export interface Population {
  readonly size: PopulationSize;
  readonly alloc: Allocator;
  readonly clients: ClientPool;
  readonly clients6: ClientPool;
  readonly nats: Addr[];
  readonly proxies: Addr[];
  readonly resolvers: Addr[];
  readonly mailRelays: Addr[];
  readonly campusServers: CampusServer[];
  readonly campusServerCdf: Float64Array;
  readonly outServers: ServerPool;
  readonly outServers6: ServerPool;
  readonly outClients: Pool;
  readonly authDns: Pool;
  readonly mx: Pool;
  /** Public resolvers some clients query directly. */
  readonly publicDns: Addr[];
}

function outsidePool(alloc: Allocator, n: number, s: number): Pool {
  const addrs: number[] = [];
  for (let i = 0; i < n; i++) addrs.push(alloc.outside4());
  return { addrs, cdf: zipfCdf(n, s) };
}

function serverPorts(seed: number, n: number, cdn: number, salt: number): Uint16Array {
  const port = new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    const u = unit(hash3(seed, i, salt));
    port[i] =
      i < cdn
        ? 443
        : u < 0.78
          ? 443
          : u < 0.9
            ? 80
            : u < 0.93
              ? 8080
              : u < 0.955
                ? 22
                : u < 0.975
                  ? 993
                  : 8443;
  }
  return port;
}

function clientPool(seed: number, addrs: Addr[], salt: number): ClientPool {
  const rng = Rng.of(seed, 'client-pool', salt);
  const n = addrs.length;
  const w = new Float64Array(n);
  const breadth = new Uint16Array(n);
  const os = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    // Activity is heavy-tailed: a few heavy users, many light ones.
    w[i] = rng.lognormal(1, 1);
    breadth[i] = Math.max(10, Math.min(1000, Math.round(40 * w[i]! ** 0.8 * rng.lognormal(1, 0.5))));
    os[i] = rng.chance(0.35) ? 0 : 1;
  }
  return { addrs, cdf: cumulative(w), breadth, os };
}

/** Builds the population and labels it in the truth. */
export function buildPopulation(seed: number, size: PopulationSize, truth: TruthBuilder): Population {
  const alloc = new Allocator(seed);
  const infra = (what: string, role: Parameters<TruthBuilder['host']>[1]['role'], decoy?: 'fan-out') => {
    const a = alloc.campusInfra();
    truth.host(a, { role, side: 'campus', what, ...(decoy ? { decoy } : {}) });
    return a;
  };

  const resolvers: Addr[] = [];
  for (let i = 0; i < size.resolvers; i++)
    resolvers.push(infra('recursive DNS resolver', 'resolver', 'fan-out'));
  const r6 = alloc.campusServer6(53);
  truth.host(r6, {
    role: 'resolver',
    side: 'campus',
    what: 'recursive DNS resolver (IPv6)',
    decoy: 'fan-out',
  });
  resolvers.push(r6);
  const mailRelays: Addr[] = [];
  for (let i = 0; i < size.mailRelays; i++) mailRelays.push(infra('mail relay', 'mail', 'fan-out'));
  const nats: Addr[] = [];
  for (let i = 0; i < size.nats; i++) nats.push(infra('NAT gateway (dormitory)', 'nat', 'fan-out'));
  const proxies: Addr[] = [];
  for (let i = 0; i < size.proxies; i++) proxies.push(infra('web proxy', 'proxy', 'fan-out'));

  const campusServers: CampusServer[] = [];
  const server = (what: string, port: number, proto: number, decoy?: 'fan-out') => {
    const addr = infra(what, 'server', decoy);
    campusServers.push({ addr, port, proto, what });
  };
  for (let i = 0; i < size.webServers; i++) {
    // The top-ranked web server answers thousands of visitors: a server with a large fan-out.
    server(
      i === 0 ? 'popular web server' : 'web server',
      i % 4 === 3 ? 80 : 443,
      6,
      i === 0 ? 'fan-out' : undefined,
    );
  }
  const web6 = alloc.campusServer6(443);
  truth.host(web6, { role: 'server', side: 'campus', what: 'web server (IPv6)' });
  campusServers.push({ addr: web6, port: 443, proto: 6, what: 'web server (IPv6)' });
  for (let i = 0; i < size.sshServers; i++) server('SSH server', 22, 6);
  for (let i = 0; i < size.dbServers; i++) server('MSSQL server', 1433, 6);
  server('authoritative DNS server', 53, 17, 'fan-out');
  server('NTP server', 123, 17);
  for (const m of mailRelays) campusServers.push({ addr: m, port: 25, proto: 6, what: 'mail relay' });
  // Campus servers' popularity: Zipf, the mail relays and DNS in the middle of the ranking.
  const campusServerCdf = zipfCdf(campusServers.length, 1.1);

  const clientAddrs: Addr[] = [];
  for (let i = 0; i < size.clients; i++) {
    const a = alloc.campusClient();
    clientAddrs.push(a);
    truth.host(a, { role: 'client', side: 'campus', what: 'campus client' });
  }
  const client6Addrs: Addr[] = [];
  for (let i = 0; i < size.clients6; i++) {
    const a = alloc.campusClient6();
    client6Addrs.push(a);
    truth.host(a, { role: 'client', side: 'campus', what: 'campus client (IPv6)' });
  }

  const cdn = Math.min(12, size.outServers);
  const out = outsidePool(alloc, size.outServers, 1.0);
  const outServers: ServerPool = { ...out, port: serverPorts(seed, size.outServers, cdn, 0x5e4), cdn };
  const out6: Addr[] = [];
  for (let i = 0; i < size.outServers6; i++) out6.push(alloc.outside6());
  const cdn6 = Math.min(4, size.outServers6);
  const outServers6: ServerPool = {
    addrs: out6,
    cdf: zipfCdf(out6.length, 1.0),
    port: serverPorts(seed, out6.length, cdn6, 0x5e6),
    cdn: cdn6,
  };
  const outClients = outsidePool(alloc, size.outClients, 0.8);
  const authDns = outsidePool(alloc, size.authDns, 0.9);
  const mx = outsidePool(alloc, size.mx, 0.9);
  const publicDns = [alloc.outside4(), alloc.outside4()];

  // Label the outside hosts that matter for false alarms: the busiest of each pool.
  const LISTED = 1000;
  const label = (
    pool: Pool,
    n: number,
    role: 'server' | 'client' | 'cdn' | 'mail' | 'resolver',
    what: string,
  ) => {
    const k = Math.min(n, pool.addrs.length);
    for (let i = 0; i < k; i++) {
      const isCdn = role === 'server' && (pool as ServerPool).cdn > i;
      truth.host(pool.addrs[i]!, {
        role: isCdn ? 'cdn' : role,
        side: 'outside',
        what: isCdn ? 'CDN node' : what,
        ...(i < 20 && role !== 'client' ? { decoy: 'fan-out' as const } : {}),
      });
    }
    if (pool.addrs.length > k)
      truth.unlisted.push({
        role,
        side: 'outside',
        what: `${what} (less popular)`,
        count: pool.addrs.length - k,
      });
  };
  label(outServers, LISTED, 'server', 'outside server');
  label(outServers6, LISTED, 'server', 'outside server (IPv6)');
  label(outClients, LISTED, 'client', 'outside visitor of campus servers');
  label(authDns, LISTED, 'server', 'authoritative DNS server');
  label(mx, LISTED, 'mail', 'outside mail exchanger');
  for (const a of publicDns)
    truth.host(a, { role: 'resolver', side: 'outside', what: 'public DNS resolver' });

  return {
    size,
    alloc,
    clients: clientPool(seed, clientAddrs, 4),
    clients6: clientPool(seed, client6Addrs, 6),
    nats,
    proxies,
    resolvers,
    mailRelays,
    campusServers,
    campusServerCdf,
    outServers,
    outServers6,
    outClients,
    authDns,
    mx,
    publicDns,
  };
}
