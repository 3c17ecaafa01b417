/**
 * @module Detection thresholds, per 5-minute window. Documented defaults,
 * overridable under `detect:` in the config file.
 *
 * The numbers describe behaviour, not volume alone: a scanner touches many
 * targets with about one short session each and a uniform probe; a NAT
 * gateway or proxy also has many peers but talks to them repeatedly with
 * varied, data-carrying flows; a server answers from one well-known port.
 * Clients and servers get different thresholds because a busy server's
 * fan-out is normal.
 */

import { z } from 'zod';

export const thresholdsSchema = z
  .object({
    windowMinutes: z.number().int().min(1).max(60).default(5),
    /** How many sources and destinations the rank stage keeps (the paper's top 500). */
    topN: z.number().int().min(1).max(100_000).default(500),
    /** A host below all of these floors is not even ranked (keeps the ranking small). */
    floor: z
      .object({
        peers: z.number().default(50),
        flows: z.number().default(2000),
        packets: z.number().default(100_000),
        ports: z.number().default(30),
      })
      .default({ peers: 50, flows: 2000, packets: 100_000, ports: 30 }),
    client: z
      .object({
        /** Distinct targets in a window that make a probing client a scanner. */
        scanPeers: z.number().default(300),
        /** Targets for the generic many-peers type (no clearer type fits). */
        manyPeers: z.number().default(3000),
        /** Flows per target at most for one-session-per-target behaviour. */
        sessionsPerPeer: z.number().default(2),
        /** Distinct destination ports on few hosts that make a port sweep. */
        sweepPorts: z.number().default(100),
        /** Flows to one service that make a content attack on few targets (brute force). */
        attackFlows: z.number().default(1000),
      })
      .default({ scanPeers: 300, manyPeers: 3000, sessionsPerPeer: 2, sweepPorts: 100, attackFlows: 1000 }),
    server: z
      .object({
        /** A server answering this many distinct clients in a window is unusual even for a server. */
        manyPeers: z.number().default(50_000),
      })
      .default({ manyPeers: 50_000 }),
    probe: z
      .object({
        /** Bare probes: at most this many packets per flow... */
        maxPackets: z.number().default(3),
        /** ...and at most this many bytes per packet (40-60: headers and options only). */
        maxBytesPerPacket: z.number().default(60),
        /** Share of flows that must be SYN without ACK for a SYN scan. */
        synShare: z.number().default(0.8),
        /** Share of flows on the top destination port for a single-service scan. */
        servicePortShare: z.number().default(0.5),
        /** Content attack: packets per flow at least... */
        contentPackets: z.number().default(3),
        /** ...and payload bytes per packet beyond the bare header at least. */
        contentPayload: z.number().default(16),
      })
      .default({
        maxPackets: 3,
        maxBytesPerPacket: 60,
        synShare: 0.8,
        servicePortShare: 0.5,
        contentPackets: 3,
        contentPayload: 16,
      }),
    victim: z
      .object({
        /** Distinct sources hitting one destination in a DDoS. */
        ddosSources: z.number().default(1000),
        ddosPackets: z.number().default(10_000),
        /** Reflection: flows from amplification ports, distinct reflectors, bytes. */
        reflectionShare: z.number().default(0.5),
        reflectors: z.number().default(20),
        reflectionBytes: z.number().default(10_000_000),
        /** Flood: packets toward one destination (or from one source) in a window, ≈ 1,700 packets/s. */
        floodPackets: z.number().default(500_000),
      })
      .default({
        ddosSources: 1000,
        ddosPackets: 10_000,
        reflectionShare: 0.5,
        reflectors: 20,
        reflectionBytes: 10_000_000,
        floodPackets: 500_000,
      }),
  })
  .strict();

export type Thresholds = z.infer<typeof thresholdsSchema>;

export function defaultThresholds(): Thresholds {
  return thresholdsSchema.parse({});
}
