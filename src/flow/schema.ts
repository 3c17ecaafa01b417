/**
 * @module The one column list of a flow.
 *
 * Every other description of a flow is derived from {@link FLOW_COLUMNS}:
 * the columnar {@link FlowBatch} (its typed arrays, growing, copying,
 * slicing), the {@link FlowRecord} type and its defaults, the Parquet/DuckDB
 * schema and chunk writers, the ClickHouse DDL and Native encoder, the JSON
 * names (IPFIX information elements) and the JSON-lines import. Adding a
 * field means adding one entry here, and filling it where an input carries it
 * (a decoder, an importer). `flow/schema.test.ts` covers a new field as it
 * is; the store contract (`testing/store.case.ts`) fails until its sample
 * flows give the field a value, and then holds both engines to it.
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
  /** Name of the column's array in a {@link FlowBatch}. */
  readonly field: string;
  /** Name in the record and in JSON: the IPFIX information element where one exists. */
  readonly ie: string;
  readonly kind: ColumnKind;
  /** IPFIX information element id (RFC 7012 / IANA registry), when the field is one. */
  readonly ieId?: number;
  /** The value of a flow whose input leaves the field out, when not the kind's zero (0, `0.0.0.0`, null). */
  readonly empty?: number;
  readonly doc: string;
}

export const FLOW_COLUMNS = [
  {
    col: 'ts',
    field: 'ts',
    ie: 'flowStartMilliseconds',
    kind: 'ms',
    ieId: 152,
    doc: 'first packet of the flow',
  },
  {
    col: 'te',
    field: 'te',
    ie: 'flowEndMilliseconds',
    kind: 'ms',
    ieId: 153,
    doc: 'last packet of the flow; a flow belongs to the window and day in which it ended',
  },
  {
    col: 'src',
    field: 'src',
    ie: 'sourceIPAddress',
    kind: 'addr',
    doc: 'sourceIPv4Address (8) or sourceIPv6Address (27), folded',
  },
  {
    col: 'dst',
    field: 'dst',
    ie: 'destinationIPAddress',
    kind: 'addr',
    doc: 'destinationIPv4Address (12) or destinationIPv6Address (28), folded',
  },
  { col: 'sport', field: 'sport', ie: 'sourceTransportPort', kind: 'u16', ieId: 7, doc: 'source port' },
  {
    col: 'dport',
    field: 'dport',
    ie: 'destinationTransportPort',
    kind: 'u16',
    ieId: 11,
    doc: 'destination port',
  },
  { col: 'proto', field: 'proto', ie: 'protocolIdentifier', kind: 'u8', ieId: 4, doc: 'IP protocol number' },
  {
    col: 'flags',
    field: 'flags',
    ie: 'tcpControlBits',
    kind: 'u16',
    ieId: 6,
    doc: 'OR of the TCP flags seen',
  },
  {
    col: 'packets',
    field: 'packets',
    ie: 'packetDeltaCount',
    kind: 'u64',
    ieId: 2,
    doc: 'packets, scaled by the sampling interval',
  },
  {
    col: 'bytes',
    field: 'bytes',
    ie: 'octetDeltaCount',
    kind: 'u64',
    ieId: 1,
    doc: 'octets (IP header included), scaled by the sampling interval',
  },
  {
    col: 'in_if',
    field: 'inIf',
    ie: 'ingressInterface',
    kind: 'u32',
    ieId: 10,
    doc: 'input interface index',
  },
  {
    col: 'out_if',
    field: 'outIf',
    ie: 'egressInterface',
    kind: 'u32',
    ieId: 14,
    doc: 'output interface index',
  },
  { col: 'tos', field: 'tos', ie: 'ipClassOfService', kind: 'u8', ieId: 5, doc: 'IP ToS / traffic class' },
  { col: 'src_as', field: 'srcAs', ie: 'bgpSourceAsNumber', kind: 'u32', ieId: 16, doc: 'source AS' },
  {
    col: 'dst_as',
    field: 'dstAs',
    ie: 'bgpDestinationAsNumber',
    kind: 'u32',
    ieId: 17,
    doc: 'destination AS',
  },
  {
    col: 'nexthop',
    field: 'nexthop',
    ie: 'ipNextHopAddress',
    kind: 'addr',
    doc: 'ipNextHopIPv4Address (15) or ipNextHopIPv6Address (62), folded',
  },
  { col: 'dir', field: 'dir', ie: 'flowDirection', kind: 'u8', ieId: 61, doc: '0 ingress, 1 egress' },
  {
    col: 'exporter',
    field: 'exporter',
    ie: 'exporterIPAddress',
    kind: 'addr',
    doc: 'the device that exported the flow (exporterIPv4Address (130) / exporterIPv6Address (131))',
  },
  {
    col: 'sampling',
    field: 'sampling',
    ie: 'samplingInterval',
    kind: 'u32',
    ieId: 34,
    empty: 1,
    doc: 'one of N packets sampled; 1 = unsampled. Counters are already multiplied by it',
  },
  {
    col: 'label',
    field: 'label',
    ie: 'label',
    kind: 'str',
    doc: 'a ground-truth or import label (e.g. CTU-13 Label), if any',
  },
] as const satisfies readonly ColumnDef[];

export type FlowColumn = (typeof FLOW_COLUMNS)[number];
export type FlowIE = FlowColumn['ie'];
/** The name of a column's array in a batch. */
export type FlowField = FlowColumn['field'];
/** The batch fields of one kind of column (e.g. `FieldOfKind<'addr'>`: `src`, `dst`, …). */
export type FieldOfKind<K extends ColumnKind> = Extract<FlowColumn, { kind: K }>['field'];

/** A field's value in a record: a number, an address as text, or optional text. */
export type RecordValue<K extends ColumnKind> = K extends 'addr'
  ? string
  : K extends 'str'
    ? string | null
    : number;

/** The columns as a list of the general shape (for loops that do not need the literal types). */
export const COLUMNS: readonly ColumnDef[] = FLOW_COLUMNS;

/** Storage column names, with `addr` columns expanded into their two halves. */
export function storageColumns(): { name: string; def: ColumnDef; half?: 'hi' | 'lo' }[] {
  const out: { name: string; def: ColumnDef; half?: 'hi' | 'lo' }[] = [];
  for (const def of COLUMNS) {
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
