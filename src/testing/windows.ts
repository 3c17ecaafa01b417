/**
 * @module A labelled 5-minute window with every behaviour detection must
 * tell apart (scanners, a brute-forcer, a sweeper, DDoS and reflection
 * victims, and the benign look-alikes: a NAT gateway, a busy server, a DNS
 * resolver, a client). Used by the detection and alert tests.
 */

import { emptyRecord, type FlowRecord } from '../flow/record.js';
import { rng } from './rng.js';

export const W0 = Date.parse('2026-11-20T10:00:00Z');
export const WIN = 300_000;

function flow(r: () => number, w0: number, f: Partial<FlowRecord>): FlowRecord {
  const end = w0 + Math.floor(r() * (WIN - 1000)) + 500;
  return {
    ...emptyRecord(),
    flowStartMilliseconds: end - 400,
    flowEndMilliseconds: end,
    exporterIPAddress: '198.51.100.1',
    ingressInterface: 1,
    ...f,
  };
}

const ext = (i: number) => `${20 + ((i >> 16) & 63)}.${(i >> 8) & 255}.${i & 255}.${1 + (i % 200)}`;
const eph = (r: () => number) => 32768 + Math.floor(r() * 28000);

/** One window with every behaviour the rules must tell apart, labelled. */
export function labelledWindow(
  w0: number,
  seed = 1,
): { flows: FlowRecord[]; truth: Record<string, string | null> } {
  const r = rng(seed);
  const flows: FlowRecord[] = [];
  const truth: Record<string, string | null> = {};
  // A bare SYN scan of one service (Docker), 1 packet / 40 bytes, one probe per target.
  truth['source|203.0.113.5'] = 'service-scan';
  for (let i = 0; i < 3000; i++)
    flows.push(
      flow(r, w0, {
        sourceIPAddress: '203.0.113.5',
        destinationIPAddress: `140.${110 + (i % 4)}.${(i >> 8) & 255}.${i & 255}`,
        sourceTransportPort: eph(r),
        destinationTransportPort: 2375,
        protocolIdentifier: 6,
        tcpControlBits: 0x02,
        packetDeltaCount: 1,
        octetDeltaCount: 40,
      }),
    );
  // SSH brute force across many hosts: several packets with payload, the same size mostly.
  truth['source|198.18.7.7'] = 'content-attack';
  for (let i = 0; i < 800; i++) {
    const sig = r() < 0.8;
    flows.push(
      flow(r, w0, {
        sourceIPAddress: '198.18.7.7',
        destinationIPAddress: `140.112.${(i >> 8) & 255}.${i & 255}`,
        sourceTransportPort: eph(r),
        destinationTransportPort: 22,
        protocolIdentifier: 6,
        tcpControlBits: 0x1b,
        packetDeltaCount: sig ? 4 : 5,
        octetDeltaCount: sig ? 240 : 300 + Math.floor(r() * 200),
      }),
    );
  }
  // A vertical port sweep of one host.
  truth['source|203.0.113.77'] = 'port-sweep';
  for (let p = 1; p <= 1500; p++)
    flows.push(
      flow(r, w0, {
        sourceIPAddress: '203.0.113.77',
        destinationIPAddress: '140.113.1.1',
        sourceTransportPort: 40000,
        destinationTransportPort: p,
        protocolIdentifier: 6,
        tcpControlBits: 0x02,
        packetDeltaCount: 1,
        octetDeltaCount: 44,
      }),
    );
  // A spoofed SYN flood toward one victim, mostly through one interface.
  truth['destination|140.114.9.9'] = 'ddos-victim';
  for (let i = 0; i < 20000; i++)
    flows.push(
      flow(r, w0, {
        sourceIPAddress: ext(i * 7 + 3),
        destinationIPAddress: '140.114.9.9',
        sourceTransportPort: eph(r),
        destinationTransportPort: 80,
        protocolIdentifier: 6,
        tcpControlBits: 0x02,
        packetDeltaCount: 2,
        octetDeltaCount: 80,
        ingressInterface: r() < 0.85 ? 7 : 3,
      }),
    );
  // NTP reflection: big responses from port 123 of many reflectors.
  truth['destination|140.115.3.3'] = 'reflection-victim';
  for (let i = 0; i < 3000; i++)
    flows.push(
      flow(r, w0, {
        sourceIPAddress: ext(i * 13 + 11),
        destinationIPAddress: '140.115.3.3',
        sourceTransportPort: 123,
        destinationTransportPort: eph(r),
        protocolIdentifier: 17,
        packetDeltaCount: 10,
        octetDeltaCount: 4680,
      }),
    );
  // A NAT gateway: thousands of destinations, but several varied sessions each on web ports.
  truth['source|140.116.0.1'] = null;
  for (let d = 0; d < 2500; d++) {
    const sessions = 2 + Math.floor(r() * 5);
    for (let k = 0; k < sessions; k++) {
      const pk = 5 + Math.floor(r() * 60);
      flows.push(
        flow(r, w0, {
          sourceIPAddress: '140.116.0.1',
          destinationIPAddress: ext(d * 31 + 5),
          sourceTransportPort: eph(r),
          destinationTransportPort: r() < 0.8 ? 443 : 80,
          protocolIdentifier: 6,
          tcpControlBits: 0x1b,
          packetDeltaCount: pk,
          octetDeltaCount: pk * (60 + Math.floor(r() * 1200)),
        }),
      );
    }
  }
  // A busy web server answering thousands of clients from port 443.
  truth['source|140.117.0.80'] = null;
  for (let c = 0; c < 6000; c++)
    flows.push(
      flow(r, w0, {
        sourceIPAddress: '140.117.0.80',
        destinationIPAddress: ext(c * 17 + 1),
        sourceTransportPort: 443,
        destinationTransportPort: eph(r),
        protocolIdentifier: 6,
        tcpControlBits: 0x1b,
        packetDeltaCount: 10 + Math.floor(r() * 40),
        octetDeltaCount: 20000 + Math.floor(r() * 50000),
      }),
    );
  // A DNS resolver receiving queries from thousands of campus clients.
  truth['destination|140.118.0.53'] = null;
  for (let c = 0; c < 5000; c++)
    flows.push(
      flow(r, w0, {
        sourceIPAddress: `140.118.${(c >> 8) & 255}.${c & 255}`,
        destinationIPAddress: '140.118.0.53',
        sourceTransportPort: eph(r),
        destinationTransportPort: 53,
        protocolIdentifier: 17,
        packetDeltaCount: 1,
        octetDeltaCount: 60 + Math.floor(r() * 40),
      }),
    );
  // A popular server clients upload to: thousands of sources, many packets each, varied sizes.
  truth['destination|140.120.0.80'] = null;
  for (let c = 0; c < 3000; c++) {
    const pk = 30 + Math.floor(r() * 60);
    flows.push(
      flow(r, w0, {
        sourceIPAddress: ext(c * 29 + 7),
        destinationIPAddress: '140.120.0.80',
        sourceTransportPort: eph(r),
        destinationTransportPort: 443,
        protocolIdentifier: 6,
        tcpControlBits: 0x1b,
        packetDeltaCount: pk,
        octetDeltaCount: pk * (500 + Math.floor(r() * 900)),
      }),
    );
  }
  // A carrier-grade NAT: thousands of destinations, often one flow each, but varied, data-carrying flows.
  truth['source|140.121.0.1'] = null;
  for (let d = 0; d < 4000; d++) {
    const sessions = r() < 0.7 ? 1 : 2;
    for (let k = 0; k < sessions; k++) {
      const pk = 3 + Math.floor(r() * 40);
      flows.push(
        flow(r, w0, {
          sourceIPAddress: '140.121.0.1',
          destinationIPAddress: ext(d * 37 + 11),
          sourceTransportPort: eph(r),
          destinationTransportPort: [443, 80, 443, 8080, 993][d % 5]!,
          protocolIdentifier: 6,
          tcpControlBits: 0x1b,
          packetDeltaCount: pk,
          octetDeltaCount: pk * (60 + Math.floor(r() * 1300)),
        }),
      );
    }
  }
  // A UDP flood from one host cycling source ports toward a game server.
  truth['source|203.0.113.99'] = 'flood';
  truth['destination|140.122.0.27'] = 'flood';
  for (let i = 0; i < 3000; i++)
    flows.push(
      flow(r, w0, {
        sourceIPAddress: '203.0.113.99',
        destinationIPAddress: '140.122.0.27',
        sourceTransportPort: eph(r),
        destinationTransportPort: 27015,
        protocolIdentifier: 17,
        packetDeltaCount: 200,
        octetDeltaCount: 240_000,
      }),
    );
  // A big QUIC download: one UDP flow, a million packets, not a flood.
  truth['destination|140.123.5.5'] = null;
  flows.push(
    flow(r, w0, {
      sourceIPAddress: '8.8.4.4',
      destinationIPAddress: '140.123.5.5',
      sourceTransportPort: 443,
      destinationTransportPort: 51000,
      protocolIdentifier: 17,
      packetDeltaCount: 1_000_000,
      octetDeltaCount: 1_300_000_000,
    }),
  );
  // A spam bot: a campus host mailing a thousand exchangers once each; many never answer.
  truth['source|140.124.7.7'] = 'content-attack';
  for (let i = 0; i < 1200; i++) {
    const answered = r() < 0.6;
    const pk = answered ? 8 + Math.floor(r() * 8) : 1 + Math.floor(r() * 2);
    flows.push(
      flow(r, w0, {
        sourceIPAddress: '140.124.7.7',
        destinationIPAddress: ext(i * 41 + 13),
        sourceTransportPort: eph(r),
        destinationTransportPort: 25,
        protocolIdentifier: 6,
        tcpControlBits: answered ? 0x1b : 0x02,
        packetDeltaCount: pk,
        octetDeltaCount: answered ? pk * (100 + Math.floor(r() * 150)) : pk * 52,
      }),
    );
  }
  // An ordinary client.
  truth['source|140.119.5.5'] = null;
  for (let i = 0; i < 300; i++)
    flows.push(
      flow(r, w0, {
        sourceIPAddress: '140.119.5.5',
        destinationIPAddress: ext(i % 40),
        sourceTransportPort: eph(r),
        destinationTransportPort: 443,
        protocolIdentifier: 6,
        tcpControlBits: 0x1b,
        packetDeltaCount: 12,
        octetDeltaCount: 9000,
      }),
    );
  return { flows, truth };
}
