/**
 * @module The one column list of a flow.
 *
 * Every other description of a flow — the Parquet/DuckDB schema, the
 * ClickHouse DDL, the JSON names (IPFIX information elements), the columnar
 * batch and the import mappings — is derived from {@link FLOW_COLUMNS}.
 * Adding a field means adding one line here.
 */

/**
 * How a field is held:
 * - `ms`: milliseconds since the Unix epoch (stored as a signed 64-bit integer);
 * - `addr`: an IPv4 or IPv6 address, held as 128 bits (IPv4 as `::ffff:a.b.c.d`)
 *   and stored as two unsigned 64-bit halves `<col>_hi`, `<col>_lo` so that both
 *   engines group and range-compare it as plain integers (a CIDR is a range);
 * - `u8`..`u64`: unsigned integers (`u64` counters are exact up to 2^53 in JS);
 * - `str`: optional text.
 */
export type ColumnKind = 'ms' | 'addr' | 'u8' | 'u16' | 'u32' | 'u64' | 'str';

export interface ColumnDef {
  /** Storage column name (SQL). For `addr`, the prefix of `_hi` / `_lo`. */
  readonly col: string;
  /** Name in the record and in JSON: the IPFIX information element where one exists. */
  readonly ie: string;
  readonly kind: ColumnKind;
  /** IPFIX information element id (RFC 7012 / IANA registry), when the field is one. */
  readonly ieId?: number;
  readonly doc: string;
}

export const FLOW_COLUMNS = [
  { col: 'ts', ie: 'flowStartMilliseconds', kind: 'ms', ieId: 152, doc: 'first packet of the flow' },
  {
    col: 'te',
    ie: 'flowEndMilliseconds',
    kind: 'ms',
    ieId: 153,
    doc: 'last packet of the flow; a flow belongs to the window and day in which it ended',
  },
  {
    col: 'src',
    ie: 'sourceIPAddress',
    kind: 'addr',
    doc: 'sourceIPv4Address (8) or sourceIPv6Address (27), folded',
  },
  {
    col: 'dst',
    ie: 'destinationIPAddress',
    kind: 'addr',
    doc: 'destinationIPv4Address (12) or destinationIPv6Address (28), folded',
  },
  { col: 'sport', ie: 'sourceTransportPort', kind: 'u16', ieId: 7, doc: 'source port' },
  { col: 'dport', ie: 'destinationTransportPort', kind: 'u16', ieId: 11, doc: 'destination port' },
  { col: 'proto', ie: 'protocolIdentifier', kind: 'u8', ieId: 4, doc: 'IP protocol number' },
  { col: 'flags', ie: 'tcpControlBits', kind: 'u16', ieId: 6, doc: 'OR of the TCP flags seen' },
  {
    col: 'packets',
    ie: 'packetDeltaCount',
    kind: 'u64',
    ieId: 2,
    doc: 'packets, scaled by the sampling interval',
  },
  {
    col: 'bytes',
    ie: 'octetDeltaCount',
    kind: 'u64',
    ieId: 1,
    doc: 'octets (IP header included), scaled by the sampling interval',
  },
  { col: 'in_if', ie: 'ingressInterface', kind: 'u32', ieId: 10, doc: 'input interface index' },
  { col: 'out_if', ie: 'egressInterface', kind: 'u32', ieId: 14, doc: 'output interface index' },
  { col: 'tos', ie: 'ipClassOfService', kind: 'u8', ieId: 5, doc: 'IP ToS / traffic class' },
  { col: 'src_as', ie: 'bgpSourceAsNumber', kind: 'u32', ieId: 16, doc: 'source AS' },
  { col: 'dst_as', ie: 'bgpDestinationAsNumber', kind: 'u32', ieId: 17, doc: 'destination AS' },
  {
    col: 'nexthop',
    ie: 'ipNextHopAddress',
    kind: 'addr',
    doc: 'ipNextHopIPv4Address (15) or ipNextHopIPv6Address (62), folded',
  },
  { col: 'dir', ie: 'flowDirection', kind: 'u8', ieId: 61, doc: '0 ingress, 1 egress' },
  {
    col: 'exporter',
    ie: 'exporterIPAddress',
    kind: 'addr',
    doc: 'the device that exported the flow (exporterIPv4Address (130) / exporterIPv6Address (131))',
  },
  {
    col: 'sampling',
    ie: 'samplingInterval',
    kind: 'u32',
    ieId: 34,
    doc: 'one of N packets sampled; 1 = unsampled. Counters are already multiplied by it',
  },
  {
    col: 'label',
    ie: 'label',
    kind: 'str',
    doc: 'a ground-truth or import label (e.g. CTU-13 Label), if any',
  },
] as const satisfies readonly ColumnDef[];

export type FlowColumn = (typeof FLOW_COLUMNS)[number];
export type FlowIE = FlowColumn['ie'];

/** Storage column names, with `addr` columns expanded into their two halves. */
export function storageColumns(): { name: string; def: ColumnDef; half?: 'hi' | 'lo' }[] {
  const out: { name: string; def: ColumnDef; half?: 'hi' | 'lo' }[] = [];
  for (const def of FLOW_COLUMNS as readonly ColumnDef[]) {
    if (def.kind === 'addr') {
      out.push({ name: `${def.col}_hi`, def, half: 'hi' });
      out.push({ name: `${def.col}_lo`, def, half: 'lo' });
    } else {
      out.push({ name: def.col, def });
    }
  }
  return out;
}

/** SQL type of a storage column, per engine. */
export function sqlType(kind: ColumnKind, engine: 'duckdb' | 'clickhouse'): string {
  const duck: Record<ColumnKind, string> = {
    ms: 'BIGINT',
    addr: 'UBIGINT',
    u8: 'UTINYINT',
    u16: 'USMALLINT',
    u32: 'UINTEGER',
    u64: 'UBIGINT',
    str: 'VARCHAR',
  };
  const ch: Record<ColumnKind, string> = {
    ms: 'Int64',
    addr: 'UInt64',
    u8: 'UInt8',
    u16: 'UInt16',
    u32: 'UInt32',
    u64: 'UInt64',
    str: 'String',
  };
  return engine === 'duckdb' ? duck[kind] : ch[kind];
}
