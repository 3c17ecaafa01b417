/**
 * @module How a bi-directional record (an Argus flow, a Zeek connection)
 * becomes NetFlow-style flow records, which have one direction each.
 *
 * - When the record counts each direction apart (Zeek's `orig_pkts` and
 *   `resp_pkts`; Argus `SrcPkts` and `DstPkts`), it becomes one flow record
 *   per direction that has packets: originator → responder with the
 *   originator's packets, bytes, TCP flags and ToS, and responder →
 *   originator with the responder's, addresses and ports swapped. Both carry
 *   the record's start and end time and its label. A record with no packet
 *   in either direction (counters unset) still becomes one record, the
 *   originator's, with zero counts: the connection was seen.
 * - When it has only totals (CTU-13's `.binetflow`: TotPkts, TotBytes), it
 *   becomes one record from the originator with the totals of both
 *   directions and the OR of both sides' flags.
 * - ICMP keeps the NetFlow convention: source port 0, destination port
 *   type·256+code. The responder's record of an echo, timestamp, information
 *   or address-mask request (ICMP types 8, 13, 15, 17; ICMPv6 128) carries
 *   the matching reply type (0, 14, 16, 18; 129); any other ICMP type is kept.
 */

import type { AddrWords } from '../flow/address.js';
import type { FlowBatch } from '../flow/batch.js';

/** One direction's counters. */
export interface Side {
  packets: number;
  bytes: number;
  flags: number;
  tos: number;
}

export interface BiFlow {
  tsMs: number;
  teMs: number;
  src: AddrWords;
  dst: AddrWords;
  sport: number;
  /** For ICMP: type·256+code of the originator's message. */
  dport: number;
  proto: number;
  label?: string;
}

const ICMP_REPLY: Record<number, number> = { 8: 0, 13: 14, 15: 16, 17: 18 };
const ICMP6_REPLY: Record<number, number> = { 128: 129 };

/** The type·256+code a responder sends back to an ICMP message of `typeCode`. */
export function icmpReply(proto: number, typeCode: number): number {
  const type = typeCode >> 8;
  const reply = (proto === 58 ? ICMP6_REPLY : ICMP_REPLY)[type];
  return reply === undefined ? typeCode : reply * 256;
}

function put(out: FlowBatch, f: BiFlow, s: Side, reverse: boolean): void {
  const icmp = f.proto === 1 || f.proto === 58;
  const i = out.add();
  out.ts[i] = f.tsMs;
  out.te[i] = f.teMs;
  out.setAddr('src', i, reverse ? f.dst : f.src);
  out.setAddr('dst', i, reverse ? f.src : f.dst);
  out.sport[i] = icmp ? 0 : reverse ? f.dport : f.sport;
  out.dport[i] = icmp ? (reverse ? icmpReply(f.proto, f.dport) : f.dport) : reverse ? f.sport : f.dport;
  out.proto[i] = f.proto;
  out.flags[i] = s.flags;
  out.packets[i] = s.packets;
  out.bytes[i] = s.bytes;
  out.tos[i] = s.tos;
  if (f.label !== undefined && f.label !== '') out.setLabel(i, f.label);
}

/**
 * Writes the flow records of one bi-directional record (see the module
 * comment): `rev` undefined means `fwd` holds the totals of both directions.
 * Returns how many records were written (1 or 2).
 */
export function addBiFlow(out: FlowBatch, f: BiFlow, fwd: Side, rev?: Side): number {
  if (rev === undefined || rev.packets === 0 || fwd.packets === 0) {
    if (rev !== undefined && fwd.packets === 0 && rev.packets > 0) {
      put(out, f, rev, true);
      return 1;
    }
    put(out, f, fwd, false);
    return 1;
  }
  put(out, f, fwd, false);
  put(out, f, rev, true);
  return 2;
}
