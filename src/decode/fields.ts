/**
 * @module The information elements the flow record needs, and templates
 * compiled for decoding.
 *
 * NetFlow v9 field types 1–127 are the IPFIX information elements of the same
 * number (RFC 3954 §8, RFC 7012), so one table serves both. Every element not
 * listed is skipped by its length; enterprise-specific elements (RFC 7011
 * §3.2, enterprise bit set) are always skipped, whatever their number.
 */

/** What the decoder does with a field; 0 = skip it. */
export const F = {
  SKIP: 0,
  OCTETS: 1,
  PACKETS: 2,
  PROTO: 3,
  TOS: 4,
  FLAGS: 5,
  SPORT: 6,
  SRC4: 7,
  IN_IF: 8,
  DPORT: 9,
  DST4: 10,
  OUT_IF: 11,
  NH4: 12,
  SRC_AS: 13,
  DST_AS: 14,
  END_UPTIME: 15,
  START_UPTIME: 16,
  OCTETS_POST: 17,
  PACKETS_POST: 18,
  SRC6: 19,
  DST6: 20,
  SAMPLING_INTERVAL: 21,
  SAMPLER_ID: 22,
  SAMPLER_RANDOM_INTERVAL: 23,
  DIR: 24,
  NH6: 25,
  OCTETS_TOTAL: 26,
  PACKETS_TOTAL: 27,
  START_S: 28,
  END_S: 29,
  START_MS: 30,
  END_MS: 31,
  START_US: 32,
  END_US: 33,
  START_NS: 34,
  END_NS: 35,
  START_DELTA_US: 36,
  END_DELTA_US: 37,
  SYS_INIT_MS: 38,
  DURATION_MS: 39,
  DURATION_US: 40,
  SAMPLING_PACKET_INTERVAL: 41,
  SAMPLING_PACKET_SPACE: 42,
  SAMPLING_SIZE: 43,
  SAMPLING_POPULATION: 44,
  SAMPLING_PROBABILITY: 45,
  ICMP_TC4: 46,
  ICMP_TC6: 47,
  ICMP_T4: 48,
  ICMP_C4: 49,
  ICMP_T6: 50,
  ICMP_C6: 51,
  /** A captured frame section starting at the data link (Ethernet) header. */
  SECTION_L2: 52,
  /** A captured section starting at the IP header. */
  SECTION_IP: 53,
  /** The packet after an MPLS label stack (starts at the IP header). */
  SECTION_MPLS_PAYLOAD: 54,
  IP_TOTAL_LENGTH: 55,
  OBS_S: 56,
  OBS_MS: 57,
  OBS_US: 58,
  OBS_NS: 59,
} as const;

/** Information element id → action, for the elements of IANA's registry (enterprise 0). */
const IE_ACTIONS: readonly (readonly [number, number])[] = [
  [1, F.OCTETS], // octetDeltaCount (v9 IN_BYTES)
  [2, F.PACKETS], // packetDeltaCount (v9 IN_PKTS)
  [4, F.PROTO],
  [5, F.TOS],
  [6, F.FLAGS],
  [7, F.SPORT],
  [8, F.SRC4],
  [10, F.IN_IF],
  [11, F.DPORT],
  [12, F.DST4],
  [14, F.OUT_IF],
  [15, F.NH4],
  [16, F.SRC_AS],
  [17, F.DST_AS],
  [21, F.END_UPTIME], // flowEndSysUpTime (v9 LAST_SWITCHED)
  [22, F.START_UPTIME], // flowStartSysUpTime (v9 FIRST_SWITCHED)
  [23, F.OCTETS_POST], // postOctetDeltaCount (v9 OUT_BYTES)
  [24, F.PACKETS_POST], // postPacketDeltaCount (v9 OUT_PKTS)
  [27, F.SRC6],
  [28, F.DST6],
  [32, F.ICMP_TC4], // icmpTypeCodeIPv4 (v9 ICMP_TYPE): type*256 + code
  [34, F.SAMPLING_INTERVAL],
  [48, F.SAMPLER_ID], // samplerId (v9 FLOW_SAMPLER_ID)
  [50, F.SAMPLER_RANDOM_INTERVAL], // samplerRandomInterval (v9 FLOW_SAMPLER_RANDOM_INTERVAL)
  [61, F.DIR],
  [62, F.NH6],
  [104, F.SECTION_L2], // layer2packetSectionData (v9, Cisco datalink export)
  [139, F.ICMP_TC6], // icmpTypeCodeIPv6
  [85, F.OCTETS_TOTAL], // octetTotalCount: devices such as the Cisco ASA send it instead of deltas
  [86, F.PACKETS_TOTAL],
  [150, F.START_S],
  [151, F.END_S],
  [152, F.START_MS],
  [153, F.END_MS],
  [154, F.START_US], // dateTimeMicroseconds: NTP format (RFC 7011 §6.1.9)
  [155, F.END_US],
  [156, F.START_NS],
  [157, F.END_NS],
  [158, F.START_DELTA_US], // microseconds before the export time
  [159, F.END_DELTA_US],
  [160, F.SYS_INIT_MS], // systemInitTimeMilliseconds: the base of the *SysUpTime elements
  [161, F.DURATION_MS],
  [162, F.DURATION_US],
  [176, F.ICMP_T4], // icmpTypeIPv4 (Cisco ASA sends these four)
  [177, F.ICMP_C4],
  [178, F.ICMP_T6],
  [179, F.ICMP_C6],
  [224, F.IP_TOTAL_LENGTH], // ipTotalLength: the octets of a PSAMP packet record
  [302, F.SAMPLER_ID], // selectorId (PSAMP, RFC 5477) plays the sampler id's role
  [305, F.SAMPLING_PACKET_INTERVAL],
  [306, F.SAMPLING_PACKET_SPACE],
  [309, F.SAMPLING_SIZE],
  [310, F.SAMPLING_POPULATION],
  [311, F.SAMPLING_PROBABILITY], // float64 (or float32): 1 in 1/p
  [313, F.SECTION_IP], // ipHeaderPacketSection
  [315, F.SECTION_L2], // dataLinkFrameSection (Juniper, Cisco datalink export, SRv6)
  [317, F.SECTION_MPLS_PAYLOAD], // mplsPayloadPacketSection
  [322, F.OBS_S], // observationTimeSeconds: when a PSAMP packet was seen
  [323, F.OBS_MS],
  [324, F.OBS_US],
  [325, F.OBS_NS],
];

const ACTION = new Uint8Array(65536);
for (const [ie, a] of IE_ACTIONS) ACTION[ie] = a;

/** Variable length marker (RFC 7011 §7). */
export const VARLEN = 65535;

export interface FieldSpec {
  /** Information element id (without the enterprise bit) or v9 field type. */
  readonly ie: number;
  /** Private enterprise number; 0 for IANA elements. */
  readonly pen: number;
  /** Field length, or {@link VARLEN}. */
  readonly len: number;
}

export interface Template {
  readonly id: number;
  /** An options template: its data records describe the exporter, not flows. */
  readonly options: boolean;
  readonly fields: readonly FieldSpec[];
  /** Action per field ({@link F}). */
  readonly actions: Uint8Array;
  /** Length per field ({@link VARLEN} when variable). */
  readonly lens: Uint16Array;
  /** Record length when no field is variable, else -1. */
  readonly fixedLen: number;
  /** The shortest a record can be (a variable field takes at least one byte). */
  readonly minLen: number;
  /** What the template costs the cache, in bytes. */
  readonly cost: number;
  /** The raw definition, to tell a refresh from a change. */
  readonly signature: string;
  /**
   * A data template whose records cannot be flows: none of its fields is an
   * address (IPv4 of 4 bytes, IPv6 of 16) or a byte/packet counter, or its
   * records are shorter than {@link MIN_FLOW_RECORD} bytes and hold no
   * captured header (no exporter sends such records; a flood of them is junk). Its records are dropped and
   * counted (`junk-records`, dropped reason `not-flows`), not stored.
   */
  readonly junk: boolean;
}

/** The shortest record that can name a host: one IPv4 address. Real exporters send 20 bytes or more. */
export const MIN_FLOW_RECORD = 4;

const SECTIONS: ReadonlySet<number> = new Set([F.SECTION_L2, F.SECTION_IP, F.SECTION_MPLS_PAYLOAD]);

/** Counters, and captured headers (each record of those is a sampled packet that names its hosts). */
const COUNTERS: ReadonlySet<number> = new Set([
  F.SECTION_L2,
  F.SECTION_IP,
  F.SECTION_MPLS_PAYLOAD,
  F.OCTETS,
  F.PACKETS,
  F.OCTETS_TOTAL,
  F.PACKETS_TOTAL,
  F.OCTETS_POST,
  F.PACKETS_POST,
]);

function carriesFlow(action: number, len: number): boolean {
  if (COUNTERS.has(action)) return true;
  return (
    ((action === F.SRC4 || action === F.DST4) && len === 4) ||
    ((action === F.SRC6 || action === F.DST6) && len === 16)
  );
}

/**
 * Compiles a template. `scopeCount` fields at the start of a NetFlow v9
 * options template are scope types (system, interface, ...), not elements,
 * and are skipped (`v9Scopes`); IPFIX scopes are ordinary elements.
 */
export function compileTemplate(
  id: number,
  fields: readonly FieldSpec[],
  options: boolean,
  v9Scopes = 0,
): Template {
  const n = fields.length;
  const actions = new Uint8Array(n);
  const lens = new Uint16Array(n);
  let fixed = 0;
  let min = 0;
  let variable = false;
  let carries = false;
  let section = false;
  const sig: number[] = [options ? 1 : 0, v9Scopes];
  for (let i = 0; i < n; i++) {
    const f = fields[i]!;
    lens[i] = f.len;
    actions[i] = i < v9Scopes || f.pen !== 0 ? F.SKIP : ACTION[f.ie]!;
    if (carriesFlow(actions[i]!, f.len)) carries = true;
    if (SECTIONS.has(actions[i]!)) section = true;
    if (f.len === VARLEN) {
      variable = true;
      min += 1;
    } else {
      fixed += f.len;
      min += f.len;
    }
    sig.push(f.ie, f.pen, f.len);
  }
  return {
    id,
    options,
    fields,
    actions,
    lens,
    fixedLen: variable ? -1 : fixed,
    minLen: min,
    cost: 128 + n * 48,
    signature: sig.join(','),
    // A record of one variable-length frame section is a sampled packet, however short its minimum.
    junk: !options && (!carries || (min < MIN_FLOW_RECORD && !section)),
  };
}
