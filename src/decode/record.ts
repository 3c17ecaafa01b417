/**
 * @module One data record of a NetFlow v9 / IPFIX template, read field by
 * field into a reused scratch record, then either written to the batch as a
 * flow or, for options data, kept as exporter state (sampling, system init
 * time). This is the mapping from protocol fields to the flow record
 * (GoFlow2's "producer"): counters scaled by sampling, times made absolute.
 *
 * Sampling (docs/exporters.md): a record's own interval, else its sampler's
 * (options data per exporter/domain/sampler id), else its domain's, else 1.
 * The interval is samplingInterval / samplerRandomInterval, else
 * samplingPopulation / samplingSize, else (samplingPacketInterval +
 * samplingPacketSpace) / samplingPacketInterval, else a lone
 * samplingPacketInterval, else 1 / samplingProbability. Values of 0 or past
 * {@link MAX_SAMPLING} are `bad-sampling` errors, never a scale.
 *
 * Captured headers (dataLinkFrameSection, ipHeaderPacketSection,
 * mplsPayloadPacketSection) are read by `packet-header.ts`, the parser
 * sFlow uses, and fill what the record's own fields leave out; a record of
 * one sampled packet without counters counts 1 packet of its IP length.
 * ICMP type and code elements become the destination port (type*256+code,
 * source port 0). A record naming IPv4 and IPv6 hosts (a tunnel) is stored
 * with one family's addresses, the one its ports and protocol belong to.
 */

import type { FlowBatch } from '../flow/batch.js';
import { F, type Template, VARLEN } from './fields.js';
import { IpPacket, LINK_ETHERNET, LINK_IP, packetHeader } from './packet-header.js';
import { admit, drop, fail, MAX_SAMPLING, type PacketContext } from './state.js';

/** Seconds between the NTP epoch (1900) and the Unix epoch. */
const NTP_UNIX = 2_208_988_800;

const H_SRC4 = 1 << 0;
const H_SRC6 = 1 << 1;
const H_DST4 = 1 << 2;
const H_DST6 = 1 << 3;
const H_NH4 = 1 << 4;
const H_NH6 = 1 << 5;
const H_OCT = 1 << 6;
const H_PKT = 1 << 7;
const H_OCT_T = 1 << 8;
const H_PKT_T = 1 << 9;
const H_OCT_P = 1 << 10;
const H_PKT_P = 1 << 11;
const H_START = 1 << 12;
const H_END = 1 << 13;
const H_START_UP = 1 << 14;
const H_END_UP = 1 << 15;
const H_START_D = 1 << 16;
const H_END_D = 1 << 17;
const H_DUR = 1 << 18;
const H_SAMPLER = 1 << 19;
const H_SYSINIT = 1 << 20;
const H_PROTO = 1 << 21;
const H_SPORT = 1 << 22;
const H_DPORT = 1 << 23;
const H_ICMP4 = 1 << 24;
const H_ICMP6 = 1 << 25;
const H_SECTION = 1 << 26;
const H_IPLEN = 1 << 27;
const H_TOS = 1 << 28;
const H_FLAGS = 1 << 29;

/** Which sampling elements a record states (a stated 0 is an error, an absent one is not). */
const SP_INTERVAL = 1;
const SP_PKT_INTERVAL = 2;
const SP_PKT_SPACE = 4;
const SP_SIZE = 8;
const SP_POPULATION = 16;
const SP_PROBABILITY = 32;

/** The scratch record: plain numbers, reset per record, no allocation. */
class Scratch {
  have = 0;
  src4 = 0;
  dst4 = 0;
  nh4 = 0;
  readonly src6 = new Uint32Array(4);
  readonly dst6 = new Uint32Array(4);
  readonly nh6 = new Uint32Array(4);
  sport = 0;
  dport = 0;
  proto = 0;
  flags = 0;
  tos = 0;
  inIf = 0;
  outIf = 0;
  srcAs = 0;
  dstAs = 0;
  dir = 0;
  octets = 0;
  packets = 0;
  octetsTotal = 0;
  packetsTotal = 0;
  octetsPost = 0;
  packetsPost = 0;
  startMs = 0;
  endMs = 0;
  startUp = 0;
  endUp = 0;
  startDeltaUs = 0;
  endDeltaUs = 0;
  durMs = 0;
  samplerId = 0;
  interval = 0;
  spi = 0;
  sps = 0;
  ssize = 0;
  spop = 0;
  sysInit = 0;
  /** Sampling elements stated ({@link SP_INTERVAL}...). */
  samp = 0;
  probability = 0;
  icmp4 = 0;
  icmp6 = 0;
  /** The captured header: where it is in the datagram and what it starts with. */
  secOff = 0;
  secLen = 0;
  secLink = 0;
  ipLen = 0;

  reset(): void {
    this.have = 0;
    this.sport = 0;
    this.dport = 0;
    this.proto = 0;
    this.flags = 0;
    this.tos = 0;
    this.inIf = 0;
    this.outIf = 0;
    this.srcAs = 0;
    this.dstAs = 0;
    this.dir = 0;
    this.interval = 0;
    this.spi = 0;
    this.sps = 0;
    this.ssize = 0;
    this.spop = 0;
    this.samp = 0;
    this.icmp4 = 0;
    this.icmp6 = 0;
  }
}

const S = new Scratch();
/** The captured header of the current record, once parsed. */
const hdr = new IpPacket();

/** Big-endian unsigned integer of any length (reduced-size encoding, RFC 7011 §6.2); exact to 2^53. */
function uint(dv: DataView, p: number, len: number): number {
  switch (len) {
    case 1:
      return dv.getUint8(p);
    case 2:
      return dv.getUint16(p);
    case 4:
      return dv.getUint32(p);
    case 8:
      return dv.getUint32(p) * 4294967296 + dv.getUint32(p + 4);
  }
  // Longer than 8 bytes is not an unsigned type; its low 8 bytes are what a counter could mean.
  const from = len > 8 ? p + len - 8 : p;
  let v = 0;
  for (let i = from; i < p + len; i++) v = v * 256 + dv.getUint8(i);
  return v;
}

function v6(dv: DataView, p: number, into: Uint32Array): void {
  into[0] = dv.getUint32(p);
  into[1] = dv.getUint32(p + 4);
  into[2] = dv.getUint32(p + 8);
  into[3] = dv.getUint32(p + 12);
}

/** dateTimeMicroseconds / dateTimeNanoseconds: NTP seconds and fraction (RFC 7011 §6.1.9–10). */
function ntpMs(dv: DataView, p: number): number {
  return (dv.getUint32(p) - NTP_UNIX) * 1000 + (dv.getUint32(p + 4) / 4294967296) * 1000;
}

/** Applies one field to the scratch record. */
function field(a: number, dv: DataView, p: number, len: number): void {
  switch (a) {
    case F.OCTETS:
      S.octets = uint(dv, p, len);
      S.have |= H_OCT;
      return;
    case F.PACKETS:
      S.packets = uint(dv, p, len);
      S.have |= H_PKT;
      return;
    case F.PROTO:
      S.proto = uint(dv, p, len) & 0xff;
      S.have |= H_PROTO;
      return;
    case F.TOS:
      S.tos = uint(dv, p, len) & 0xff;
      S.have |= H_TOS;
      return;
    case F.FLAGS:
      S.flags = uint(dv, p, len) & 0xffff;
      S.have |= H_FLAGS;
      return;
    case F.SPORT:
      S.sport = uint(dv, p, len) & 0xffff;
      S.have |= H_SPORT;
      return;
    case F.DPORT:
      S.dport = uint(dv, p, len) & 0xffff;
      S.have |= H_DPORT;
      return;
    case F.ICMP_TC4:
      S.icmp4 = uint(dv, p, len) & 0xffff;
      S.have |= H_ICMP4;
      return;
    case F.ICMP_TC6:
      S.icmp6 = uint(dv, p, len) & 0xffff;
      S.have |= H_ICMP6;
      return;
    case F.ICMP_T4:
      S.icmp4 = (S.icmp4 & 0xff) | ((uint(dv, p, len) & 0xff) << 8);
      S.have |= H_ICMP4;
      return;
    case F.ICMP_C4:
      S.icmp4 = (S.icmp4 & 0xff00) | (uint(dv, p, len) & 0xff);
      S.have |= H_ICMP4;
      return;
    case F.ICMP_T6:
      S.icmp6 = (S.icmp6 & 0xff) | ((uint(dv, p, len) & 0xff) << 8);
      S.have |= H_ICMP6;
      return;
    case F.ICMP_C6:
      S.icmp6 = (S.icmp6 & 0xff00) | (uint(dv, p, len) & 0xff);
      S.have |= H_ICMP6;
      return;
    case F.SECTION_L2:
    case F.SECTION_IP:
    case F.SECTION_MPLS_PAYLOAD:
      // A data-link section wins over an IP one (it says more); otherwise the first is kept.
      if (!(S.have & H_SECTION) || (a === F.SECTION_L2 && S.secLink !== LINK_ETHERNET)) {
        S.secOff = p;
        S.secLen = len;
        S.secLink = a === F.SECTION_L2 ? LINK_ETHERNET : LINK_IP;
        S.have |= H_SECTION;
      }
      return;
    case F.IP_TOTAL_LENGTH:
      S.ipLen = uint(dv, p, len);
      S.have |= H_IPLEN;
      return;
    case F.OBS_S:
      observed(uint(dv, p, len) * 1000);
      return;
    case F.OBS_MS:
      observed(uint(dv, p, len));
      return;
    case F.OBS_US:
    case F.OBS_NS:
      if (len === 8) observed(ntpMs(dv, p));
      return;
    case F.SRC4:
      if (len === 4) {
        S.src4 = dv.getUint32(p);
        S.have |= H_SRC4;
      }
      return;
    case F.DST4:
      if (len === 4) {
        S.dst4 = dv.getUint32(p);
        S.have |= H_DST4;
      }
      return;
    case F.NH4:
      if (len === 4) {
        S.nh4 = dv.getUint32(p);
        S.have |= H_NH4;
      }
      return;
    case F.SRC6:
      if (len === 16) {
        v6(dv, p, S.src6);
        S.have |= H_SRC6;
      }
      return;
    case F.DST6:
      if (len === 16) {
        v6(dv, p, S.dst6);
        S.have |= H_DST6;
      }
      return;
    case F.NH6:
      if (len === 16) {
        v6(dv, p, S.nh6);
        S.have |= H_NH6;
      }
      return;
    case F.IN_IF:
      S.inIf = uint(dv, p, len) >>> 0;
      return;
    case F.OUT_IF:
      S.outIf = uint(dv, p, len) >>> 0;
      return;
    case F.SRC_AS:
      S.srcAs = uint(dv, p, len) >>> 0;
      return;
    case F.DST_AS:
      S.dstAs = uint(dv, p, len) >>> 0;
      return;
    case F.DIR:
      S.dir = uint(dv, p, len) & 0xff;
      return;
    case F.OCTETS_TOTAL:
      S.octetsTotal = uint(dv, p, len);
      S.have |= H_OCT_T;
      return;
    case F.PACKETS_TOTAL:
      S.packetsTotal = uint(dv, p, len);
      S.have |= H_PKT_T;
      return;
    case F.OCTETS_POST:
      S.octetsPost = uint(dv, p, len);
      S.have |= H_OCT_P;
      return;
    case F.PACKETS_POST:
      S.packetsPost = uint(dv, p, len);
      S.have |= H_PKT_P;
      return;
    case F.START_UPTIME:
      S.startUp = uint(dv, p, len);
      S.have |= H_START_UP;
      return;
    case F.END_UPTIME:
      S.endUp = uint(dv, p, len);
      S.have |= H_END_UP;
      return;
    case F.START_S:
      S.startMs = uint(dv, p, len) * 1000;
      S.have |= H_START;
      return;
    case F.END_S:
      S.endMs = uint(dv, p, len) * 1000;
      S.have |= H_END;
      return;
    case F.START_MS:
      S.startMs = uint(dv, p, len);
      S.have |= H_START;
      return;
    case F.END_MS:
      S.endMs = uint(dv, p, len);
      S.have |= H_END;
      return;
    case F.START_US:
    case F.START_NS:
      if (len === 8) {
        S.startMs = ntpMs(dv, p);
        S.have |= H_START;
      }
      return;
    case F.END_US:
    case F.END_NS:
      if (len === 8) {
        S.endMs = ntpMs(dv, p);
        S.have |= H_END;
      }
      return;
    case F.START_DELTA_US:
      S.startDeltaUs = uint(dv, p, len);
      S.have |= H_START_D;
      return;
    case F.END_DELTA_US:
      S.endDeltaUs = uint(dv, p, len);
      S.have |= H_END_D;
      return;
    case F.DURATION_MS:
      S.durMs = uint(dv, p, len);
      S.have |= H_DUR;
      return;
    case F.DURATION_US:
      S.durMs = uint(dv, p, len) / 1000;
      S.have |= H_DUR;
      return;
    case F.SYS_INIT_MS:
      S.sysInit = uint(dv, p, len);
      S.have |= H_SYSINIT;
      return;
    case F.SAMPLER_ID:
      S.samplerId = uint(dv, p, len);
      S.have |= H_SAMPLER;
      return;
    case F.SAMPLING_INTERVAL:
    case F.SAMPLER_RANDOM_INTERVAL:
      S.interval = uint(dv, p, len);
      S.samp |= SP_INTERVAL;
      return;
    case F.SAMPLING_PACKET_INTERVAL:
      S.spi = uint(dv, p, len);
      S.samp |= SP_PKT_INTERVAL;
      return;
    case F.SAMPLING_PACKET_SPACE:
      S.sps = uint(dv, p, len);
      S.samp |= SP_PKT_SPACE;
      return;
    case F.SAMPLING_SIZE:
      S.ssize = uint(dv, p, len);
      S.samp |= SP_SIZE;
      return;
    case F.SAMPLING_POPULATION:
      S.spop = uint(dv, p, len);
      S.samp |= SP_POPULATION;
      return;
    case F.SAMPLING_PROBABILITY:
      if (len === 8 || len === 4) {
        S.probability = len === 8 ? dv.getFloat64(p) : dv.getFloat32(p);
        S.samp |= SP_PROBABILITY;
      }
  }
}

/** A PSAMP observation time: the packet's start and end, unless the record has flow times too. */
function observed(ms: number): void {
  if (!(S.have & H_START)) S.startMs = ms;
  if (!(S.have & H_END)) S.endMs = ms;
  S.have |= H_START | H_END;
}

/**
 * The sampling interval a record states itself: 0 when it states none, -1
 * when what it states is bogus (0, below 1, past {@link MAX_SAMPLING}).
 * RFC 7012 / RFC 5477: samplingInterval and samplerRandomInterval are 1 in
 * N; samplingSize of samplingPopulation packets are taken (N = population /
 * size); samplingPacketInterval packets are taken, then samplingPacketSpace
 * skipped (N = (interval + space) / interval; a lone packet interval is taken
 * as 1 in N, as exporters that send only it mean); samplingProbability p is
 * 1 in 1/p. Population/size come before the packet interval: Cisco IOS-XR
 * states samplingPacketInterval 1 beside population 256 and size 1.
 */
function statedInterval(): number {
  const sp = S.samp;
  if (sp === 0) return 0;
  let n: number;
  if (sp & SP_INTERVAL) n = S.interval;
  else if ((sp & (SP_SIZE | SP_POPULATION)) === (SP_SIZE | SP_POPULATION))
    n = S.ssize > 0 ? S.spop / S.ssize : 0;
  else if (sp & SP_PKT_INTERVAL) n = S.spi > 0 ? (sp & SP_PKT_SPACE ? (S.spi + S.sps) / S.spi : S.spi) : 0;
  else if (sp & SP_PROBABILITY) n = S.probability > 0 && S.probability <= 1 ? 1 / S.probability : 0;
  else return 0; // a lone size, population or space says no rate
  // Below 1 (a size over its population, a probability over 1) is as bogus as 0.
  if (!(n >= 1 && n <= MAX_SAMPLING)) return -1;
  return Math.round(n);
}

function badSampling(ctx: PacketContext, where: string): void {
  const what =
    S.samp & SP_INTERVAL
      ? `interval ${S.interval}`
      : S.samp & SP_SIZE && S.samp & SP_POPULATION
        ? `size ${S.ssize} of population ${S.spop}`
        : S.samp & SP_PKT_INTERVAL
          ? `packet interval ${S.spi}, space ${S.sps}`
          : `probability ${S.probability}`;
  fail(ctx, 'bad-sampling', `${where} states sampling ${what}: ignored`);
}

/** A 32-bit uptime difference as a signed number: a small step "back" is skew, not a wrap. */
function signed32(x: number): number {
  const u = x >>> 0;
  return u >= 0x80000000 ? u - 4294967296 : u;
}

/** Milliseconds since the epoch for a sysUptime-relative time. */
function fromUptime(ctx: PacketContext, rel: number, ref: number): number {
  // NetFlow v9: relative to the header's sysUptime, stamped at the export time.
  if (ctx.sysUptimeMs >= 0) return ctx.exportMs - signed32(ctx.sysUptimeMs - rel);
  const init = S.have & H_SYSINIT ? S.sysInit : ctx.info!.sysInitMs;
  if (!Number.isNaN(init)) return init + rel;
  // IPFIX without systemInitTimeMilliseconds: take the record's last uptime as the export time.
  return ctx.exportMs - signed32(ref - rel);
}

const MAX_SAMPLERS = 256;

function keepOptions(ctx: PacketContext): void {
  const info = ctx.info!;
  const rate = statedInterval();
  if (rate < 0)
    badSampling(ctx, S.have & H_SAMPLER ? `options data of sampler ${S.samplerId}` : 'options data');
  else if (rate > 0) {
    if (S.have & H_SAMPLER) {
      if (!info.samplers.has(S.samplerId) && info.samplers.size >= MAX_SAMPLERS) info.samplers.clear();
      info.samplers.set(S.samplerId, rate);
    } else {
      info.sampling = rate;
    }
  }
  if (S.have & H_SYSINIT) info.sysInitMs = S.sysInit;
}

/**
 * Appends a row without zeroing it ({@link FlowBatch.add} does): for callers
 * that write every column, on the hot path.
 */
export function appendRow(out: FlowBatch): number {
  const i = out.reserve(1);
  out.length = i + 1;
  if (out.label) out.label[i] = null;
  return i;
}

/** Writes an IPv6 address when the record has one (and it is not :: beside an IPv4 one), else the IPv4. */
function address(
  col: Uint32Array,
  a: number,
  h: number,
  b4: number,
  b6: number,
  v4: number,
  v6: Uint32Array,
): void {
  if (h & b6 && (!(h & b4) || v6[0]! | v6[1]! | v6[2]! | v6[3]!)) put6(col, a, v6);
  else put4(col, a, h & b4 ? v4 : 0);
}

function put6(col: Uint32Array, a: number, v6: Uint32Array): void {
  col[a] = v6[0]!;
  col[a + 1] = v6[1]!;
  col[a + 2] = v6[2]!;
  col[a + 3] = v6[3]!;
}

function put4(col: Uint32Array, a: number, v4: number): void {
  col[a] = 0;
  col[a + 1] = 0;
  col[a + 2] = 0xffff;
  col[a + 3] = v4;
}

const nonZero6 = (w: Uint32Array): boolean => (w[0]! | w[1]! | w[2]! | w[3]!) !== 0;

/**
 * For a record naming IPv4 and IPv6 hosts both (a tunnel: outer and inner
 * header fields), the family whose header the protocol and ports describe:
 * protocol 4 (IPv4 inside) is the outer IPv6 header's, 41 (IPv6 inside) the
 * outer IPv4 header's, ICMP the IPv4 header's, ICMPv6 the IPv6 one's; any
 * other protocol is the inner IPv4 packet's (4in6: DS-Lite, MAP, the tunnels
 * deployed), since the exporter read it past the outer header.
 * Returns 4 or 6, or 0 when the record is not of that kind.
 */
function tunnelFamily(h: number): 0 | 4 | 6 {
  const has4 = (h & H_SRC4 && S.src4 !== 0) || (h & H_DST4 && S.dst4 !== 0);
  const has6 = (h & H_SRC6 && nonZero6(S.src6)) || (h & H_DST6 && nonZero6(S.dst6));
  if (!has4 || !has6) return 0;
  if (S.proto === 4 || S.proto === 58) return 6;
  return 4;
}

/** Parses the record's captured header into {@link hdr}; false (counted) when the record cannot be a flow. */
function section(ctx: PacketContext, dv: DataView, t: Template): boolean {
  const r = packetHeader(dv, S.secOff, S.secOff + S.secLen, S.secLink, hdr);
  if (r === 'ip') return true;
  const named = S.have & (H_SRC4 | H_SRC6 | H_DST4 | H_DST6);
  if (r === 'truncated')
    fail(
      ctx,
      'bad-header',
      `template ${t.id}: a captured header of ${S.secLen} bytes is cut off before its IP header ends${named ? '' : ': record dropped'}`,
      t.id,
    );
  if (named) {
    S.have &= ~H_SECTION;
    return true;
  }
  if (r === 'not-ip') drop(ctx, 'not-ip', 1);
  return false;
}

/** Fills what the record's own fields leave out from its captured header. */
function fillFromHeader(): void {
  const h = S.have;
  if (!(h & (H_SRC4 | H_SRC6 | H_DST4 | H_DST6))) {
    if (hdr.v6) {
      S.src6.set(hdr.src);
      S.dst6.set(hdr.dst);
      S.have |= H_SRC6 | H_DST6;
    } else {
      S.src4 = hdr.src[3]!;
      S.dst4 = hdr.dst[3]!;
      S.have |= H_SRC4 | H_DST4;
    }
  }
  if (!(h & H_PROTO)) S.proto = hdr.proto;
  if (!(h & H_SPORT)) S.sport = hdr.sport;
  if (!(h & H_DPORT)) S.dport = hdr.dport;
  if (!(h & H_TOS)) S.tos = hdr.tos;
  if (!(h & H_FLAGS)) S.flags = hdr.flags;
  // One sampled packet: 1 packet of its IP length, unless the record counts them itself.
  if (!(h & (H_PKT | H_PKT_T | H_PKT_P))) {
    S.packets = 1;
    S.have |= H_PKT;
  }
  if (!(h & (H_OCT | H_OCT_T | H_OCT_P))) {
    S.octets = h & H_IPLEN ? S.ipLen : hdr.ipLen;
    S.have |= H_OCT;
  }
}

function emit(ctx: PacketContext, dv: DataView, t: Template): void {
  if (S.have & H_SECTION) {
    if (!section(ctx, dv, t)) return;
    if (S.have & H_SECTION) fillFromHeader();
  } else if (S.have & H_IPLEN && !(S.have & (H_OCT | H_OCT_T | H_OCT_P))) {
    S.octets = S.ipLen;
    S.have |= H_OCT;
  }
  if (admit(ctx, 1) !== 1) return;
  ctx.result.records++;
  const out = ctx.out;
  const info = ctx.info!;
  const h = S.have;
  const i = appendRow(out);
  const a = i * 4;
  const family = tunnelFamily(h);
  if (family === 4) {
    put4(out.src, a, h & H_SRC4 ? S.src4 : 0);
    put4(out.dst, a, h & H_DST4 ? S.dst4 : 0);
  } else if (family === 6) {
    put6(out.src, a, S.src6);
    put6(out.dst, a, S.dst6);
  } else {
    address(out.src, a, h, H_SRC4, H_SRC6, S.src4, S.src6);
    address(out.dst, a, h, H_DST4, H_DST6, S.dst4, S.dst6);
  }
  address(out.nexthop, a, h, H_NH4, H_NH6, S.nh4, S.nh6);
  // ICMP type and code as the destination port; the element of the message's own family first.
  if ((S.proto === 1 || S.proto === 58) && h & (H_ICMP4 | H_ICMP6)) {
    const own = S.proto === 1 ? H_ICMP4 : H_ICMP6;
    const useV4 = h & own ? own === H_ICMP4 : (h & H_ICMP4) !== 0;
    S.dport = useV4 ? S.icmp4 : S.icmp6;
    S.sport = 0;
  }
  const ex = ctx.exporter;
  out.exporter[a] = ex[0];
  out.exporter[a + 1] = ex[1];
  out.exporter[a + 2] = ex[2];
  out.exporter[a + 3] = ex[3];
  out.sport[i] = S.sport;
  out.dport[i] = S.dport;
  out.proto[i] = S.proto;
  out.flags[i] = S.flags;
  out.tos[i] = S.tos;
  out.inIf[i] = S.inIf;
  out.outIf[i] = S.outIf;
  out.srcAs[i] = S.srcAs;
  out.dstAs[i] = S.dstAs;
  out.dir[i] = S.dir;

  let rate = statedInterval();
  if (rate < 0) {
    badSampling(ctx, `a record of template ${t.id}`);
    rate = 0;
  }
  if (rate === 0 && h & H_SAMPLER) rate = info.samplers.get(S.samplerId) ?? 0;
  if (rate === 0) rate = info.sampling;
  if (rate < 1) rate = 1;
  out.sampling[i] = rate;
  const octets = h & H_OCT ? S.octets : h & H_OCT_T ? S.octetsTotal : h & H_OCT_P ? S.octetsPost : 0;
  const packets = h & H_PKT ? S.packets : h & H_PKT_T ? S.packetsTotal : h & H_PKT_P ? S.packetsPost : 0;
  out.bytes[i] = octets * rate;
  out.packets[i] = packets * rate;

  const exMs = ctx.exportMs;
  const ref = h & H_END_UP ? S.endUp : S.startUp;
  let start = Number.NaN;
  let end = Number.NaN;
  if (h & H_START) start = S.startMs;
  else if (h & H_START_D) start = exMs - S.startDeltaUs / 1000;
  else if (h & H_START_UP) start = fromUptime(ctx, S.startUp, ref);
  if (h & H_END) end = S.endMs;
  else if (h & H_END_D) end = exMs - S.endDeltaUs / 1000;
  else if (h & H_END_UP) end = fromUptime(ctx, S.endUp, ref);
  if (h & H_DUR) {
    if (Number.isNaN(end) && !Number.isNaN(start)) end = start + S.durMs;
    else if (Number.isNaN(start) && !Number.isNaN(end)) start = end - S.durMs;
  }
  // A record without times happened by its export time.
  if (Number.isNaN(start)) start = Number.isNaN(end) ? exMs : end;
  if (Number.isNaN(end)) end = start;
  out.ts[i] = Math.floor(start);
  out.te[i] = Math.floor(end);
}

/** A fixed-length template's record read into the scratch record by code made for it. */
type ReadRecord = (s: Scratch, dv: DataView, p: number, slow: typeof field) => void;

/**
 * The scratch fields that a plain unsigned element fills: property, mask
 * applied, `have` bit (0: none), and a scale (seconds to ms).
 */
const PLAIN: Record<number, { to: string; mask?: string; bit: number; scale?: number }> = {
  [F.OCTETS]: { to: 'octets', bit: H_OCT },
  [F.PACKETS]: { to: 'packets', bit: H_PKT },
  [F.PROTO]: { to: 'proto', mask: '& 0xff', bit: H_PROTO },
  [F.TOS]: { to: 'tos', mask: '& 0xff', bit: H_TOS },
  [F.FLAGS]: { to: 'flags', mask: '& 0xffff', bit: H_FLAGS },
  [F.SPORT]: { to: 'sport', mask: '& 0xffff', bit: H_SPORT },
  [F.DPORT]: { to: 'dport', mask: '& 0xffff', bit: H_DPORT },
  [F.IN_IF]: { to: 'inIf', mask: '>>> 0', bit: 0 },
  [F.OUT_IF]: { to: 'outIf', mask: '>>> 0', bit: 0 },
  [F.SRC_AS]: { to: 'srcAs', mask: '>>> 0', bit: 0 },
  [F.DST_AS]: { to: 'dstAs', mask: '>>> 0', bit: 0 },
  [F.DIR]: { to: 'dir', mask: '& 0xff', bit: 0 },
  [F.OCTETS_TOTAL]: { to: 'octetsTotal', bit: H_OCT_T },
  [F.PACKETS_TOTAL]: { to: 'packetsTotal', bit: H_PKT_T },
  [F.OCTETS_POST]: { to: 'octetsPost', bit: H_OCT_P },
  [F.PACKETS_POST]: { to: 'packetsPost', bit: H_PKT_P },
  [F.START_UPTIME]: { to: 'startUp', bit: H_START_UP },
  [F.END_UPTIME]: { to: 'endUp', bit: H_END_UP },
  [F.START_S]: { to: 'startMs', bit: H_START, scale: 1000 },
  [F.END_S]: { to: 'endMs', bit: H_END, scale: 1000 },
  [F.START_MS]: { to: 'startMs', bit: H_START },
  [F.END_MS]: { to: 'endMs', bit: H_END },
  [F.DURATION_MS]: { to: 'durMs', bit: H_DUR },
};
const ADDR4: Record<number, { to: string; bit: number }> = {
  [F.SRC4]: { to: 'src4', bit: H_SRC4 },
  [F.DST4]: { to: 'dst4', bit: H_DST4 },
  [F.NH4]: { to: 'nh4', bit: H_NH4 },
};
const ADDR6: Record<number, { to: string; bit: number }> = {
  [F.SRC6]: { to: 'src6', bit: H_SRC6 },
  [F.DST6]: { to: 'dst6', bit: H_DST6 },
  [F.NH6]: { to: 'nh6', bit: H_NH6 },
};

/** `uint()` of a field of `len` bytes at `at`, as an expression; undefined for other lengths. */
function readExpr(at: string, len: number): string | undefined {
  if (len === 1) return `dv.getUint8(${at})`;
  if (len === 2) return `dv.getUint16(${at})`;
  if (len === 4) return `dv.getUint32(${at})`;
  if (len === 8) return `(dv.getUint32(${at}) * 4294967296 + dv.getUint32(${at} + 4))`;
  return undefined;
}

/**
 * The code of a fixed-length template: the common elements (counters,
 * ports, protocol, flags, addresses, interfaces, AS numbers, times) read at
 * their offsets as {@link field} reads them, in the same order; any other
 * element goes through {@link field}. The source is made only of numbers
 * from the template (offsets, lengths, actions) and of names here, never of
 * an exporter's bytes. Read per record, it spares the per-field dispatch,
 * about half of a record's decoding.
 */
function compileRecord(t: Template): ReadRecord {
  const lines: string[] = [];
  // The elements' bits are set together, but before any element read by field(), which may test
  // them (an observation time does not replace a flow start read before it).
  let pending = 0;
  const have = (bit: number) => {
    pending |= bit;
  };
  const settle = () => {
    if (pending !== 0) lines.push(`s.have |= ${pending};`);
    pending = 0;
  };
  let off = 0;
  for (let f = 0; f < t.actions.length; f++) {
    const a = t.actions[f]!;
    const len = t.lens[f]!;
    const at = `p + ${off}`;
    off += len;
    if (a === F.SKIP) continue;
    const plain = PLAIN[a];
    const expr = plain && readExpr(at, len);
    if (plain && expr) {
      const v = plain.scale ? `${expr} * ${plain.scale}` : plain.mask ? `(${expr}) ${plain.mask}` : expr;
      lines.push(`s.${plain.to} = ${v};`);
      have(plain.bit);
    } else if (ADDR4[a]) {
      // As field(): an address of another length is not read.
      if (len === 4) {
        lines.push(`s.${ADDR4[a].to} = dv.getUint32(${at});`);
        have(ADDR4[a].bit);
      }
    } else if (ADDR6[a]) {
      if (len === 16) {
        const to = `s.${ADDR6[a].to}`;
        lines.push(
          `${to}[0] = dv.getUint32(${at}); ${to}[1] = dv.getUint32(${at} + 4); ${to}[2] = dv.getUint32(${at} + 8); ${to}[3] = dv.getUint32(${at} + 12);`,
        );
        have(ADDR6[a].bit);
      }
    } else {
      settle();
      lines.push(`slow(${a}, dv, ${at}, ${len});`);
    }
  }
  settle();
  return new Function('s', 'dv', 'p', 'slow', lines.join('\n')) as ReadRecord;
}

/**
 * Records the templates of one signature decode through the dispatch
 * before their own code is made (`Infinity`: never), and how many codes
 * were made; `forget` drops what is kept (tests compare both ways).
 */
export const recordCode = {
  compileAfter: 1024,
  made: 0,
  forget(): void {
    compiled.clear();
    uses.clear();
  },
};

/** Templates' codes kept, and templates counted towards theirs: bounded, whatever exporters send. */
const MAX_CODES = 1024;
/** By template signature: a template resent (exporters refresh theirs every few datagrams) keeps its code. */
const compiled = new Map<string, ReadRecord>();
const uses = new Map<string, number>();

/**
 * The template's own code once templates of its signature have decoded
 * `recordCode.compileAfter` records (undefined before): making code costs
 * some tens of µs, so an exporter that churns templates (hostile or
 * broken) makes none, while a template in use is compiled within its first
 * datagrams.
 */
function recordReader(t: Template, records: number): ReadRecord | undefined {
  if (recordCode.compileAfter === Number.POSITIVE_INFINITY) return undefined;
  const key = t.signature;
  const r = compiled.get(key);
  if (r) return r;
  const n = (uses.get(key) ?? 0) + records;
  if (n < recordCode.compileAfter) {
    if (uses.size >= MAX_CODES && !uses.has(key)) uses.clear();
    uses.set(key, n);
    return undefined;
  }
  uses.delete(key);
  if (compiled.size >= MAX_CODES) compiled.delete(compiled.keys().next().value!);
  const made = compileRecord(t);
  recordCode.made++;
  compiled.set(key, made);
  return made;
}

/**
 * Decodes the data records of one set body `[pos, end)` with its template,
 * appending flows to `ctx.out`; returns the number of data records read
 * (flows and options records). What is left shorter than a record is padding.
 */
export function decodeRecords(
  ctx: PacketContext,
  t: Template,
  dv: DataView,
  pos: number,
  end: number,
): number {
  const { actions, lens, fixedLen, minLen } = t;
  const n = actions.length;
  if (minLen === 0) {
    fail(ctx, 'bad-template', `template ${t.id} describes records of length 0`, t.id);
    return 0;
  }
  if (t.junk) {
    // Not flows (no address or counter, or records under 4 bytes): count them, store nothing.
    const n = t.fixedLen > 0 ? Math.floor((end - pos) / t.fixedLen) : 1;
    drop(ctx, 'not-flows', n);
    fail(ctx, 'junk-records', `template ${t.id} cannot carry flows: dropped ${n} records`, t.id);
    return n;
  }
  let p = pos;
  let count = 0;
  const read = fixedLen > 0 ? recordReader(t, Math.floor((end - pos) / fixedLen)) : undefined;
  while (p + minLen <= end) {
    S.reset();
    if (read) {
      read(S, dv, p, field);
      p += fixedLen;
    } else if (fixedLen >= 0) {
      for (let f = 0; f < n; f++) {
        const len = lens[f]!;
        const a = actions[f]!;
        if (a !== 0) field(a, dv, p, len);
        p += len;
      }
    } else {
      for (let f = 0; f < n; f++) {
        let len = lens[f]!;
        if (len === VARLEN) {
          if (p >= end) return truncated(ctx, t, count);
          len = dv.getUint8(p++);
          if (len === 255) {
            if (p + 2 > end) return truncated(ctx, t, count);
            len = dv.getUint16(p);
            p += 2;
          }
        }
        if (p + len > end) return truncated(ctx, t, count);
        const a = actions[f]!;
        if (a !== 0) field(a, dv, p, len);
        p += len;
      }
    }
    count++;
    if (t.options) keepOptions(ctx);
    else emit(ctx, dv, t);
  }
  return count;
}

function truncated(ctx: PacketContext, t: Template, count: number): number {
  fail(ctx, 'truncated-record', `a record of template ${t.id} runs past the end of its set`, t.id);
  return count;
}
