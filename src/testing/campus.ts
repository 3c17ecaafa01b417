/**
 * @module Labelled windows of a campus network (a few hundred clients
 * behind one border), for the detection tests: what a campus sees every
 * window (browsing, DNS, video calls, a NAT gateway, servers and their
 * clients, SSH users, a monitoring poller) and, in attack windows, the
 * campus-scale attacks its admins must clean up: an SSH brute forcer with a
 * few sessions per target, an ICMP sweep, a UDP flood and an ICMP flood of
 * a few hundred packets per second at one outside target, and a
 * distributed scan of one /24 by a crowd of outside sources.
 */

import { emptyRecord, type FlowRecord } from '../flow/record.js';
import { rng } from './rng.js';

export const CAMPUS_WIN = 300_000;

/** The labelled hosts: `role|ip` → expected type (null: must not be reported). */
export const CAMPUS_TRUTH: Record<string, string | null> = {
  'source|10.20.5.5': 'content-attack',
  'source|10.20.6.6': 'ping-sweep',
  'source|10.20.7.7': 'flood',
  'destination|198.51.100.77': 'flood',
  'source|10.20.8.8': 'flood',
  'destination|203.0.113.99': 'flood',
  'destination|10.20.9.0': 'distributed-scan',
  'source|10.20.0.10': null,
  'source|10.20.0.2': null,
  'source|10.20.1.80': null,
  'destination|10.20.1.80': null,
  'destination|10.20.0.53': null,
};

/** Benign hosts by name, for messages. */
export const CAMPUS_BENIGN = {
  poller: '10.20.0.10',
  nat: '10.20.0.2',
  webServer: '10.20.1.80',
  resolver: '10.20.0.53',
};

const CLIENTS = 300;
const client = (i: number) => `10.20.${16 + Math.floor(i / 250)}.${1 + (i % 250)}`;
const outside = (i: number) => `${23 + (i % 150)}.${(i >> 3) & 255}.${(i * 7) & 255}.${1 + (i % 250)}`;
const eph = (r: () => number) => 32768 + Math.floor(r() * 28000);

export interface CampusOptions {
  /** Include the attacks (else a window of normal traffic only). */
  attacks: boolean;
  seed: number;
}

/** One 5-minute window of the campus starting at `w0`. */
export function campusWindow(w0: number, o: CampusOptions): FlowRecord[] {
  const r = rng(o.seed * 7919 + Math.floor(w0 / CAMPUS_WIN));
  const flows: FlowRecord[] = [];
  const at = () => w0 + 500 + Math.floor(r() * (CAMPUS_WIN - 2000));
  const push = (f: Partial<FlowRecord>, dur = 400) => {
    const end = at();
    flows.push({
      ...emptyRecord(),
      flowStartMilliseconds: end - dur,
      flowEndMilliseconds: end,
      exporterIPAddress: '192.0.2.1',
      ingressInterface: 1,
      ...f,
    });
  };
  // Clients: browsing (varied sizes, several sessions to each of tens of servers), DNS to the resolver.
  for (let c = 0; c < CLIENTS; c++) {
    const sites = 3 + Math.floor(r() * (c % 10 === 0 ? 60 : 25));
    for (let s = 0; s < sites; s++) {
      const dst = outside(Math.floor(r() * 5000));
      const sessions = 1 + Math.floor(r() * 4);
      for (let k = 0; k < sessions; k++) {
        const packets = 6 + Math.floor(r() * 80);
        push({
          sourceIPAddress: client(c),
          destinationIPAddress: dst,
          sourceTransportPort: eph(r),
          destinationTransportPort: r() < 0.85 ? 443 : 80,
          protocolIdentifier: 6,
          tcpControlBits: 0x1b,
          packetDeltaCount: packets,
          octetDeltaCount: packets * (60 + Math.floor(r() * 600)),
        });
        // The server's answer.
        push({
          sourceIPAddress: dst,
          destinationIPAddress: client(c),
          sourceTransportPort: 443,
          destinationTransportPort: eph(r),
          protocolIdentifier: 6,
          tcpControlBits: 0x1b,
          packetDeltaCount: packets * 2,
          octetDeltaCount: packets * 2 * (400 + Math.floor(r() * 1000)),
        });
      }
    }
    for (let q = 0; q < 2 + Math.floor(r() * 8); q++)
      push({
        sourceIPAddress: client(c),
        destinationIPAddress: CAMPUS_BENIGN.resolver,
        sourceTransportPort: eph(r),
        destinationTransportPort: 53,
        protocolIdentifier: 17,
        packetDeltaCount: 1,
        octetDeltaCount: 60 + Math.floor(r() * 40),
      });
  }
  // Video calls: a steady UDP stream of large packets to one server, 100-150 packets/s.
  for (let v = 0; v < 8; v++) {
    const pps = 100 + Math.floor(r() * 50);
    for (let k = 0; k < 5; k++)
      push(
        {
          sourceIPAddress: client(200 + v),
          destinationIPAddress: `170.114.${v}.10`,
          sourceTransportPort: 50000 + v,
          destinationTransportPort: 8801,
          protocolIdentifier: 17,
          packetDeltaCount: pps * 60,
          octetDeltaCount: pps * 60 * (900 + Math.floor(r() * 300)),
        },
        59_000,
      );
  }
  // SSH users: one or two servers each, a few sessions.
  for (let u = 0; u < 4; u++)
    for (let s = 0; s < 1 + (u % 2); s++)
      for (let k = 0; k < 2; k++)
        push({
          sourceIPAddress: client(100 + u),
          destinationIPAddress: outside(9000 + u * 3 + s),
          sourceTransportPort: eph(r),
          destinationTransportPort: 22,
          protocolIdentifier: 6,
          tcpControlBits: 0x1b,
          packetDeltaCount: 40 + Math.floor(r() * 400),
          octetDeltaCount: 4000 + Math.floor(r() * 90_000),
        });
  // A NAT gateway (a lab behind one address): thousands of varied flows to hundreds of servers.
  for (let i = 0; i < 2500; i++) {
    const packets = 3 + Math.floor(r() * 60);
    push({
      sourceIPAddress: CAMPUS_BENIGN.nat,
      destinationIPAddress: outside(Math.floor(r() * 700) + 20_000),
      sourceTransportPort: 1024 + Math.floor(r() * 60000),
      destinationTransportPort: [443, 80, 53, 123, 993][Math.floor(r() * 5)]!,
      protocolIdentifier: r() < 0.8 ? 6 : 17,
      tcpControlBits: 0x1b,
      packetDeltaCount: packets,
      octetDeltaCount: packets * (80 + Math.floor(r() * 900)),
    });
  }
  // The campus web server: hundreds of outside clients, answered from 443.
  for (let c = 0; c < 400; c++) {
    const peer = outside(30_000 + Math.floor(r() * 3000));
    const packets = 8 + Math.floor(r() * 30);
    push({
      sourceIPAddress: peer,
      destinationIPAddress: CAMPUS_BENIGN.webServer,
      sourceTransportPort: eph(r),
      destinationTransportPort: 443,
      protocolIdentifier: 6,
      tcpControlBits: 0x1b,
      packetDeltaCount: packets,
      octetDeltaCount: packets * (60 + Math.floor(r() * 200)),
    });
    push({
      sourceIPAddress: CAMPUS_BENIGN.webServer,
      destinationIPAddress: peer,
      sourceTransportPort: 443,
      destinationTransportPort: eph(r),
      protocolIdentifier: 6,
      tcpControlBits: 0x1b,
      packetDeltaCount: packets * 2,
      octetDeltaCount: packets * 2 * (800 + Math.floor(r() * 600)),
    });
  }
  // The monitoring poller: every window, the same 250 hosts pinged and the same 60 web checks.
  for (let h = 0; h < 250; h++)
    push({
      sourceIPAddress: CAMPUS_BENIGN.poller,
      destinationIPAddress: `10.20.${2 + (h >> 7)}.${1 + (h & 127)}`,
      sourceTransportPort: 0,
      destinationTransportPort: 2048,
      protocolIdentifier: 1,
      packetDeltaCount: 1,
      octetDeltaCount: 84,
    });
  for (let h = 0; h < 60; h++)
    push({
      sourceIPAddress: CAMPUS_BENIGN.poller,
      destinationIPAddress: `10.20.4.${1 + h}`,
      sourceTransportPort: eph(r),
      destinationTransportPort: 80,
      protocolIdentifier: 6,
      tcpControlBits: 0x1b,
      packetDeltaCount: 6,
      octetDeltaCount: 720,
    });
  if (!o.attacks) return flows;

  const win = Math.floor(w0 / CAMPUS_WIN);
  // An inside SSH brute forcer: about 50 new servers a window, 3 sessions each, a few exchanges.
  for (let i = 0; i < 50; i++) {
    const dst = outside(40_000 + win * 50 + i);
    for (let k = 0; k < 3; k++) {
      const ok = r() < 0.6;
      push({
        sourceIPAddress: '10.20.5.5',
        destinationIPAddress: dst,
        sourceTransportPort: eph(r),
        destinationTransportPort: 22,
        protocolIdentifier: 6,
        tcpControlBits: 0x1b,
        packetDeltaCount: ok ? 12 : 10,
        octetDeltaCount: ok ? 1900 : 1620,
      });
    }
  }
  // An ICMP sweep: 1,000 addresses in 10 minutes, one echo request each (nmap -sn: 28 bytes).
  for (let i = 0; i < 500; i++)
    push({
      sourceIPAddress: '10.20.6.6',
      destinationIPAddress: `100.${64 + (win % 50)}.${i >> 8}.${i & 255}`,
      sourceTransportPort: 0,
      destinationTransportPort: 2048,
      protocolIdentifier: 1,
      packetDeltaCount: 1,
      octetDeltaCount: 28,
    });
  // A UDP flood at one outside host: 250 packets/s of 60 bytes, a new source port every 150 packets.
  for (let i = 0; i < 500; i++)
    push({
      sourceIPAddress: '10.20.7.7',
      destinationIPAddress: '198.51.100.77',
      sourceTransportPort: 1024 + Math.floor(r() * 60000),
      destinationTransportPort: 80,
      protocolIdentifier: 17,
      packetDeltaCount: 150,
      octetDeltaCount: 150 * 60,
    });
  // An ICMP echo flood at one outside host: 250 packets/s, one flow per minute (the exporter's active timeout).
  for (let k = 0; k < 5; k++)
    push(
      {
        sourceIPAddress: '10.20.8.8',
        destinationIPAddress: '203.0.113.99',
        sourceTransportPort: 0,
        destinationTransportPort: 2048,
        protocolIdentifier: 1,
        packetDeltaCount: 15_000,
        octetDeltaCount: 15_000 * 84,
      },
      59_000,
    );
  // A distributed telnet scan of 10.20.9.0/24: 120 outside sources, 3 addresses each, one SYN each.
  for (let s = 0; s < 120; s++)
    for (let k = 0; k < 3; k++)
      push({
        sourceIPAddress: `${60 + (s % 90)}.${(s * 13) & 255}.${(s * 7) & 255}.${1 + (s % 200)}`,
        destinationIPAddress: `10.20.9.${(s * 3 + k + win) % 256}`,
        sourceTransportPort: eph(r),
        destinationTransportPort: 23,
        protocolIdentifier: 6,
        tcpControlBits: 0x02,
        packetDeltaCount: 1,
        octetDeltaCount: 44,
      });
  return flows;
}
