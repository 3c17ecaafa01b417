/**
 * @module The names of the import formats, in sniffing order, without their
 * readers: `flowhunt --help` and `import --help` list them without loading
 * every reader (and the decoders behind pcap). `format.ts` builds its list of
 * readers from these names, so a name without a reader does not compile.
 */

export const FORMAT_NAMES = ['pcap', 'nfcapd', 'ipfix', 'nfdump-csv', 'binetflow', 'zeek', 'jsonl'] as const;
export type FormatName = (typeof FORMAT_NAMES)[number];
