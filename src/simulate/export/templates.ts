/**
 * @module The templates the simulator exports with: one for IPv4 flows and
 * one for IPv6 flows, in NetFlow v9 (RFC 3954 field types) and IPFIX
 * (RFC 7011/7012 information elements; the numbers are the same where both
 * define a field). The record writers in `netflow9.ts` and `ipfix.ts` write
 * the fields in exactly this order; a test checks the lengths agree.
 */

export interface Field {
  /** Field type (v9) / information element id (IPFIX). */
  id: number;
  length: number;
  name: string;
}

export interface Template {
  id: number;
  v6: boolean;
  fields: readonly Field[];
  /** Sum of the field lengths: the size of one data record. */
  recordLength: number;
}

export const TEMPLATE_V4 = 256;
export const TEMPLATE_V6 = 257;

function template(id: number, v6: boolean, fields: Field[]): Template {
  return { id, v6, fields, recordLength: fields.reduce((s, f) => s + f.length, 0) };
}

function common(v6: boolean, flagsLength: number): Field[] {
  const a = v6 ? 16 : 4;
  return [
    { id: v6 ? 27 : 8, length: a, name: v6 ? 'sourceIPv6Address' : 'sourceIPv4Address' },
    { id: v6 ? 28 : 12, length: a, name: v6 ? 'destinationIPv6Address' : 'destinationIPv4Address' },
    { id: v6 ? 62 : 15, length: a, name: v6 ? 'ipNextHopIPv6Address' : 'ipNextHopIPv4Address' },
    { id: 7, length: 2, name: 'sourceTransportPort' },
    { id: 11, length: 2, name: 'destinationTransportPort' },
    { id: 4, length: 1, name: 'protocolIdentifier' },
    { id: 6, length: flagsLength, name: 'tcpControlBits' },
    { id: 5, length: 1, name: 'ipClassOfService' },
    { id: 2, length: 8, name: 'packetDeltaCount' },
    { id: 1, length: 8, name: 'octetDeltaCount' },
    { id: 10, length: 4, name: 'ingressInterface' },
    { id: 14, length: 4, name: 'egressInterface' },
    { id: 16, length: 4, name: 'bgpSourceAsNumber' },
    { id: 17, length: 4, name: 'bgpDestinationAsNumber' },
    { id: 61, length: 1, name: 'flowDirection' },
  ];
}

/** NetFlow v9: times as FIRST_SWITCHED / LAST_SWITCHED, milliseconds of sysUptime (RFC 3954 §8). */
export const V9_TEMPLATES: readonly Template[] = [false, true].map((v6) =>
  template(v6 ? TEMPLATE_V6 : TEMPLATE_V4, v6, [
    ...common(v6, 1),
    { id: 22, length: 4, name: 'FIRST_SWITCHED' },
    { id: 21, length: 4, name: 'LAST_SWITCHED' },
  ]),
);

/** IPFIX: absolute times in milliseconds; tcpControlBits at its full 16 bits (RFC 7125). */
export const IPFIX_TEMPLATES: readonly Template[] = [false, true].map((v6) =>
  template(v6 ? TEMPLATE_V6 : TEMPLATE_V4, v6, [
    ...common(v6, 2),
    { id: 152, length: 8, name: 'flowStartMilliseconds' },
    { id: 153, length: 8, name: 'flowEndMilliseconds' },
  ]),
);

/** Bytes of a template set/flowset holding all the templates, header included. */
export function templateSetLength(ts: readonly Template[]): number {
  return 4 + ts.reduce((s, t) => s + 4 + t.fields.length * 4, 0);
}

/** Writes a template set (set id 0 for v9, 2 for IPFIX) at `off`; returns the new offset. */
export function writeTemplateSet(dv: DataView, off: number, setId: number, ts: readonly Template[]): number {
  const start = off;
  dv.setUint16(off, setId);
  off += 4;
  for (const t of ts) {
    dv.setUint16(off, t.id);
    dv.setUint16(off + 2, t.fields.length);
    off += 4;
    for (const f of t.fields) {
      dv.setUint16(off, f.id);
      dv.setUint16(off + 2, f.length);
      off += 4;
    }
  }
  dv.setUint16(start + 2, off - start);
  return off;
}
