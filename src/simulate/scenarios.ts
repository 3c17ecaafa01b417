/**
 * @module The named scenarios: who is on the network and what happens when.
 * Every number here is at scale 1; `--scale` multiplies the population (and
 * so the legitimate volume, the small-scale botnet members and the DDoS
 * volume), never one attacker's behaviour. README.md describes each.
 */

import type { ClientRates } from './clients.js';
import type { FamilySpec } from './families.js';
import type { MixedFamilySpec } from './mixed.js';
import type { PopulationSize } from './population.js';
import type { Shape } from './prober.js';
import type { ServiceRates } from './services.js';
import type { EventTime } from './volumetric.js';

const SYN = 0x02;
const FULL = 0x1b; // FIN SYN PSH ACK
const RST_ACK = 0x14;
const SYN_ACK = 0x12;
const SYN_RST_ACK = 0x16;

const shape = (
  packets: number,
  octets: number,
  flags: number,
  weight: number,
  dur: [number, number],
  answer = 0,
  reply?: Shape['reply'],
): Shape => ({ packets, octets, flags, weight, dur, answer, ...(reply ? { reply } : {}) });

/** SSH brute force: the TCP handshake, the banner exchange and a close — content on every flow. */
/** Where simulated time starts when no `from` is given (the scenarios' reference day). */
export const DEFAULT_FROM = Date.UTC(2026, 10, 20);

export const SSH_FAMILY: Omit<FamilySpec, 'large' | 'small'> = {
  name: 'ssh-brute',
  port: 22,
  kind: 'content-attack',
  what: 'SSH brute-forcer',
  shapes: [
    shape(4, 240, FULL, 0, [150, 2500], 1, { packets: [3, 4], octets: [220, 420], flags: FULL }),
    shape(1, 60, SYN, 0.3, [0, 0]),
    shape(2, 120, SYN, 0.2, [900, 3100]),
    shape(5, 292, FULL, 0.2, [200, 3000], 1, { packets: [4, 5], octets: [300, 520], flags: FULL }),
    shape(6, 344, FULL, 0.15, [300, 5000], 1, { packets: [5, 6], octets: [380, 700], flags: FULL }),
    shape(3, 172, SYN_RST_ACK, 0.15, [50, 500], 1, { packets: [2, 2], octets: [104, 120], flags: FULL }),
  ],
  largeTypes: ['content-attack', 'many-peers'],
};

/** MSSQL scanning: a SYN and two retransmissions that nobody answers. */
export const MSSQL_FAMILY: Omit<FamilySpec, 'large' | 'small'> = {
  name: 'mssql-scan',
  port: 1433,
  kind: 'service-scan',
  what: 'MSSQL scanner',
  shapes: [
    shape(3, 152, SYN, 0, [8500, 9500]),
    shape(1, 52, SYN, 0.35, [0, 0]),
    shape(2, 104, SYN, 0.3, [2800, 3200]),
    shape(2, 92, SYN_RST_ACK, 0.25, [10, 300], 1, { packets: [1, 1], octets: [44, 44], flags: SYN_ACK }),
    shape(4, 200, SYN, 0.1, [20000, 22000]),
  ],
  largeTypes: ['service-scan', 'syn-scan', 'many-peers'],
};

/** Exposed Docker API hunting: one bare 40-byte SYN per target, masscan style. */
export const DOCKER_FAMILY: Omit<FamilySpec, 'large' | 'small'> = {
  name: 'docker-scan',
  port: 2375,
  kind: 'syn-scan',
  what: 'Docker API scanner',
  shapes: [
    shape(1, 40, SYN, 0, [0, 0], 0.03, { packets: [1, 1], octets: [40, 40], flags: RST_ACK }),
    shape(2, 80, SYN, 0.6, [900, 1100], 0.02, { packets: [1, 1], octets: [40, 40], flags: RST_ACK }),
    shape(3, 120, SYN, 0.2, [2900, 3100]),
    shape(1, 52, SYN, 0.2, [0, 0], 0.03, { packets: [1, 1], octets: [40, 40], flags: RST_ACK }),
  ],
  largeTypes: ['syn-scan', 'service-scan', 'many-peers'],
};

/**
 * MySQL brute forcing that mixes three exchanges, none on half of the flows:
 * a login refused (45 %), a login accepted and the session closed (30 %), a
 * server that hangs up after the greeting (25 %).
 */
export const MYSQL_MIXED: Omit<MixedFamilySpec, 'large' | 'small'> = {
  name: 'mysql-mixed',
  port: 3306,
  what: 'MySQL brute-forcer mixing three exchanges',
  exchanges: [
    shape(5, 420, FULL, 0.45, [150, 2500], 1, { packets: [4, 5], octets: [380, 520], flags: FULL }),
    shape(4, 320, FULL, 0.3, [120, 2000], 1, { packets: [3, 4], octets: [260, 400], flags: FULL }),
    shape(3, 210, FULL, 0.25, [50, 900], 1, { packets: [2, 3], octets: [150, 260], flags: FULL }),
  ],
  onMix: 0.9,
  largeTypes: ['content-attack', 'many-peers', 'service-scan'],
  retrying: 0.3,
  nearMiss: [{ packets: 5, octets: 424, resembles: '3306:5-420=45,4-320=30,3-210=25', perDay: 400 }],
  clients: 12,
  pollers: [
    { servers: 6, everyMinutes: 5 },
    { servers: 6, everyMinutes: 240 },
  ],
};

export interface ScenarioSpec {
  name: string;
  description: string;
  /** Default length of a run. */
  hours: number;
  /** Length of one cycle of events; a longer run repeats it, a shorter one compresses it. */
  cycleMinutes: number;
  population: PopulationSize;
  rates: ClientRates & ServiceRates;
  families: FamilySpec[];
  /** Families whose bots mix several exchanges on one port (mixed.ts), with their look-alikes. */
  mixed?: MixedFamilySpec[];
  synFlood?: EventTime & { perMinute: number };
  reflection?: EventTime & { reflectors: number };
  flood?: EventTime & { perMinute: number };
  portSweep?: EventTime & { perMinute: number };
  spam?: EventTime & { perMinute: number };
  research?: EventTime & { perWindow: number };
  /** Monitoring that sends near-miss signatures (same port and packets, other octets). */
  nearMiss: boolean;
}

const POPULATION: PopulationSize = {
  clients: 1500,
  clients6: 200,
  nats: 3,
  proxies: 1,
  resolvers: 2,
  mailRelays: 2,
  webServers: 12,
  sshServers: 6,
  dbServers: 2,
  outServers: 20000,
  outServers6: 2000,
  outClients: 30000,
  authDns: 8000,
  mx: 5000,
};

/** Fewest hosts of each kind at any scale, so that every role exists. */
export const POPULATION_MIN: PopulationSize = {
  clients: 20,
  clients6: 5,
  nats: 1,
  proxies: 1,
  resolvers: 1,
  mailRelays: 1,
  webServers: 2,
  sshServers: 1,
  dbServers: 1,
  outServers: 500,
  outServers6: 50,
  outClients: 500,
  authDns: 200,
  mx: 200,
};

const RATES: ClientRates & ServiceRates = {
  clientSessions: 400,
  natSessions: 25000,
  proxySessions: 15000,
  inboundSessions: 60000,
  resolverQueries: 150000,
  mailDeliveries: 3000,
};

const baseline = { population: POPULATION, rates: RATES };

export const SCENARIOS: Record<string, ScenarioSpec> = {
  demo: {
    name: 'demo',
    description: 'three hours with every anomaly type, the three botnet families and all the decoys',
    hours: 3,
    cycleMinutes: 180,
    ...baseline,
    families: [
      {
        ...SSH_FAMILY,
        large: [
          { at: 0.1, minutes: 30 },
          { at: 0.55, minutes: 20, v6: true },
        ],
        small: 60,
      },
      {
        ...MSSQL_FAMILY,
        large: [
          { at: 0.3, minutes: 30 },
          { at: 0.8, minutes: 15 },
        ],
        small: 50,
      },
      { ...DOCKER_FAMILY, large: [{ at: 0.2, minutes: 20 }], small: 40 },
    ],
    synFlood: { at: 0.45, minutes: 15, perMinute: 8000 },
    reflection: { at: 0.65, minutes: 15, reflectors: 800 },
    flood: { at: 0.87, minutes: 10, perMinute: 800 },
    portSweep: { at: 0.38, minutes: 20, perMinute: 1500 },
    spam: { at: 0.7, minutes: 30, perMinute: 300 },
    research: { at: 0.05, minutes: 15, perWindow: 1500 },
    nearMiss: true,
  },
  day: {
    name: 'day',
    description: 'a working day (24 h) on campus: diurnal volume, attacks at their usual hours',
    hours: 24,
    cycleMinutes: 1440,
    ...baseline,
    families: [
      {
        ...SSH_FAMILY,
        large: [
          { at: 0.05, minutes: 60 },
          { at: 0.6, minutes: 45, v6: true },
          { at: 0.85, minutes: 40 },
        ],
        small: 100,
      },
      {
        ...MSSQL_FAMILY,
        large: [
          { at: 0.25, minutes: 60 },
          { at: 0.7, minutes: 30 },
        ],
        small: 80,
      },
      { ...DOCKER_FAMILY, large: [{ at: 0.4, minutes: 45 }], small: 60 },
    ],
    synFlood: { at: 0.52, minutes: 30, perMinute: 8000 },
    reflection: { at: 0.33, minutes: 20, reflectors: 800 },
    flood: { at: 0.9, minutes: 15, perMinute: 800 },
    portSweep: { at: 0.15, minutes: 40, perMinute: 1500 },
    spam: { at: 0.45, minutes: 120, perMinute: 300 },
    research: { at: 0.1, minutes: 60, perWindow: 1500 },
    nearMiss: true,
  },
  paper: {
    name: 'paper',
    description:
      'the cases of the method (ARCHITECTURE §4-6): SSH 22-4-240, MSSQL 1433-3-152 and Docker 2375-1-40 families with many small-scale members to hunt, and one of each detector case',
    hours: 24,
    cycleMinutes: 1440,
    ...baseline,
    families: [
      {
        ...SSH_FAMILY,
        large: [
          { at: 0.08, minutes: 60 },
          { at: 0.45, minutes: 45, v6: true },
          { at: 0.8, minutes: 50 },
        ],
        small: 250,
      },
      {
        ...MSSQL_FAMILY,
        large: [
          { at: 0.2, minutes: 60 },
          { at: 0.62, minutes: 40 },
        ],
        small: 200,
      },
      {
        ...DOCKER_FAMILY,
        large: [
          { at: 0.3, minutes: 45 },
          { at: 0.9, minutes: 30 },
        ],
        small: 200,
      },
    ],
    synFlood: { at: 0.52, minutes: 30, perMinute: 8000 },
    reflection: { at: 0.36, minutes: 20, reflectors: 800 },
    flood: { at: 0.72, minutes: 15, perMinute: 800 },
    portSweep: { at: 0.15, minutes: 40, perMinute: 1500 },
    spam: { at: 0.55, minutes: 90, perMinute: 300 },
    research: { at: 0.12, minutes: 60, perWindow: 1500 },
    nearMiss: true,
  },
  profiles: {
    name: 'profiles',
    description:
      'a day with a MySQL family mixing three exchanges (45/30/25, none over half) beside the MSSQL 1433-3-152 family: large attackers to learn the profile from, small members (some retrying each target 2-5 times), a near-miss prober of each port, clients of the port with varied sizes and monitoring pollers',
    hours: 24,
    cycleMinutes: 1440,
    ...baseline,
    families: [{ ...MSSQL_FAMILY, large: [{ at: 0.3, minutes: 45 }], small: 60 }],
    mixed: [
      {
        ...MYSQL_MIXED,
        large: [
          { at: 0.2, minutes: 40 },
          { at: 0.65, minutes: 30 },
        ],
        small: 120,
        nearMiss: [
          ...MYSQL_MIXED.nearMiss,
          { port: 1433, packets: 3, octets: 160, flags: SYN, resembles: '1433-3-152', perDay: 400 },
        ],
      },
    ],
    nearMiss: true,
  },
  baseline: {
    name: 'baseline',
    description: 'a day of legitimate traffic only (decoys included): every alert on it is a false one',
    hours: 24,
    cycleMinutes: 1440,
    ...baseline,
    families: [],
    nearMiss: true,
  },
};

export function scenarioNames(): string[] {
  return Object.keys(SCENARIOS);
}
