/** @module Names of IP protocols, TCP flags and well-known ports, for people. */

const PROTOCOLS: Record<number, string> = {
  1: 'ICMP',
  2: 'IGMP',
  4: 'IPIP',
  6: 'TCP',
  17: 'UDP',
  41: 'IPv6',
  47: 'GRE',
  50: 'ESP',
  51: 'AH',
  58: 'ICMPv6',
  89: 'OSPF',
  103: 'PIM',
  112: 'VRRP',
  132: 'SCTP',
};

const PROTOCOL_NUMBERS: Record<string, number> = Object.fromEntries(
  Object.entries(PROTOCOLS).map(([n, name]) => [name.toLowerCase(), Number(n)]),
);

export function protocolName(p: number): string {
  return PROTOCOLS[p] ?? String(p);
}

/** `tcp`, `UDP`, `icmp6`/`ipv6-icmp` or a number 0..255. */
export function protocolNumber(name: string): number | undefined {
  const n = name.toLowerCase();
  if (/^\d+$/.test(n)) {
    const v = Number(n);
    return v <= 255 ? v : undefined;
  }
  if (n === 'icmp6' || n === 'ipv6-icmp') return 58;
  return PROTOCOL_NUMBERS[n];
}

/** TCP flag bits in nfdump's letter order (RFC 9293 + ECN bits). */
export const TCP_FLAGS: readonly (readonly [string, number])[] = [
  ['C', 0x80],
  ['E', 0x40],
  ['U', 0x20],
  ['A', 0x10],
  ['P', 0x08],
  ['R', 0x04],
  ['S', 0x02],
  ['F', 0x01],
];

/** nfdump-style flags text, e.g. `...A..S.` for SYN+ACK. */
export function flagsText(f: number): string {
  return TCP_FLAGS.map(([c, bit]) => (f & bit ? c : '.')).join('');
}

/** Flag letters (`S`, `SA`, `FPA`...) to bits; undefined on an unknown letter. */
export function parseFlags(letters: string): number | undefined {
  let v = 0;
  for (const ch of letters.toUpperCase()) {
    if (ch === 'X') {
      v |= 0x3f;
      continue;
    }
    const f = TCP_FLAGS.find(([c]) => c === ch);
    if (!f) return undefined;
    v |= f[1];
  }
  return v;
}

const PORTS: Record<number, string> = {
  20: 'FTP-DATA',
  21: 'FTP',
  22: 'SSH',
  23: 'Telnet',
  25: 'SMTP',
  53: 'DNS',
  67: 'DHCP',
  69: 'TFTP',
  80: 'HTTP',
  110: 'POP3',
  111: 'RPC',
  123: 'NTP',
  135: 'MSRPC',
  137: 'NetBIOS-NS',
  139: 'NetBIOS',
  143: 'IMAP',
  161: 'SNMP',
  389: 'LDAP',
  443: 'HTTPS',
  445: 'SMB',
  465: 'SMTPS',
  500: 'IKE',
  587: 'Submission',
  993: 'IMAPS',
  995: 'POP3S',
  1080: 'SOCKS',
  1433: 'MSSQL',
  1434: 'MSSQL-Mon',
  1521: 'Oracle',
  1900: 'SSDP',
  2323: 'Telnet-alt',
  2375: 'Docker',
  2376: 'Docker-TLS',
  3306: 'MySQL',
  3389: 'RDP',
  3478: 'STUN',
  5060: 'SIP',
  5432: 'PostgreSQL',
  5900: 'VNC',
  6379: 'Redis',
  8080: 'HTTP-alt',
  8443: 'HTTPS-alt',
  9200: 'Elasticsearch',
  11211: 'memcached',
  19: 'CHARGEN',
  27017: 'MongoDB',
};

export function portName(port: number): string | undefined {
  return PORTS[port];
}

/** `SSH-22`, or just `40000` for a port with no well-known name. */
export function portLabel(port: number): string {
  const n = PORTS[port];
  return n ? `${n}-${port}` : String(port);
}

/**
 * UDP source ports whose responses are much larger than their requests, the
 * ports reflection/amplification attacks come from (US-CERT TA14-017A list).
 */
export const AMPLIFICATION_PORTS: ReadonlySet<number> = new Set([
  19, 53, 69, 111, 123, 137, 161, 389, 1900, 3478, 3702, 5353, 11211, 17185, 27015,
]);

/** Ephemeral/client source ports start here (IANA 49152, Linux 32768; old BSD 1024). */
export const EPHEMERAL_PORT_MIN = 1024;
