/**
 * @module Zeek `conn.log`: the TSV log (`#separator`, `#fields` header) and
 * the JSON one (`LogAscii::use_json=T`, one object per line), including the
 * labelled `conn.log.labeled` files of IoT-23.
 *
 * Columns are found by name (the `#fields` line, or the JSON keys): `ts`,
 * `id.orig_h`, `id.orig_p`, `id.resp_h`, `id.resp_p` and `proto` are needed;
 * `duration`, `conn_state`, `history`, `orig_pkts`, `orig_ip_bytes`,
 * `resp_pkts`, `resp_ip_bytes` (else `orig_bytes`/`resp_bytes`), `ip_proto`
 * (Zeek 7.1+), `label` and `detailed-label` are read when there. JSON keys
 * may also be nested (`"id": {"orig_h": ...}`). A TSV file may hold several
 * logs one after the other, each with its header; a log whose `#path` (JSON:
 * `_path`) is not `conn`, or that has none of the conn-only fields
 * (`conn_state`, `orig_pkts`, ...; a dns or http log has ids too), has its
 * lines rejected rather than read as empty flows.
 *
 * Mapping:
 * - Times: `ts` is epoch seconds (TSV, JSON number) or ISO 8601 with a zone
 *   (`JSON::TS_ISO8601`); either way an instant, so `--tz` does not apply
 *   to Zeek. The end is ts + duration (unset: 0), to the millisecond.
 * - Directions (see `bidir.ts`): one record per direction with packets, the
 *   originator's (`orig_pkts`, `orig_ip_bytes`) and the responder's
 *   (`resp_pkts`, `resp_ip_bytes`, addresses and ports swapped). Bytes are
 *   IP bytes, as NetFlow counts them; a log without `*_ip_bytes` gives the
 *   payload bytes (`orig_bytes`), which undercount by the headers.
 * - Protocol: `tcp` 6, `udp` 17, `icmp` 1 (58 between IPv6 addresses);
 *   `ip_proto`, when present, wins. Zeek puts the ICMP type in `id.orig_p`
 *   and the code in `id.resp_p`: the record gets type·256+code as
 *   destination port, source port 0.
 * - TCP flags, per direction, from `history` (upper case: the originator,
 *   lower case: the responder): S SYN, H SYN+ACK, A ACK, D (data) ACK,
 *   F FIN, R RST; the other letters (C G T W I Q X ^) carry no flag. Without
 *   a history, from `conn_state` ({@link ZEEK_CONN_STATES}): e.g. S0 a SYN
 *   from the originator only, REJ SYN then RST+ACK, SF SYN+ACK+FIN both ways.
 * - Label: `label`, with ` detailed-label` after a slash when set
 *   (`Malicious/PartOfAHorizontalPortScan`). IoT-23 writes the last three
 *   columns separated by runs of spaces instead of tabs; a header that does
 *   so has its lines split the same way.
 * - Unset (`-`) and empty (`(empty)`) values are 0 or absent.
 */

import type { AddrWords } from '../flow/address.js';
import type { FlowBatch } from '../flow/batch.js';
import { addBiFlow } from './bidir.js';
import type { ImportFormat } from './format.js';
import { address, firstLine, type LineOutcome, type LineParser, textFormat, uint } from './text.js';
import { epochMicros } from './times.js';

const SYN = 0x02;
const ACK = 0x10;
const FIN = 0x01;
const RST = 0x04;

/** Zeek's `conn_state`s and the TCP flags each implies: [originator's, responder's]. */
export const ZEEK_CONN_STATES: Readonly<Record<string, readonly [number, number]>> = {
  S0: [SYN, 0], // SYN seen, no reply
  S1: [SYN | ACK, SYN | ACK], // established, not terminated
  SF: [SYN | ACK | FIN, SYN | ACK | FIN], // normal establishment and termination
  REJ: [SYN, RST | ACK], // attempt rejected
  S2: [SYN | ACK | FIN, SYN | ACK], // established, close attempt by the originator only
  S3: [SYN | ACK, SYN | ACK | FIN], // established, close attempt by the responder only
  RSTO: [SYN | ACK | RST, SYN | ACK], // established, the originator aborted
  RSTR: [SYN | ACK, SYN | ACK | RST], // established, the responder aborted
  RSTOS0: [SYN | RST, 0], // the originator sent a SYN then a RST, no SYN-ACK
  RSTRH: [0, SYN | ACK | RST], // the responder sent a SYN-ACK then a RST, no SYN seen
  SH: [SYN | FIN, 0], // the originator sent a SYN then a FIN, no SYN-ACK
  SHR: [0, SYN | ACK | FIN], // the responder sent a SYN-ACK then a FIN, no SYN seen
  OTH: [0, 0], // no SYN seen: midstream traffic
};

const HISTORY_FLAGS: Record<string, number> = { s: SYN, h: SYN | ACK, a: ACK, d: ACK, f: FIN, r: RST };

/** The TCP flags of a Zeek `history`, for the originator and the responder. */
export function historyFlags(history: string): [number, number] {
  let o = 0;
  let r = 0;
  for (const ch of history) {
    const lower = ch.toLowerCase();
    const f = HISTORY_FLAGS[lower];
    if (f === undefined) continue;
    if (ch === lower) r |= f;
    else o |= f;
  }
  return [o, r];
}

const NEEDED = ['ts', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'proto'] as const;
/** Fields only a conn log has: a dns or http log, which has ids too, has none of them. */
const CONN_ONLY = [
  'conn_state',
  'orig_pkts',
  'resp_pkts',
  'orig_ip_bytes',
  'resp_ip_bytes',
  'orig_bytes',
  'resp_bytes',
];
const PROTOCOLS: Record<string, number> = { tcp: 6, udp: 17, icmp: 1 };

/** One record's values by Zeek field name; undefined = unset. */
type Get = (name: string) => string | number | undefined;

const ISO = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})$/;

/** An ISO 8601 time with a zone → micros; NaN otherwise. */
function isoMicros(text: string): number {
  const m = ISO.exec(text);
  if (!m) return Number.NaN;
  const zone = m[3] === 'Z' ? 'Z' : `${m[3]!.slice(0, 3)}:${m[3]!.slice(-2)}`;
  const ms = Date.parse(`${m[1]}${zone}`);
  if (Number.isNaN(ms)) return Number.NaN;
  const [y, mo, d] = m[1]!.slice(0, 10).split('-').map(Number);
  const check = new Date(Date.UTC(y!, mo! - 1, d!));
  if (check.getUTCDate() !== d) return Number.NaN; // 2019-02-30
  return ms * 1000 + Number((m[2] ?? '').padEnd(6, '0').slice(0, 6));
}

function timeMicros(v: string | number): number {
  if (typeof v === 'number')
    return Number.isFinite(v) && v >= 0 && v < 1e11 ? Math.round(v * 1e6) : Number.NaN;
  return /^\d/.test(v) && !v.includes('-') ? epochMicros(v) : isoMicros(v);
}

const show = (v: string | number) =>
  JSON.stringify(typeof v === 'string' && v.length > 60 ? `${v.slice(0, 60)}…` : v);

/** A whole number in [0, max] from a TSV string or a JSON number; NaN otherwise. */
function whole(v: string | number, max: number): number {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 && v <= max ? v : Number.NaN;
  return uint(v, max);
}

/** Reads one record (TSV or JSON) into flow records. */
function record(get: Get, out: FlowBatch): LineOutcome {
  const ts = get('ts');
  if (ts === undefined) return { reject: 'ts is unset' };
  const startUs = timeMicros(ts);
  if (Number.isNaN(startUs))
    return { reject: `ts ${show(ts)} is not epoch seconds or an ISO 8601 time with a zone` };
  const dur = get('duration');
  let durUs = 0;
  if (dur !== undefined) {
    durUs =
      typeof dur === 'number'
        ? Number.isFinite(dur) && dur >= 0 && dur < 1e9
          ? Math.round(dur * 1e6)
          : Number.NaN
        : /^\d{1,9}(\.\d{1,9})?$/.test(dur)
          ? epochMicros(dur)
          : Number.NaN;
    if (Number.isNaN(durUs)) return { reject: `duration ${show(dur)} is not valid` };
  }
  const addr = (name: string): AddrWords | string => {
    const v = get(name);
    const a = typeof v === 'string' ? address(v) : undefined;
    return a ?? `${name} ${v === undefined ? 'is unset' : `${show(v)} is not an IP address`}`;
  };
  const src = addr('id.orig_h');
  if (typeof src === 'string') return { reject: src };
  const dst = addr('id.resp_h');
  if (typeof dst === 'string') return { reject: dst };

  const protoText = get('proto');
  const ipProto = get('ip_proto');
  let proto: number;
  if (ipProto !== undefined) {
    proto = whole(ipProto, 255);
    if (Number.isNaN(proto)) return { reject: `ip_proto ${show(ipProto)} is not a protocol number` };
  } else {
    const p = typeof protoText === 'string' ? PROTOCOLS[protoText.toLowerCase()] : undefined;
    if (p === undefined)
      return {
        reject:
          protoText === 'unknown_transport'
            ? 'proto unknown_transport without ip_proto: the protocol number is not in the log'
            : `proto ${protoText === undefined ? 'is unset' : `${show(protoText)} is not tcp, udp or icmp`}`,
      };
    // Zeek calls ICMPv6 `icmp` too.
    proto = p === 1 && !isV4(src) ? 58 : p;
  }
  const portOf = (name: string): number | string => {
    const v = get(name);
    if (v === undefined) return 0;
    const n = whole(v, 0xffff);
    return Number.isNaN(n) ? `${name} ${show(v)} is not a port` : n;
  };
  const op = portOf('id.orig_p');
  if (typeof op === 'string') return { reject: op };
  const rp = portOf('id.resp_p');
  if (typeof rp === 'string') return { reject: rp };
  const icmp = proto === 1 || proto === 58;
  if (icmp && (op > 255 || rp > 255)) return { reject: `ICMP type ${op} or code ${rp} is over 255` };

  const counts: number[] = [];
  for (const [name, alt] of [
    ['orig_pkts'],
    ['orig_ip_bytes', 'orig_bytes'],
    ['resp_pkts'],
    ['resp_ip_bytes', 'resp_bytes'],
  ] as const) {
    const key = get(name) !== undefined || alt === undefined ? name : alt;
    const v = get(key);
    const n = v === undefined ? 0 : whole(v, Number.MAX_SAFE_INTEGER);
    if (Number.isNaN(n)) return { reject: `${key} ${show(v!)} is not a count` };
    counts.push(n);
  }
  const [opk, oby, rpk, rby] = counts as [number, number, number, number];

  let flags: readonly [number, number] = [0, 0];
  if (proto === 6) {
    const h = get('history');
    const st = get('conn_state');
    if (typeof h === 'string' && h !== '') flags = historyFlags(h);
    else if (typeof st === 'string') flags = ZEEK_CONN_STATES[st.toUpperCase()] ?? [0, 0];
  }
  const label = get('label');
  const detail = get('detailed-label');
  const labelText =
    label === undefined
      ? undefined
      : detail === undefined
        ? String(label)
        : `${String(label)}/${String(detail)}`;
  addBiFlow(
    out,
    {
      tsMs: Math.floor(startUs / 1000),
      teMs: Math.floor((startUs + durUs) / 1000),
      src,
      dst,
      sport: icmp ? 0 : op,
      dport: icmp ? op * 256 + rp : rp,
      proto,
      ...(labelText !== undefined ? { label: labelText } : {}),
    },
    { packets: opk, bytes: oby, flags: flags[0], tos: 0 },
    { packets: rpk, bytes: rby, flags: flags[1], tos: 0 },
  );
  return undefined;
}

const isV4 = (a: AddrWords) => a[0] === 0 && a[1] === 0 && a[2] === 0xffff;

/** `\x09` → tab, as Zeek writes its separator. */
function unescapeHex(s: string): string {
  return s.replace(/\\x([0-9a-f]{2})/gi, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
}

interface TsvHeader {
  sep: string;
  unset: string;
  empty: string;
  path?: string;
  fields?: Map<string, number>;
  width: number;
  /** IoT-23: columns also split at runs of spaces. */
  spaced: boolean;
  /** #fields has a field only conn logs have. */
  connFields: boolean;
}

const freshHeader = (): TsvHeader => ({
  sep: '\t',
  unset: '-',
  empty: '(empty)',
  width: 0,
  spaced: false,
  connFields: false,
});

class ZeekParser implements LineParser {
  private h: TsvHeader = freshHeader();
  private inHeader = false;

  line(text: string, _no: number, out: FlowBatch): LineOutcome {
    if (text.trim() === '') return undefined;
    if (text.charCodeAt(0) === 35 /* # */) return this.directive(text);
    this.inHeader = false;
    if (text.trimStart().startsWith('{')) return this.json(text, out);
    return this.tsv(text, out);
  }

  private directive(text: string): LineOutcome {
    if ((!this.inHeader && !text.startsWith('#close')) || text.startsWith('#separator')) {
      // A new log's header: start again from the defaults.
      this.h = freshHeader();
    }
    this.inHeader = true;
    const h = this.h;
    const sp = text.indexOf(text.startsWith('#separator') ? ' ' : h.sep);
    const key = sp < 0 ? text.slice(1) : text.slice(1, sp);
    const value = sp < 0 ? '' : text.slice(sp + 1);
    switch (key) {
      case 'separator':
        h.sep = unescapeHex(value);
        if (h.sep === '') return { reject: '#separator is empty' };
        return undefined;
      case 'unset_field':
        h.unset = value;
        return undefined;
      case 'empty_field':
        h.empty = value;
        return undefined;
      case 'path':
        h.path = value;
        return undefined;
      case 'fields': {
        const names = this.split(value, /\s{2,}/.test(value));
        h.spaced = /\s{2,}/.test(value);
        h.fields = new Map(names.map((n, i) => [n, i]));
        h.width = names.length;
        const missing = NEEDED.filter((n) => !h.fields!.has(n));
        if (missing.length > 0) {
          h.fields = undefined;
          return { reject: `Zeek #fields without ${missing.join(', ')}` };
        }
        h.connFields = CONN_ONLY.some((n) => h.fields!.has(n));
        return undefined;
      }
      default:
        return undefined; // #set_separator, #open, #close, #types, comments
    }
  }

  private split(text: string, spaced: boolean): string[] {
    const parts = text.split(this.h.sep);
    return spaced ? parts.flatMap((p) => p.trim().split(/\s{2,}/)) : parts;
  }

  private tsv(text: string, out: FlowBatch): LineOutcome {
    const h = this.h;
    if (h.path !== undefined && h.path !== 'conn') return { reject: `a Zeek ${h.path} log, not conn` };
    if (!h.fields) return { reject: 'no usable Zeek #fields line before this record' };
    if (!h.connFields) return { reject: `not a Zeek conn log (#fields has none of ${CONN_ONLY.join(', ')})` };
    const f = this.split(text, h.spaced);
    if (f.length !== h.width)
      return {
        reject: `expected ${h.width} ${h.sep === '\t' ? 'tab' : JSON.stringify(h.sep)}-separated fields, found ${f.length}`,
      };
    const cols = h.fields;
    return record((name) => {
      const i = cols.get(name);
      if (i === undefined) return undefined;
      const v = f[i]!;
      return v === h.unset || v === h.empty || v === '' ? undefined : v;
    }, out);
  }

  private json(text: string, out: FlowBatch): LineOutcome {
    let o: unknown;
    try {
      o = JSON.parse(text);
    } catch (e) {
      return { reject: `not JSON (${(e as Error).message.split('\n')[0]})` };
    }
    if (typeof o !== 'object' || o === null || Array.isArray(o)) return { reject: 'not a JSON object' };
    const rec = o as Record<string, unknown>;
    const path = rec['_path'];
    if (path !== undefined && path !== 'conn') return { reject: `a Zeek ${String(path)} log, not conn` };
    if (!CONN_ONLY.some((n) => n in rec))
      return { reject: `not a Zeek conn record (none of ${CONN_ONLY.join(', ')})` };
    const id =
      typeof rec['id'] === 'object' && rec['id'] !== null ? (rec['id'] as Record<string, unknown>) : {};
    const values = new Map<string, string | number>();
    for (const name of READ) {
      const v = name in rec ? rec[name] : name.startsWith('id.') ? id[name.slice(3)] : undefined;
      if (v === undefined || v === null || v === '' || v === '-') continue;
      if (typeof v === 'string' || typeof v === 'number') values.set(name, v);
      else if (typeof v === 'boolean') values.set(name, String(v));
      else return { reject: `${name} is a JSON ${Array.isArray(v) ? 'array' : 'object'}` };
    }
    return record((name) => values.get(name), out);
  }
}

/** Every field {@link record} reads. */
// biome-ignore format: a list, kept compact
const READ = [
  ...NEEDED, 'duration', 'ip_proto', 'orig_pkts', 'orig_ip_bytes', 'orig_bytes', 'resp_pkts', 'resp_ip_bytes',
  'resp_bytes', 'history', 'conn_state', 'label', 'detailed-label',
];

const JSON_CONN = /"id\.orig_h"\s*:|"id"\s*:\s*\{\s*"orig_h"/;
const JSON_CONN_FIELD = new RegExp(`"(${CONN_ONLY.join('|')})"\\s*:`);

/**
 * A Zeek conn log, and not one of Zeek's other logs (dns, http, ...: in a
 * log directory imported with `--recursive` they are passed over): TSV
 * whose header says `#path conn`, or has no `#path` but a conn-only field;
 * JSON whose first record has the ids and a conn-only field.
 */
function sniffConn(head: Buffer): boolean {
  const line = firstLine(head);
  if (line === undefined) return false;
  if (line.trimStart().startsWith('{'))
    return JSON_CONN.test(line) && JSON_CONN_FIELD.test(line) && !/"_path"\s*:\s*"(?!conn")/.test(line);
  if (!line.startsWith('#separator') && !line.startsWith('#fields')) return false;
  const text = head.toString('utf8');
  const path = /^#path[ \t](\S+)/m.exec(text);
  if (path) return path[1] === 'conn';
  const fields = /^#fields[ \t](.*)$/m.exec(text);
  return fields !== null && CONN_ONLY.some((n) => new RegExp(`(^|\\s)${n}(\\s|$)`).test(fields[1]!));
}

const zeekText = textFormat({
  name: 'zeek',
  description: 'Zeek conn.log, TSV (#fields header) or JSON lines; IoT-23 labels kept',
  maxLine: 64 * 1024,
  sniffLine: () => true, // replaced by sniffConn, which sees the whole head
  parser: () => new ZeekParser(),
});

export const zeekFormat: ImportFormat = { ...zeekText, sniff: (head) => sniffConn(head) };
