/**
 * @module JSON lines: one flow per line, a JSON object keyed by the IPFIX
 * information-element names of {@link FlowRecord} (what `flowhunt --json`
 * prints), so flowhunt's own output reads back.
 *
 * Accepted besides the record's own keys:
 * - addresses by family, as IPFIX has them: `sourceIPv4Address` /
 *   `sourceIPv6Address` for `sourceIPAddress`, and the same for destination,
 *   `ipNextHopIPv4Address`/`...IPv6...` and `exporterIPv4Address`/`...IPv6...`
 *   (folded into one column; given twice, they must agree);
 * - times as epoch ms, as ISO 8601 strings (no zone means UTC), or as
 *   `flowStartSeconds`/`flowEndSeconds` (the ms keys win when both are
 *   given). One of start and end is enough: the other is taken equal;
 * - `protocolIdentifier` as a name (`"TCP"`) and `tcpControlBits` as flag
 *   letters (`"SA"`, `"...A..S."`).
 * Anything left out takes its default from {@link emptyRecord} (a flow
 * needs a time, though); unknown keys are ignored; a value of the wrong type
 * or out of range rejects the line with a message naming the key.
 *
 * Sampling: `samplingInterval` is recorded as given (0 reads as 1), and the
 * counters are taken as already scaled by it, as flowhunt stores them — an
 * importer of raw sampled counts must multiply them first.
 */

import { type AddrWords, parseAddress } from '../flow/address.js';
import type { FlowBatch } from '../flow/batch.js';
import { parseFlags, protocolNumber } from '../flow/names.js';
import { emptyRecord, type FlowRecord } from '../flow/record.js';
import { COLUMNS, type ColumnKind, type FieldOfKind } from '../flow/schema.js';
import type { ImportFormat } from './format.js';
import { type LineOutcome, type LineParser, textFormat } from './text.js';

const MAX: Record<string, number> = {
  u8: 0xff,
  u16: 0xffff,
  u32: 0xffffffff,
  u64: Number.MAX_SAFE_INTEGER,
};

type NumField = Exclude<FieldOfKind<ColumnKind>, AddrField | FieldOfKind<'str'> | FieldOfKind<'ms'>>;
type AddrField = FieldOfKind<'addr'>;

const DEFAULTS: FlowRecord = emptyRecord();
const NUMERIC = COLUMNS.filter((c) => c.kind in MAX).map((c) => ({
  ie: c.ie,
  field: c.field as NumField,
  max: MAX[c.kind]!,
}));
/** Each address column with the keys that may carry it: [key, family]. */
const ADDRESSES = COLUMNS.filter((c) => c.kind === 'addr').map((c) => {
  const stem = c.ie.endsWith('IPAddress')
    ? c.ie.slice(0, -'IPAddress'.length)
    : c.ie.slice(0, -'Address'.length);
  return {
    field: c.field as AddrField,
    fallback: parseAddress(DEFAULTS[c.ie as keyof FlowRecord] as string)!,
    keys: [
      [c.ie, 0],
      [`${stem}IPv4Address`, 4],
      [`${stem}IPv6Address`, 6],
    ] as const,
  };
});

const ISO = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** A time value in ms (`scale` = ms per unit for numbers), or an error message. */
function time(key: string, v: unknown, scale: number): number | string {
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return Math.floor(v * scale);
  if (typeof v === 'string') {
    const m = ISO.exec(v.trim());
    if (m) {
      let t = v.trim().replace(' ', 'T');
      if (!m[1]) t += t.includes('T') ? 'Z' : '';
      const ms = Date.parse(t);
      if (!Number.isNaN(ms) && ms >= 0) return ms;
    }
  }
  return `${key}: expected ${scale === 1 ? 'epoch milliseconds' : 'epoch seconds'} or an ISO 8601 time, got ${JSON.stringify(v)}`;
}

function number(key: string, v: unknown, max: number): number | string {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max) return v;
  if (typeof v === 'string' && key === 'protocolIdentifier') {
    const p = protocolNumber(v.trim());
    if (p !== undefined) return p;
  }
  if (typeof v === 'string' && key === 'tcpControlBits') {
    const f = /^[A-Za-z.]+$/.test(v) ? parseFlags(v.replace(/\./g, '')) : undefined;
    if (f !== undefined) return f;
  }
  return `${key}: expected a whole number from 0 to ${max}, got ${JSON.stringify(v)}`;
}

class JsonlParser implements LineParser {
  line(text: string, _no: number, out: FlowBatch): LineOutcome {
    const t = text.trim();
    if (t === '') return undefined;
    let o: unknown;
    try {
      o = JSON.parse(t);
    } catch (e) {
      return { reject: `invalid JSON: ${(e as Error).message}` };
    }
    if (o === null || typeof o !== 'object' || Array.isArray(o)) return { reject: 'not a JSON object' };
    const r = o as Record<string, unknown>;

    const pick = (msKey: string, sKey: string): number | string | undefined => {
      if (r[msKey] !== undefined) return time(msKey, r[msKey], 1);
      if (r[sKey] !== undefined) return time(sKey, r[sKey], 1000);
      return undefined;
    };
    let start = pick('flowStartMilliseconds', 'flowStartSeconds');
    let end = pick('flowEndMilliseconds', 'flowEndSeconds');
    if (typeof start === 'string') return { reject: start };
    if (typeof end === 'string') return { reject: end };
    if (start === undefined && end === undefined)
      return {
        reject: 'no flow time: flowEndMilliseconds or flowStartMilliseconds (or ...Seconds) is required',
      };
    start ??= end!;
    end ??= start;
    if (end < start) return { reject: 'flowEndMilliseconds is before flowStartMilliseconds' };

    const nums: number[] = [];
    for (const n of NUMERIC) {
      const v = r[n.ie];
      if (v === undefined || v === null) {
        nums.push(DEFAULTS[n.ie as keyof FlowRecord] as number);
        continue;
      }
      const x = number(n.ie, v, n.max);
      if (typeof x === 'string') return { reject: x };
      nums.push(n.field === 'sampling' && x === 0 ? 1 : x);
    }

    const addrs: (AddrWords | undefined)[] = [];
    for (const a of ADDRESSES) {
      let found: AddrWords | undefined;
      let foundKey = '';
      for (const [key, family] of a.keys) {
        const v = r[key];
        if (v === undefined || v === null) continue;
        const w = typeof v === 'string' ? parseAddress(v) : undefined;
        const isV4 = w !== undefined && w[0] === 0 && w[1] === 0 && w[2] === 0xffff;
        if (!w || (family === 4 && !isV4) || (family === 6 && typeof v === 'string' && !v.includes(':')))
          return {
            reject: `${key}: expected an ${family ? `IPv${family} ` : 'IP '}address, got ${JSON.stringify(v)}`,
          };
        if (found?.some((x, i) => x !== w[i])) return { reject: `${foundKey} and ${key} disagree` };
        found = w;
        foundKey = key;
      }
      addrs.push(found);
    }

    const label = r['label'];
    if (label !== undefined && label !== null && typeof label !== 'string')
      return { reject: `label: expected a string, got ${JSON.stringify(label)}` };

    const i = out.add();
    out.ts[i] = start;
    out.te[i] = end;
    NUMERIC.forEach((n, k) => {
      out[n.field][i] = nums[k]!;
    });
    ADDRESSES.forEach((a, k) => {
      out.setAddr(a.field, i, addrs[k] ?? a.fallback);
    });
    if (typeof label === 'string') out.setLabel(i, label);
    return undefined;
  }
}

export const jsonlFormat: ImportFormat = textFormat({
  name: 'jsonl',
  description: 'JSON lines keyed by IPFIX element names (as flowhunt --json prints flows)',
  maxLine: 1024 * 1024,
  sniffLine: (line) => line.trimStart().startsWith('{'),
  parser: () => new JsonlParser(),
});
