/**
 * @module What one legitimate session looks like in flows: a request flow
 * and a response flow with the packet and byte counts, TCP flags and
 * durations typical of the service, jittered so that no two sessions are
 * alike (legitimate traffic has no signature).
 */

import { endIn, type Minute } from './clock.js';
import type { Addr } from './network.js';
import type { Rng } from './rng.js';
import type { FlowWriter } from './writer.js';

export const TCP = 6;
export const UDP = 17;
/** FIN, SYN, PSH, ACK: a whole TCP connection seen in one flow. */
export const FLAGS_FULL = 0x1b;
export const FLAGS_SYN = 0x02;
export const FLAGS_RST_ACK = 0x14;
export const FLAGS_SYN_ACK = 0x12;

export type Service = 'web' | 'quic' | 'ssh' | 'imap' | 'mail' | 'db' | 'docker' | 'dns' | 'ntp';

export function serviceOf(port: number, proto: number): Service {
  if (proto === UDP) return port === 53 ? 'dns' : port === 123 ? 'ntp' : 'quic';
  switch (port) {
    case 22:
      return 'ssh';
    case 25:
      return 'mail';
    case 993:
      return 'imap';
    case 1433:
      return 'db';
    case 2375:
      return 'docker';
    default:
      return 'web';
  }
}

/** Scratch sizes of one exchange, reused to avoid an object per session. */
const s = { reqPk: 0, reqBy: 0, respPk: 0, respBy: 0, dur: 0 };

function sizes(rng: Rng, svc: Service, heavy: boolean): void {
  switch (svc) {
    case 'web':
    case 'quic':
    case 'imap': {
      s.reqPk = 3 + Math.round(rng.lognormal(svc === 'imap' ? 5 : 7, 1));
      s.reqBy = s.reqPk * 52 + Math.round(rng.lognormal(450, 1));
      const more = rng.lognormal(heavy ? 30 : 6, 1.4);
      s.respPk = Math.max(2, Math.round(s.reqPk * rng.uniform(0.7, 1.3) + more));
      s.respBy = 104 + Math.round((s.respPk - 2) * rng.uniform(700, 1450));
      s.dur = rng.lognormal(1500, 1.3);
      return;
    }
    case 'ssh':
      s.reqPk = 8 + Math.round(rng.lognormal(60, 1.5));
      s.reqBy = Math.round(s.reqPk * rng.uniform(60, 140));
      s.respPk = Math.max(6, Math.round(s.reqPk * rng.uniform(0.8, 1.5)));
      s.respBy = Math.round(s.respPk * rng.uniform(80, 900));
      s.dur = rng.lognormal(15000, 1);
      return;
    case 'mail':
      s.reqPk = 8 + Math.round(rng.lognormal(18, 0.8));
      s.reqBy = Math.round(s.reqPk * rng.uniform(200, 1200));
      s.respPk = Math.max(6, Math.round(s.reqPk * rng.uniform(0.5, 0.9)));
      s.respBy = Math.round(s.respPk * rng.uniform(52, 90));
      s.dur = rng.lognormal(2500, 1);
      return;
    case 'db':
    case 'docker':
      s.reqPk = 6 + Math.round(rng.lognormal(25, 1.2));
      s.reqBy = Math.round(s.reqPk * rng.uniform(90, 600));
      s.respPk = Math.max(4, Math.round(s.reqPk * rng.uniform(0.8, 2)));
      s.respBy = Math.round(s.respPk * rng.uniform(200, 1400));
      s.dur = rng.lognormal(3000, 1.2);
      return;
    case 'dns':
      if (rng.chance(0.02)) {
        // Truncated answer retried over TCP.
        s.reqPk = 5 + rng.int(4);
        s.reqBy = s.reqPk * 52 + 40 + rng.int(60);
        s.respPk = 4 + rng.int(4);
        s.respBy = s.respPk * 52 + 400 + rng.int(3000);
      } else {
        s.reqPk = 1;
        s.reqBy = 56 + rng.int(60);
        s.respPk = 1;
        s.respBy = 72 + Math.round(rng.lognormal(120, 0.8));
        if (s.respBy > 1500) s.respBy = 1500;
      }
      s.dur = rng.int(60);
      return;
    case 'ntp':
      s.reqPk = 1;
      s.reqBy = 76;
      s.respPk = 1;
      s.respBy = 76;
      s.dur = 0;
      return;
  }
}

/**
 * Emits one session between a client and a server (either may be the
 * campus end): the request flow and, unless the server is silent, the
 * response flow a few milliseconds later.
 */
export function exchange(
  out: FlowWriter,
  rng: Rng,
  m: Minute,
  client: Addr,
  server: Addr,
  sport: number,
  dport: number,
  proto: number,
  heavy = false,
): void {
  const svc = serviceOf(dport, proto);
  sizes(rng, svc, heavy);
  const tcpDns = svc === 'dns' && s.reqPk > 1;
  const p = tcpDns ? TCP : proto;
  const te = endIn(rng, m);
  const dur = Math.min(58_000, Math.round(s.dur));
  const ts = te - dur;
  const tcp = p === TCP;
  const reqFlags = tcp ? (rng.chance(0.04) ? 0x1f : FLAGS_FULL) : 0;
  out.emit(ts, te, client, server, sport, dport, p, reqFlags, s.reqPk, s.reqBy);
  const rtt = 1 + rng.int(80);
  const te2 = Math.max(m.start, te - rng.int(3));
  out.emit(
    Math.min(te2, ts + rtt),
    te2,
    server,
    client,
    dport,
    sport,
    p,
    tcp ? FLAGS_FULL : 0,
    s.respPk,
    s.respBy,
  );
}
