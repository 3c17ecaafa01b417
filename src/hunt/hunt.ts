/**
 * @module The hunt: every stored day, one scan of that day's flows against
 * all signatures at once — never one query per signature per day, the
 * paper's main lesson on cost. The engine groups the matching flows by
 * (signature, source) and returns, per pair, distinct destinations, flows,
 * distinct source ports and first/last seen; a hit is kept when the host
 * behaves like a probing client (about one session per target, a fresh
 * ephemeral source port each time), whatever its size.
 */

import { formatHiLo } from '../flow/address.js';
import { DAY_MS, dayOf } from '../flow/batch.js';
import { EPHEMERAL_PORT_MIN } from '../flow/names.js';
import { big, num } from '../store/queries.js';
import { raw, type Sql, sql } from '../store/sql.js';
import type { FlowStore } from '../store/types.js';
import { type SignatureKey, signatureKey, signatureText } from './signature.js';

export interface HuntOptions {
  /** Distinct targets a host needs on a signature in a day. */
  minTargets: number;
  /** At most this many flows per target (a probe opens one session per target; a client returns). */
  maxSessionsPerTarget: number;
  /** Distinct source ports per flow at least (a new ephemeral port per session). */
  minSourcePortRatio: number;
  /** Share of flows from ephemeral source ports at least (a client, not a server answering). */
  minEphemeralShare: number;
}

export const DEFAULT_HUNT: HuntOptions = {
  minTargets: 3,
  maxSessionsPerTarget: 1.5,
  minSourcePortRatio: 0.5,
  minEphemeralShare: 0.9,
};

/** The hunt's own settings out of a larger object (the config's `hunt:` section). */
export function huntOptionsOf(h: HuntOptions): HuntOptions {
  return {
    minTargets: h.minTargets,
    maxSessionsPerTarget: h.maxSessionsPerTarget,
    minSourcePortRatio: h.minSourcePortRatio,
    minEphemeralShare: h.minEphemeralShare,
  };
}

export interface Finding {
  day: string;
  signature: string;
  protocol: number;
  ip: string;
  destinations: number;
  flows: number;
  sourcePorts: number;
  firstSeen: number;
  lastSeen: number;
  /** `client` for a probing client; hits kept are always clients, the field says why. */
  role: 'client' | 'server';
  sessionsPerTarget: number;
  /** Whether the host was itself reported as a large-scale attacker. */
  largeScale: boolean;
}

/** Signatures per query: bounds the IN list; a day is still one scan per batch of this many. */
const SIGNATURES_PER_SCAN = 5000;

export function huntQuery(
  store: FlowStore,
  from: Sql,
  sigs: readonly SignatureKey[],
  d0: number,
  d1: number,
  minTargets: number,
): Sql {
  const d = store.dialect;
  const match = d.inTuples(
    ['proto', 'dport', 'packets', 'bytes'],
    sigs.map((s) => [s.protocol, s.port, s.packets, s.octets]),
  );
  return sql`SELECT proto, dport, packets, bytes, src_hi, src_lo,
      ${raw(d.countDistinct(['dst_hi', 'dst_lo']))} AS destinations, count(*) AS flows,
      ${raw(d.countDistinct(['sport']))} AS source_ports,
      sum(CASE WHEN sport >= ${EPHEMERAL_PORT_MIN} THEN 1 ELSE 0 END) AS ephemeral,
      min(ts) AS first_seen, max(te) AS last_seen
    FROM ${from}
    WHERE te >= ${d0} AND te < ${d1} AND ${match}
    GROUP BY proto, dport, packets, bytes, src_hi, src_lo
    HAVING ${raw(d.countDistinct(['dst_hi', 'dst_lo']))} >= ${minTargets}`;
}

/** Hunts one day (UTC) against all signatures; returns the kept findings. */
export async function huntDay(
  store: FlowStore,
  day: string,
  sigs: readonly SignatureKey[],
  o: HuntOptions = DEFAULT_HUNT,
  largeScale: ReadonlySet<string> = new Set(),
): Promise<Finding[]> {
  const d0 = Date.parse(`${day}T00:00:00Z`);
  const d1 = d0 + DAY_MS;
  const out: Finding[] = [];
  for (let i = 0; i < sigs.length; i += SIGNATURES_PER_SCAN) {
    const batch = sigs.slice(i, i + SIGNATURES_PER_SCAN);
    const rows = await store.queryFlows({ from: d0, to: d1 }, (from) =>
      huntQuery(store, from, batch, d0, d1, o.minTargets),
    );
    for (const r of rows) {
      const flows = num(r['flows']);
      const destinations = num(r['destinations']);
      const sourcePorts = num(r['source_ports']);
      const ephemeralShare = flows > 0 ? num(r['ephemeral']) / flows : 0;
      const sessionsPerTarget = destinations > 0 ? flows / destinations : 0;
      const client = ephemeralShare >= o.minEphemeralShare && sourcePorts / flows >= o.minSourcePortRatio;
      if (!client || sessionsPerTarget > o.maxSessionsPerTarget) continue;
      const key = {
        protocol: num(r['proto']),
        port: num(r['dport']),
        packets: num(r['packets']),
        octets: num(r['bytes']),
      };
      const ip = formatHiLo(big(r['src_hi']), big(r['src_lo']));
      out.push({
        day,
        signature: signatureText(key),
        protocol: key.protocol,
        ip,
        destinations,
        flows,
        sourcePorts,
        firstSeen: num(r['first_seen']),
        lastSeen: num(r['last_seen']),
        role: 'client',
        sessionsPerTarget: Math.round(sessionsPerTarget * 1000) / 1000,
        largeScale: largeScale.has(ip),
      });
    }
  }
  return sortFindings(out);
}

export function sortFindings(f: Finding[]): Finding[] {
  return f.sort(
    (a, b) =>
      a.day.localeCompare(b.day) ||
      a.signature.localeCompare(b.signature, 'en', { numeric: true }) ||
      a.protocol - b.protocol ||
      b.destinations - a.destinations ||
      a.ip.localeCompare(b.ip, 'en', { numeric: true }),
  );
}

/**
 * Hunts each day of [from, to) and stores the findings per day. A day hunted
 * again replaces its findings for the signatures hunted; findings of other
 * signatures that day are kept.
 */
export async function huntRange(
  store: FlowStore,
  from: number,
  to: number,
  sigs: readonly SignatureKey[],
  o: HuntOptions = DEFAULT_HUNT,
  largeScale: ReadonlySet<string> = new Set(),
  onDay?: (day: string, findings: Finding[]) => void,
): Promise<Finding[]> {
  const hunted = new Set(sigs.map(signatureKey));
  const all: Finding[] = [];
  const stored = new Set((await store.days()).map((d) => d.day));
  for (let d = Math.floor(from / DAY_MS) * DAY_MS; d < to; d += DAY_MS) {
    const day = dayOf(d);
    if (!stored.has(day)) continue;
    const found = sigs.length ? await huntDay(store, day, sigs, o, largeScale) : [];
    const prev = (await store.getDocs<Finding>('findings', { from: day, to: day }))[0]?.docs ?? [];
    const kept = prev.filter(
      (f) => !hunted.has(signatureKey({ protocol: f.protocol, ...splitSig(f.signature) })),
    );
    await store.putDocs('findings', day, sortFindings([...kept, ...found]));
    all.push(...found);
    onDay?.(day, found);
  }
  return all;
}

function splitSig(s: string): { port: number; packets: number; octets: number } {
  const [port, packets, octets] = s.split('-').map(Number) as [number, number, number];
  return { port, packets, octets };
}
