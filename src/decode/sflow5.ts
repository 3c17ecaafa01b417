/**
 * @module sFlow version 5 (sflow.org/sflow_version_5.txt): flow samples and
 * expanded flow samples become one flow each, read from the sampled packet
 * header (Ethernet / MPLS / IPv4 / IPv6, tunnels followed, + TCP/UDP/ICMP,
 * by `packet-header.ts`) or the sampled IPv4/IPv6 record, with extended
 * router (next hop) and gateway (AS) data. Packets and octets are 1 and the
 * IP length, scaled by the sampling rate (a rate of 0 or past
 * {@link MAX_SAMPLING} is a counted `bad-sampling` error and the sample is
 * stored unscaled). A sampled frame that is not IP is dropped and counted
 * (`not-ip`). Counter samples and unknown formats are skipped by their
 * length. The exporter is the agent.
 */

import type { AddrWords } from '../flow/address.js';
import { IpPacket, LINK_ETHERNET, LINK_IP, LINK_MPLS, packetHeader } from './packet-header.js';
import { admit, drop, enterDomain, fail, MAX_SAMPLING, type PacketContext, trackSequence } from './state.js';

const FLOW_SAMPLE = 1;
const EXPANDED_FLOW_SAMPLE = 3;
const RAW_HEADER = 1;
const SAMPLED_IPV4 = 3;
const SAMPLED_IPV6 = 4;
const EXTENDED_ROUTER = 1002;
const EXTENDED_GATEWAY = 1003;
const PROTO_ETHERNET = 1;
const PROTO_IPV4 = 11;
const PROTO_IPV6 = 12;
const PROTO_MPLS = 13;

/** Samples per datagram we look at: a datagram of 64 KiB cannot hold more. */
const MAX_SAMPLES = 8192;

const pkt = new IpPacket();
const nh = new Uint32Array(4);

/** Reads the agent address; returns it and the offset after it, or undefined. */
export function sflowAgent(dv: DataView): { agent: AddrWords; pos: number } | undefined {
  if (dv.byteLength < 8 || dv.getUint32(0) !== 5) return undefined;
  const type = dv.getUint32(4);
  if (type === 1 && dv.byteLength >= 12) return { agent: [0, 0, 0xffff, dv.getUint32(8)], pos: 12 };
  if (type === 2 && dv.byteLength >= 24) {
    return { agent: [dv.getUint32(8), dv.getUint32(12), dv.getUint32(16), dv.getUint32(20)], pos: 24 };
  }
  return undefined;
}

/** Decodes a datagram whose agent address was read by {@link sflowAgent}. */
export function decodeSflow5(ctx: PacketContext, dv: DataView, start: number): void {
  const len = dv.byteLength;
  if (start + 16 > len) {
    fail(ctx, 'short-packet', `sFlow datagram of ${len} bytes`);
    return;
  }
  const info = enterDomain(ctx, dv.getUint32(start));
  trackSequence(ctx, info, dv.getUint32(start + 4), 1);
  const samples = dv.getUint32(start + 12);
  let p = start + 16;
  for (let k = 0; k < samples && k < MAX_SAMPLES; k++) {
    if (p + 8 > len) {
      fail(ctx, 'bad-sample', `sample ${k + 1} of ${samples} is missing`);
      return;
    }
    const tag = dv.getUint32(p);
    const sLen = dv.getUint32(p + 4);
    const end = p + 8 + sLen;
    if (end > len) {
      fail(ctx, 'bad-sample', `sample ${k + 1} runs past the end of the datagram`);
      return;
    }
    if (tag === FLOW_SAMPLE) flowSample(ctx, dv, p + 8, end, false);
    else if (tag === EXPANDED_FLOW_SAMPLE) flowSample(ctx, dv, p + 8, end, true);
    p = end;
  }
}

/** An interface of a compact flow sample: format in the top 2 bits; only 0 (an ifIndex) names one. */
function ifIndex(v: number): number {
  return v >>> 30 === 0 ? v : 0;
}

function flowSample(ctx: PacketContext, dv: DataView, pos: number, end: number, expanded: boolean): void {
  const head = expanded ? 44 : 32;
  if (pos + head > end) {
    fail(ctx, 'bad-sample', 'flow sample shorter than its header');
    return;
  }
  let rate = dv.getUint32(pos + (expanded ? 12 : 8));
  if (rate < 1 || rate > MAX_SAMPLING) {
    fail(ctx, 'bad-sampling', `flow sample with sampling rate ${rate}: stored unscaled`);
    rate = 1;
  }
  let inIf: number;
  let outIf: number;
  if (expanded) {
    inIf = dv.getUint32(pos + 24) === 0 ? dv.getUint32(pos + 28) : 0;
    outIf = dv.getUint32(pos + 32) === 0 ? dv.getUint32(pos + 36) : 0;
  } else {
    inIf = ifIndex(dv.getUint32(pos + 20));
    outIf = ifIndex(dv.getUint32(pos + 24));
  }
  const records = dv.getUint32(pos + head - 4);
  let have = false;
  let notIp = false;
  let hasNh = false;
  let srcAs = 0;
  let dstAs = 0;
  let p = pos + head;
  for (let k = 0; k < records && p + 8 <= end; k++) {
    const tag = dv.getUint32(p);
    const rLen = dv.getUint32(p + 4);
    const rEnd = p + 8 + rLen;
    if (rEnd > end) {
      fail(ctx, 'bad-sample', `flow record ${tag} runs past the end of its sample`);
      return;
    }
    const b = p + 8;
    if (tag === RAW_HEADER && !have) {
      const r = rawHeader(ctx, dv, b, rEnd);
      have = r === 'ip';
      notIp ||= r === 'not-ip';
    } else if (tag === SAMPLED_IPV4 && !have && rLen >= 32) {
      sampled(dv, b, false);
      have = true;
    } else if (tag === SAMPLED_IPV6 && !have && rLen >= 56) {
      sampled(dv, b, true);
      have = true;
    } else if (tag === EXTENDED_ROUTER || tag === EXTENDED_GATEWAY) {
      const a = address(dv, b, rEnd);
      if (a > 0 && tag === EXTENDED_ROUTER) hasNh = true;
      if (a > 0 && tag === EXTENDED_GATEWAY) {
        hasNh = true;
        if (a + 16 <= rEnd) {
          srcAs = dv.getUint32(a + 4);
          dstAs = lastAs(dv, a + 12, rEnd, dv.getUint32(a + 12));
        }
      }
    }
    p = rEnd;
  }
  if (!have) {
    if (notIp) drop(ctx, 'not-ip', 1);
    return;
  }
  if (admit(ctx, 1) === 0) return;
  const out = ctx.out;
  const i = out.add();
  out.src.set(pkt.src, i * 4);
  out.dst.set(pkt.dst, i * 4);
  if (hasNh) out.nexthop.set(nh, i * 4);
  out.exporter.set(ctx.exporter, i * 4);
  out.sport[i] = pkt.sport;
  out.dport[i] = pkt.dport;
  out.proto[i] = pkt.proto;
  out.flags[i] = pkt.flags;
  out.tos[i] = pkt.tos;
  out.inIf[i] = inIf;
  out.outIf[i] = outIf;
  out.srcAs[i] = srcAs;
  out.dstAs[i] = dstAs;
  out.packets[i] = rate;
  out.bytes[i] = pkt.ipLen * rate;
  out.sampling[i] = rate;
  out.ts[i] = ctx.receivedMs;
  out.te[i] = ctx.receivedMs;
  ctx.result.records++;
}

/** The raw packet header record: protocol, frame length, stripped, header length, header. */
function rawHeader(ctx: PacketContext, dv: DataView, b: number, end: number): 'ip' | 'not-ip' | 'bad' {
  if (b + 16 > end) {
    fail(ctx, 'bad-sample', 'raw packet header record shorter than its fields');
    return 'bad';
  }
  const proto = dv.getUint32(b);
  const hLen = dv.getUint32(b + 12);
  const h = b + 16;
  const hEnd = h + hLen;
  if (hEnd > end) {
    fail(ctx, 'bad-sample', 'sampled header longer than its record');
    return 'bad';
  }
  const link =
    proto === PROTO_ETHERNET
      ? LINK_ETHERNET
      : proto === PROTO_IPV4 || proto === PROTO_IPV6
        ? LINK_IP
        : proto === PROTO_MPLS
          ? LINK_MPLS
          : 0;
  if (link === 0) {
    fail(ctx, 'unsupported-header', `sampled header protocol ${proto}`);
    return 'bad';
  }
  const r = packetHeader(dv, h, hEnd, link, pkt);
  if (r === 'truncated') {
    fail(ctx, 'bad-header', `sampled header of ${hLen} bytes is cut off before its IP header ends`);
    return 'bad';
  }
  return r;
}

/** sampled_ipv4 / sampled_ipv6: length, protocol, addresses, ports, flags, tos/priority. */
function sampled(dv: DataView, b: number, v6: boolean): void {
  pkt.v6 = v6;
  pkt.ipLen = dv.getUint32(b);
  pkt.proto = dv.getUint32(b + 4) & 0xff;
  let p = b + 8;
  if (v6) {
    for (let k = 0; k < 4; k++) {
      pkt.src[k] = dv.getUint32(p + 4 * k);
      pkt.dst[k] = dv.getUint32(p + 16 + 4 * k);
    }
    p += 32;
  } else {
    pkt.src.set([0, 0, 0xffff, dv.getUint32(p)]);
    pkt.dst.set([0, 0, 0xffff, dv.getUint32(p + 4)]);
    p += 8;
  }
  pkt.sport = dv.getUint32(p) & 0xffff;
  pkt.dport = dv.getUint32(p + 4) & 0xffff;
  pkt.flags = dv.getUint32(p + 8) & 0x1ff;
  pkt.tos = dv.getUint32(p + 12) & 0xff;
}

/** Reads an sFlow address into `nh`; returns the offset after it, or 0. */
function address(dv: DataView, b: number, end: number): number {
  if (b + 8 > end) return 0;
  const type = dv.getUint32(b);
  if (type === 1) {
    nh[0] = 0;
    nh[1] = 0;
    nh[2] = 0xffff;
    nh[3] = dv.getUint32(b + 4);
    return b + 8;
  }
  if (type === 2 && b + 20 <= end) {
    for (let k = 0; k < 4; k++) nh[k] = dv.getUint32(b + 4 + 4 * k);
    return b + 20;
  }
  return 0;
}

/** The destination AS: the last AS of the last AS-path segment (0 when the path is empty). */
function lastAs(dv: DataView, p: number, end: number, segments: number): number {
  let q = p + 4;
  let as = 0;
  for (let s = 0; s < segments && s < 256 && q + 8 <= end; s++) {
    const n = dv.getUint32(q + 4);
    q += 8;
    if (n > 0 && q + 4 * n <= end) as = dv.getUint32(q + 4 * (n - 1));
    if (q + 4 * n > end) break;
    q += 4 * n;
  }
  return as;
}
