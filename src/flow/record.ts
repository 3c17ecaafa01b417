/**
 * @module The canonical flow record, keyed by IPFIX information-element names.
 *
 * This is the object form used in JSON output, JSON-lines import and tests.
 * Hot paths (decoders, the collector, the store writer) use the columnar
 * {@link FlowBatch} instead and never build one object per flow. Both the
 * type and its defaults follow the one column list in `schema.ts`.
 */

import { COLUMNS, type FlowColumn, type RecordValue } from './schema.js';

/** One field per column, named by its information element (addresses as IPv4 dotted quad or RFC 5952 IPv6 text). */
export type FlowRecord = { -readonly [C in FlowColumn as C['ie']]: RecordValue<C['kind']> };

const EMPTY: Readonly<Record<string, unknown>> = Object.fromEntries(
  COLUMNS.map((c) => [c.ie, c.kind === 'addr' ? '0.0.0.0' : c.kind === 'str' ? null : (c.empty ?? 0)]),
);

/** Defaults for the fields an input may leave out: zeros, `0.0.0.0`, no label, sampling 1. */
export function emptyRecord(): FlowRecord {
  return { ...EMPTY } as FlowRecord;
}
