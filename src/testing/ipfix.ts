/**
 * @module IPFIX datagrams of chosen flows, for tests that send them to a real
 * `flowhunt serve`: unlike NetFlow v5 (times relative to the exporter's
 * uptime), IPFIX carries absolute 64-bit `flowEndMilliseconds`, so a test can
 * send any time at all (far future, before 1990, one flow per day).
 */

import { Bytes, ipfixMessage, set, templates } from './datagrams.js';

export const TEMPLATE_ID = 256;

/** sourceIPv4Address, destinationIPv4Address, ports, protocol, packets, octets, start and end ms. */
const FIELDS = [
  [8, 4],
  [12, 4],
  [7, 2],
  [11, 2],
  [4, 1],
  [2, 8],
  [1, 8],
  [152, 8],
  [153, 8],
] as const;

export interface TestFlow {
  src: string;
  dst: string;
  sport?: number;
  dport?: number;
  proto?: number;
  packets: number;
  bytes: number;
  /** flowStartMilliseconds (default: the end). */
  start?: number;
  end: number;
}

/**
 * Datagrams of at most `perDatagram` flows each, every one carrying the
 * template first (so any datagram decodes alone), sequence numbers counting
 * records as RFC 7011 asks.
 */
export function ipfixDatagrams(
  flows: readonly TestFlow[],
  o: { domain?: number; perDatagram?: number; exportSecs?: number } = {},
): Buffer[] {
  const per = o.perDatagram ?? 20;
  const out: Buffer[] = [];
  for (let k = 0; k < flows.length; k += per) {
    const data = new Bytes();
    for (const f of flows.slice(k, k + per)) {
      data
        .addr(f.src)
        .addr(f.dst)
        .u16(f.sport ?? 40000)
        .u16(f.dport ?? 443)
        .u8(f.proto ?? 6)
        .u64(f.packets)
        .u64(f.bytes)
        .u64(f.start ?? f.end)
        .u64(f.end);
    }
    const msg = ipfixMessage(
      { exportSecs: o.exportSecs ?? Math.floor(Date.now() / 1000), seq: k, domain: o.domain ?? 1 },
      [templates([TEMPLATE_ID, FIELDS]), set(TEMPLATE_ID, data.build())],
    );
    out.push(Buffer.from(msg));
  }
  return out;
}
