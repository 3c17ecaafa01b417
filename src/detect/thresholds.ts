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
        peers: z.number().default(20),
        flows: z.number().default(500),
        packets: z.number().default(20_000),
        ports: z.number().default(20),
      })
      .default({ peers: 20, flows: 500, packets: 20_000, ports: 20 }),
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
        /** Sessions per target at most for a content attack across many targets (a brute forcer retries: 2-5). */
        attackSessionsPerPeer: z.number().default(5),
      })
      .default({
        scanPeers: 300,
        manyPeers: 3000,
        sessionsPerPeer: 2,
        sweepPorts: 100,
        attackFlows: 1000,
        attackSessionsPerPeer: 5,
      }),
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
    /**
     * The learned normal (see baseline.ts): with `learned`, each volume
     * threshold above becomes `max(minimum, margin × this network's high
     * quantile)` of the metric it bounds, per role (and per service port for
     * targets of one service); with `pinned`, the values above are used as
     * they are (the backbone defaults, or the operator's own).
     */
    baseline: z
      .object({
        mode: z.enum(['learned', 'pinned']).default('learned'),
        /** The quantile of host-windows a threshold is learned from. */
        quantile: z.number().min(0.5).max(1).default(0.999),
        /** How far above that quantile a host must be. */
        margin: z.number().min(1).max(100).default(2),
        /** At least this many host-windows lie above the learned value, so an attacker never sets its own bar. */
        minAbove: z.number().int().min(1).max(1000).default(10),
        /** Days of stored baselines a window is judged against. */
        days: z.number().int().min(1).max(60).default(7),
        /** Windows of a day sampled to learn its baseline. */
        windowsPerDay: z.number().int().min(1).max(288).default(12),
        /** Host-windows sampled per window at most (hosts are sampled by address when there are more). */
        sampleFlows: z.number().int().min(10_000).default(500_000),
        /** Minutes a probing source's targets are looked up in (a poller returns to known targets, a scanner does not). */
        lookbackMinutes: z.number().int().min(0).max(1440).default(60),
        /** A probing source is reported only when at least this share of its targets is new to it. */
        newTargetShare: z.number().min(0).max(1).default(0.5),
      })
      .default({
        mode: 'learned',
        quantile: 0.999,
        margin: 2,
        minAbove: 10,
        days: 7,
        windowsPerDay: 12,
        sampleFlows: 500_000,
        lookbackMinutes: 60,
        newTargetShare: 0.5,
      }),
    /** Distributed scans: a crowd of sources, each below every per-host threshold, covering much of one /24. */
    distributed: z
      .object({
        minSources: z.number().int().min(2).default(20),
        /** Share of the /24's addresses the crowd reaches in one window. */
        minCoverage: z.number().min(0).max(1).default(0.5),
        /** Sessions per target at most (probes, not conversations). */
        maxFlowsPerTarget: z.number().min(1).default(2),
        /** Packets per flow at most. */
        maxPackets: z.number().int().min(1).default(10),
      })
      .default({ minSources: 20, minCoverage: 0.5, maxFlowsPerTarget: 2, maxPackets: 10 }),
    /**
     * The lowest a learned threshold goes (a campus or lab network: scans of
     * tens of targets, floods of a few hundred packets per second).
     */
    minimum: z
      .object({
        scanPeers: z.number().default(30),
        manyPeers: z.number().default(500),
        sweepPorts: z.number().default(50),
        attackFlows: z.number().default(1000),
        serverPeers: z.number().default(50_000),
        ddosSources: z.number().default(200),
        ddosPackets: z.number().default(5000),
        reflectors: z.number().default(10),
        reflectionBytes: z.number().default(1_000_000),
        floodPackets: z.number().default(30_000),
      })
      .default({
        scanPeers: 30,
        manyPeers: 500,
        sweepPorts: 50,
        attackFlows: 1000,
        serverPeers: 50_000,
        ddosSources: 200,
        ddosPackets: 5000,
        reflectors: 10,
        reflectionBytes: 1_000_000,
        floodPackets: 30_000,
      }),
  })
  .strict();

export type Thresholds = z.infer<typeof thresholdsSchema>;

export function defaultThresholds(): Thresholds {
  return thresholdsSchema.parse({});
}
