/**
 * @module Reads the headers of a captured packet: Ethernet (with 802.1Q /
 * 802.1ad tags), IPv4, IPv6 (skipping extension headers) and TCP/UDP. Used
 * for sFlow's sampled packet headers and to find the UDP payload in pcap
 * files. Bounded by the bytes given; never throws.
 */

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_IPV6 = 0x86dd;

/** The headers of one packet, reused between calls. */
export class IpPacket {
  v6 = false;
  readonly src = new Uint32Array(4);
  readonly dst = new Uint32Array(4);
  proto = 0;
  tos = 0;
  /** IP datagram length as the IP header states it (IPv6: payload + 40). */
  ipLen = 0;
  /** Offset of the transport header, or -1 when absent (a later fragment, or not captured). */
  l4 = -1;
  /** Where the captured bytes end. */
  end = 0;
  sport = 0;
  dport = 0;
  flags = 0;
  /** IPv4 "more fragments" or a non-zero offset: the datagram is not whole here. */
  fragment = false;
  /** UDP payload offset and length (bounded by the captured bytes); -1 when not UDP. */
  udpPayload = -1;
  udpLen = 0;
}

function mapV4(w: Uint32Array, v4: number): void {
  w[0] = 0;
  w[1] = 0;
  w[2] = 0xffff;
  w[3] = v4;
}

/** Skips Ethernet and VLAN tags; returns [ethertype, offset of the payload] or undefined. */
export function ethernet(dv: DataView, pos: number, end: number): [number, number] | undefined {
  if (pos + 14 > end) return undefined;
  let type = dv.getUint16(pos + 12);
  let p = pos + 14;
  // 802.1Q, 802.1ad and the old QinQ type; a few stacked tags at most.
  for (let k = 0; k < 4 && (type === 0x8100 || type === 0x88a8 || type === 0x9100); k++) {
    if (p + 4 > end) return undefined;
    type = dv.getUint16(p + 2);
    p += 4;
  }
  return [type, p];
}

/** Parses an IP packet (v4 or v6, by its version nibble) at `pos`. */
export function ip(dv: DataView, pos: number, end: number, out: IpPacket): boolean {
  if (pos >= end) return false;
  const version = dv.getUint8(pos) >> 4;
  out.l4 = -1;
  out.sport = 0;
  out.dport = 0;
  out.flags = 0;
  out.fragment = false;
  out.udpPayload = -1;
  out.udpLen = 0;
  out.end = end;
  let next: number;
  let p: number;
  let ipEnd: number;
  if (version === 4) {
    if (pos + 20 > end) return false;
    const ihl = (dv.getUint8(pos) & 15) * 4;
    if (ihl < 20) return false;
    out.v6 = false;
    out.tos = dv.getUint8(pos + 1);
    out.ipLen = dv.getUint16(pos + 2);
    const frag = dv.getUint16(pos + 6);
    out.fragment = (frag & 0x3fff) !== 0;
    next = dv.getUint8(pos + 9);
    mapV4(out.src, dv.getUint32(pos + 12));
    mapV4(out.dst, dv.getUint32(pos + 16));
    p = pos + ihl;
    ipEnd = pos + out.ipLen;
    // A later fragment has no transport header.
    if ((frag & 0x1fff) !== 0) {
      out.proto = next;
      return true;
    }
  } else if (version === 6) {
    if (pos + 40 > end) return false;
    out.v6 = true;
    out.tos = (dv.getUint16(pos) >> 4) & 0xff;
    out.ipLen = dv.getUint16(pos + 4) + 40;
    next = dv.getUint8(pos + 6);
    for (let k = 0; k < 4; k++) {
      out.src[k] = dv.getUint32(pos + 8 + 4 * k);
      out.dst[k] = dv.getUint32(pos + 24 + 4 * k);
    }
    p = pos + 40;
    ipEnd = pos + out.ipLen;
    // Hop-by-hop, routing, destination options and fragment headers, a bounded number of them.
    for (let k = 0; k < 8 && (next === 0 || next === 43 || next === 60 || next === 44); k++) {
      if (p + 8 > end) {
        out.proto = next;
        return true;
      }
      const after = dv.getUint8(p);
      if (next === 44) {
        const off = dv.getUint16(p + 2);
        out.fragment = (off & 0xfff9) !== 0;
        p += 8;
        next = after;
        if ((off & 0xfff8) !== 0) {
          out.proto = next;
          return true;
        }
      } else {
        p += (dv.getUint8(p + 1) + 1) * 8;
        next = after;
      }
    }
  } else {
    return false;
  }
  out.proto = next;
  if (p > end) return true;
  out.l4 = p;
  if ((next === 6 || next === 17 || next === 132) && p + 4 <= end) {
    out.sport = dv.getUint16(p);
    out.dport = dv.getUint16(p + 2);
  }
  if (next === 6 && p + 14 <= end) out.flags = dv.getUint16(p + 12) & 0x1ff;
  if (next === 17 && p + 8 <= end && !out.fragment) {
    const udpLen = dv.getUint16(p + 4);
    out.udpPayload = p + 8;
    // The payload ends where UDP says, unless the capture or the IP datagram ends first.
    const stop = Math.min(end, udpLen >= 8 ? p + udpLen : end, ipEnd > p ? ipEnd : end);
    out.udpLen = Math.max(0, stop - out.udpPayload);
  }
  return true;
}
