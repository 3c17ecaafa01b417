/**
 * @module Reads the headers of a captured packet: Ethernet (with 802.1Q /
 * 802.1ad tags), MPLS label stacks, IPv4, IPv6 (skipping extension headers),
 * TCP/UDP ports and ICMP type/code (as the destination port, type*256+code,
 * NetFlow's convention; `src/flow/icmp.ts`). The one parser for sFlow's
 * sampled packet headers, IPFIX dataLinkFrameSection / ipHeaderPacketSection
 * records and the UDP payload of pcap files. With `decap`, IP-in-IP (4in4,
 * 4in6, 6in4, 6in6) and GRE carrying IP are followed to the inner header, so
 * a tunnelled packet gives the inner 5-tuple (docs/exporters.md says why).
 * Bounded by the bytes given; never throws.
 */

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_IPV6 = 0x86dd;
export const ETHERTYPE_MPLS = 0x8847;
export const ETHERTYPE_MPLS_MULTICAST = 0x8848;

/** What a captured header starts with. */
export const LINK_ETHERNET = 1;
export const LINK_IP = 2;
export const LINK_MPLS = 3;

/** Labels of an MPLS stack we walk before giving up (real stacks hold a handful). */
const MAX_LABELS = 16;
/** Tunnel headers followed to the inner packet. */
const MAX_TUNNELS = 2;

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
  /** The protocol of the outermost tunnel followed (4, 41 or 47, GRE); 0 when none. */
  tunnel = 0;

  copyFrom(o: IpPacket): void {
    this.v6 = o.v6;
    this.src.set(o.src);
    this.dst.set(o.dst);
    this.proto = o.proto;
    this.tos = o.tos;
    this.ipLen = o.ipLen;
    this.l4 = o.l4;
    this.end = o.end;
    this.sport = o.sport;
    this.dport = o.dport;
    this.flags = o.flags;
    this.fragment = o.fragment;
    this.udpPayload = o.udpPayload;
    this.udpLen = o.udpLen;
    this.tunnel = o.tunnel;
  }
}

/** Scratch packets for the inner headers of tunnels, one per level. */
const INNER = Array.from({ length: MAX_TUNNELS }, () => new IpPacket());

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
  if (type === ETHERTYPE_MPLS || type === ETHERTYPE_MPLS_MULTICAST) return mpls(dv, p, end);
  return [type, p];
}

/**
 * Skips an MPLS label stack to its bottom label; returns the ethertype the
 * payload's version nibble says (IPv4, IPv6, or 0 for anything else, such as
 * a pseudowire) and its offset, or undefined when the stack is cut off.
 */
export function mpls(dv: DataView, pos: number, end: number): [number, number] | undefined {
  let p = pos;
  for (let k = 0; k < MAX_LABELS; k++) {
    if (p + 4 > end) return undefined;
    const bottom = (dv.getUint8(p + 2) & 1) === 1;
    p += 4;
    if (bottom) {
      if (p >= end) return undefined;
      const version = dv.getUint8(p) >> 4;
      return [version === 4 ? ETHERTYPE_IPV4 : version === 6 ? ETHERTYPE_IPV6 : 0, p];
    }
  }
  return undefined;
}

/** How a captured header was read: IP found, a frame that is not IP (ARP, LLDP...), or cut off / broken. */
export type HeaderOutcome = 'ip' | 'not-ip' | 'truncated';

/**
 * Reads a captured header that starts with `link` ({@link LINK_ETHERNET},
 * {@link LINK_IP}, {@link LINK_MPLS}) into `out`, following tunnels.
 */
export function packetHeader(
  dv: DataView,
  pos: number,
  end: number,
  link: number,
  out: IpPacket,
): HeaderOutcome {
  let at = pos;
  if (link === LINK_ETHERNET || link === LINK_MPLS) {
    const e = link === LINK_ETHERNET ? ethernet(dv, pos, end) : mpls(dv, pos, end);
    if (!e) return 'truncated';
    if (e[0] !== ETHERTYPE_IPV4 && e[0] !== ETHERTYPE_IPV6) return 'not-ip';
    at = e[1];
  }
  if (at >= end) return 'truncated';
  const version = dv.getUint8(at) >> 4;
  if (version !== 4 && version !== 6) return link === LINK_IP ? 'not-ip' : 'truncated';
  return ip(dv, at, end, out, true) ? 'ip' : 'truncated';
}

/**
 * Parses an IP packet (v4 or v6, by its version nibble) at `pos`. With
 * `decap`, a tunnel's inner packet replaces the outer one when the inner
 * header is there whole (else the outer one stays, with its tunnel protocol).
 */
export function ip(dv: DataView, pos: number, end: number, out: IpPacket, decap = false, depth = 0): boolean {
  if (pos >= end) return false;
  const version = dv.getUint8(pos) >> 4;
  out.tunnel = 0;
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
  if (decap && depth < MAX_TUNNELS && !out.fragment && tunnelled(dv, p, end, next, out, depth)) return true;
  if ((next === 6 || next === 17 || next === 132) && p + 4 <= end) {
    out.sport = dv.getUint16(p);
    out.dport = dv.getUint16(p + 2);
  } else if ((next === 1 || next === 58) && p + 2 <= end) {
    // ICMP: type*256 + code as the destination port, source port 0 (NetFlow's convention).
    out.dport = (dv.getUint8(p) << 8) | dv.getUint8(p + 1);
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

/** Follows IP-in-IP or GRE (RFC 2784/2890, version 0, carrying IP) at `p`; true when the inner packet replaced `out`. */
function tunnelled(
  dv: DataView,
  p: number,
  end: number,
  next: number,
  out: IpPacket,
  depth: number,
): boolean {
  let at = -1;
  if (next === 4 || next === 41) at = p;
  else if (next === 47 && p + 4 <= end) {
    const flags = dv.getUint16(p);
    const type = dv.getUint16(p + 2);
    if ((flags & 7) !== 0 || (type !== ETHERTYPE_IPV4 && type !== ETHERTYPE_IPV6)) return false;
    // Checksum (+ reserved), key and sequence number words when their bits say so.
    at = p + 4 + (flags & 0x8000 ? 4 : 0) + (flags & 0x2000 ? 4 : 0) + (flags & 0x1000 ? 4 : 0);
  }
  if (at < 0 || at >= end) return false;
  const inner = INNER[depth]!;
  const version = dv.getUint8(at) >> 4;
  if ((next === 4 && version !== 4) || (next === 41 && version !== 6)) return false;
  if (!ip(dv, at, end, inner, true, depth + 1)) return false;
  const wire = out.ipLen;
  out.copyFrom(inner);
  // Counters count what was on the wire at the observation point: the outer datagram.
  out.ipLen = wire;
  out.tunnel = next;
  return true;
}
