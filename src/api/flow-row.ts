/**
 * @module The flow explorer's row: a stored flow's fields under the short
 * names the explorer shows, with the protocol and the TCP flags as text.
 * The API answers with it and the dashboard imports its type
 * (`web/src/api.ts`), so both follow the record, and through it the column
 * list in `flow/schema.ts`.
 */

import { flagsText, protocolName } from '../flow/names.js';
import type { FlowRecord } from '../flow/record.js';

/** Each field of a row, in the answer's order: a record field as it is, or text made from the record. */
const FIELDS = {
  start: 'flowStartMilliseconds',
  end: 'flowEndMilliseconds',
  src: 'sourceIPAddress',
  dst: 'destinationIPAddress',
  sport: 'sourceTransportPort',
  dport: 'destinationTransportPort',
  proto: (f: FlowRecord) => protocolName(f.protocolIdentifier),
  flags: (f: FlowRecord) => flagsText(f.tcpControlBits),
  packets: 'packetDeltaCount',
  bytes: 'octetDeltaCount',
  exporter: 'exporterIPAddress',
} as const satisfies Record<string, keyof FlowRecord | ((f: FlowRecord) => string)>;

type Fields = typeof FIELDS;

export type FlowRow = {
  -readonly [K in keyof Fields]: Fields[K] extends keyof FlowRecord
    ? FlowRecord[Fields[K]]
    : Fields[K] extends (f: FlowRecord) => infer R
      ? R
      : never;
};

export function flowRow(f: FlowRecord): FlowRow {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(FIELDS)) out[k] = typeof v === 'function' ? v(f) : f[v];
  return out as FlowRow;
}
