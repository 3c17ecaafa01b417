/**
 * @module ICMP and ICMPv6 in flow records. Flows have no ICMP fields, so
 * every decoder follows NetFlow's convention: the destination port holds
 * type × 256 + code and the source port is 0 (IPFIX icmpTypeCodeIPv4/IPv6,
 * NetFlow v5/v9, sFlow and frame-section headers all end up this way). This
 * module reads that port back as a type, a code and a name for people.
 */

/** IP protocol numbers of ICMP (IPv4) and ICMPv6. */
export const PROTO_ICMP = 1;
export const PROTO_ICMPV6 = 58;

export function isIcmp(proto: number): boolean {
  return proto === PROTO_ICMP || proto === PROTO_ICMPV6;
}

/** The port an ICMP message of `type` and `code` is stored under. */
export function icmpPort(type: number, code: number): number {
  return ((type & 0xff) << 8) | (code & 0xff);
}

export function icmpType(port: number): number {
  return (port >>> 8) & 0xff;
}

export function icmpCode(port: number): number {
  return port & 0xff;
}

/** A type's name and, where they matter, its codes' names. */
type Named = readonly [name: string, codes?: readonly string[]];

/** ICMP (RFC 792, IANA registry) type names, with code names where they matter. */
const V4: Record<number, Named> = {
  0: ['echo-reply'],
  3: [
    'dest-unreachable',
    [
      'net',
      'host',
      'protocol',
      'port',
      'frag-needed',
      'source-route-failed',
      'net-unknown',
      'host-unknown',
      'source-isolated',
      'net-prohibited',
      'host-prohibited',
      'net-tos',
      'host-tos',
      'admin-prohibited',
      'host-precedence',
      'precedence-cutoff',
    ],
  ],
  4: ['source-quench'],
  5: ['redirect', ['net', 'host', 'tos-net', 'tos-host']],
  8: ['echo-request'],
  9: ['router-advertisement'],
  10: ['router-solicitation'],
  11: ['time-exceeded', ['ttl', 'reassembly']],
  12: ['parameter-problem', ['pointer', 'missing-option', 'bad-length']],
  13: ['timestamp-request'],
  14: ['timestamp-reply'],
  15: ['info-request'],
  16: ['info-reply'],
  17: ['mask-request'],
  18: ['mask-reply'],
  42: ['extended-echo-request'],
  43: ['extended-echo-reply'],
};

/** ICMPv6 (RFC 4443, 4861) type names. */
const V6: Record<number, Named> = {
  1: [
    'dest-unreachable',
    ['no-route', 'admin-prohibited', 'beyond-scope', 'address', 'port', 'policy-failed', 'reject-route'],
  ],
  2: ['packet-too-big'],
  3: ['time-exceeded', ['hop-limit', 'reassembly']],
  4: ['parameter-problem', ['header-field', 'next-header', 'option']],
  128: ['echo-request'],
  129: ['echo-reply'],
  130: ['mld-query'],
  131: ['mld-report'],
  132: ['mld-done'],
  133: ['router-solicitation'],
  134: ['router-advertisement'],
  135: ['neighbor-solicitation'],
  136: ['neighbor-advertisement'],
  137: ['redirect'],
  143: ['mld2-report'],
};

/**
 * A person's name for the ICMP message stored as `port`: "echo-request",
 * "dest-unreachable/port", or "type-T/code-C" when the registry has no name.
 * ICMPv6 numbers differ from ICMP's: pass the protocol (default ICMP).
 */
export function icmpName(port: number, proto: number = PROTO_ICMP): string {
  const type = icmpType(port);
  const code = icmpCode(port);
  const entry = (proto === PROTO_ICMPV6 ? V6 : V4)[type];
  if (!entry) return `type-${type}/code-${code}`;
  const [name, codes] = entry;
  if (codes) return `${name}/${codes[code] ?? `code-${code}`}`;
  return code === 0 ? name : `${name}/code-${code}`;
}
