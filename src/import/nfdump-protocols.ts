/**
 * @module IP protocol names as nfdump prints them in `-o csv` (nfdump 1.6
 * and 1.7). Recorded from nfdump 1.7.1's output for flows of every protocol
 * number; 138 and above print as numbers. nfdump prints `IDPR` for both 35
 * and 38, so a name maps to its first number.
 */

// biome-ignore format: a table, kept compact
const NAMES: readonly string[] = [
  '0', 'ICMP', 'IGMP', 'GGP', 'IPIP', 'ST', 'TCP', 'CBT', 'EGP', 'IGP', 'BBN', 'NVPII', 'PUP',
  'ARGUS', 'ENCOM', 'XNET', 'CHAOS', 'UDP', 'MUX', 'DCN', 'HMP', 'PRM', 'XNS', 'Trnk1', 'Trnk2',
  'Leaf1', 'Leaf2', 'RDP', 'IRTP', 'ISO-4', 'NETBK', 'MFESP', 'MEINP', 'DCCP', '3PC', 'IDPR',
  'XTP', 'DDP', 'IDPR', 'TP++', 'IL', 'IPv6', 'SDRP', 'Rte6', 'Frag6', 'IDRP', 'RSVP', 'GRE',
  'MHRP', 'BNA', 'ESP', 'AH', 'INLSP', 'SWIPE', 'NARP', 'MOBIL', 'TLSP', 'SKIP', 'ICMP6', 'NOHE6',
  'OPTS6', 'HOST', 'CFTP', 'NET', 'SATNT', 'KLAN', 'RVD', 'IPPC', 'FS', 'SATM', 'VISA', 'IPCV',
  'CPNX', 'CPHB', 'WSN', 'PVP', 'BSATM', 'SUNND', 'WBMON', 'WBEXP', 'ISOIP', 'VMTP', 'SVMTP',
  'VINES', 'TTP', 'NSIGP', 'DGP', 'TCF', 'EIGRP', 'OSPF', 'S-RPC', 'LARP', 'MTP', 'AX.25', 'OS',
  'MICP', 'SCCSP', 'ETHIP', 'ENCAP', '99', 'GMTP', 'IFMP', 'PNNI', 'PIM', 'ARIS', 'SCPS', 'QNX',
  'A/N', 'IPcmp', 'SNP', 'CpqPP', 'IPXIP', 'VRRP', 'PGM', '0hop', 'L2TP', 'DDX', 'IATP', 'STP',
  'SRP', 'UTI', 'SMP', 'SM', 'PTP', 'ISIS4', 'FIRE', 'CRTP', 'CRUDP', '128', 'IPLT', 'SPS', 'PIPE',
  'SCTP', 'FC', '134', 'MHEAD', 'UDP-L', 'MPLS',
];

const BY_NAME = new Map<string, number>();
NAMES.forEach((n, i) => {
  const k = n.toLowerCase();
  if (!BY_NAME.has(k)) BY_NAME.set(k, i);
});

/** The protocol number of an nfdump protocol name (any case), if it is one. */
export function nfdumpProtocol(name: string): number | undefined {
  return BY_NAME.get(name.toLowerCase());
}
