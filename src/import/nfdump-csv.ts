/**
 * @module nfdump CSV: the output of `nfdump -o csv` (nfdump 1.6 and 1.7).
 *
 * The 48 columns `ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt,
 * in,out,sas,das,smk,dmk,dtos,dir,nh,nhb,svln,dvln,ismc,odmc,idmc,osmc,
 * mpls1..mpls10,cl,sl,al,ra,eng,exid,tr`, with or without the header line
 * (`-q` drops it). With a header the columns are found by name, so a
 * different order or the named header of newer nfdump (`firstSeen`,
 * `srcAddr`, ...) reads too; without one the order above is assumed.
 * nfdump's trailing summary (`Summary`, `flows,bytes,packets,...`, its
 * values) and `No matching flows` are skipped, so concatenated outputs read.
 *
 * Mapping: `sa`/`da` → addresses (IPv4 or IPv6), `sp`/`dp` → ports (an ICMP
 * `type.code` as type·256+code), `pr` (nfdump's name such as `TCP`, `ICMP6`,
 * or a number) → protocol, `flg` (`...AP.S.`, or `0x..` hex) →
 * tcpControlBits, `ipkt`/`ibyt` → packets/octets, `stos` → ToS, `in`/`out`
 * → interfaces, `sas`/`das` → AS numbers, `dir` → direction, `nh` → next
 * hop, `ra` → exporter. `opkt`/`obyt` (the reverse side of NSEL bi-flows),
 * masks, VLANs, MACs, MPLS and latencies have no column here and are ignored.
 * Counters are taken as printed: nfdump has already applied any sampling it
 * knew of, so the sampling interval is 1.
 *
 * Times: `ts`/`te` are local times (see `times.ts`). nfdump 1.6 and 1.7.1
 * print them to the second only, but `td` carries the exact duration in ms;
 * the start is placed at the earliest millisecond consistent with both
 * printed seconds and the duration, so the end stays in the second nfdump
 * printed (and so in the same window and day) and the duration is exact.
 * Times printed with milliseconds (newer nfdump) are used as they are.
 */

import type { FlowBatch } from '../flow/batch.js';
import { parseFlags, protocolNumber } from '../flow/names.js';
import type { ImportFormat } from './format.js';
import { nfdumpProtocol } from './nfdump-protocols.js';
import { address, type LineOutcome, type LineParser, textFormat, uint } from './text.js';
import { localTimeMicros } from './times.js';

/** The columns of `nfdump -o csv`, in order. */
export const NFDUMP_CSV_COLUMNS: readonly string[] = (
  'ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt,in,out,sas,das,smk,dmk,dtos,dir,nh,nhb,svln,dvln,' +
  'ismc,odmc,idmc,osmc,mpls1,mpls2,mpls3,mpls4,mpls5,mpls6,mpls7,mpls8,mpls9,mpls10,cl,sl,al,ra,eng,exid,tr'
).split(',');

/** The columns read, with the other names newer nfdump versions give them in a header. */
const WANTED: Record<string, readonly string[]> = {
  ts: ['ts', 'firstseen'],
  te: ['te', 'lastseen'],
  td: ['td', 'duration'],
  sa: ['sa', 'srcaddr'],
  da: ['da', 'dstaddr'],
  sp: ['sp', 'srcport'],
  dp: ['dp', 'dstport'],
  pr: ['pr', 'proto'],
  flg: ['flg', 'flags'],
  stos: ['stos', 'srctos', 'tos'],
  ipkt: ['ipkt', 'inpackets', 'pkt', 'packets'],
  ibyt: ['ibyt', 'inbytes', 'byt', 'bytes'],
  in: ['in', 'input'],
  out: ['out', 'output'],
  sas: ['sas', 'srcas'],
  das: ['das', 'dstas'],
  dir: ['dir', 'direction'],
  nh: ['nh', 'nextip'],
  ra: ['ra', 'routerip'],
};

type Cols = Record<keyof typeof WANTED, number>;

const DEFAULT_COLS = Object.fromEntries(
  Object.keys(WANTED).map((k) => [k, NFDUMP_CSV_COLUMNS.indexOf(k)]),
) as Cols;

const DATA_LINE = /^\s*\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?,\s*\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/;
/** Lines nfdump prints around the flows; none of them is a flow. */
const CHATTER = /^(No matching flows|Time window:|Total flows processed:|Sys:|Summary:|Ident:)/;
const MAX_COUNTER = Number.MAX_SAFE_INTEGER;

function isHeader(line: string): boolean {
  const f = line.split(',').map((s) => s.trim().toLowerCase());
  return (f[0] === 'ts' && f[1] === 'te') || (f.includes('firstseen') && f.includes('srcaddr'));
}

/** Column positions from a header line; undefined when an essential column is missing. */
function columnsOf(header: string): Cols | undefined {
  const names = header.split(',').map((s) => s.trim().toLowerCase());
  const cols = {} as Cols;
  for (const [key, aliases] of Object.entries(WANTED)) {
    cols[key] = names.findIndex((n) => aliases.includes(n));
  }
  return cols['sa']! >= 0 && cols['da']! >= 0 && (cols['ts']! >= 0 || cols['te']! >= 0) ? cols : undefined;
}

function protocol(text: string): number | undefined {
  const t = text.trim();
  if (/^\d+$/.test(t)) return Number(t) <= 255 ? Number(t) : undefined;
  return nfdumpProtocol(t) ?? protocolNumber(t);
}

function tcpFlags(text: string): number {
  const t = text.trim();
  if (/^0x[0-9a-f ]+$/i.test(t)) return Number.parseInt(t.slice(2).replace(/ /g, ''), 16) & 0xff;
  if (!/^[CEUAPRSF.]*$/.test(t)) return Number.NaN;
  return parseFlags(t.replace(/\./g, '')) ?? Number.NaN;
}

/** A port, or an ICMP `type.code` as nfdump prints it in some formats. */
function port(text: string): number {
  const m = /^\s*(\d{1,3})\.(\d{1,3})\s*$/.exec(text);
  if (m) return Number(m[1]) <= 255 && Number(m[2]) <= 255 ? Number(m[1]) * 256 + Number(m[2]) : Number.NaN;
  return uint(text, 0xffff);
}

function hasFraction(time: string): boolean {
  return time.includes('.');
}

class NfdumpCsvParser implements LineParser {
  private cols: Cols | undefined;
  private need = 0;
  private summaryLines = 0;

  line(text: string, _no: number, out: FlowBatch): LineOutcome {
    if (this.summaryLines > 0) {
      this.summaryLines--;
      return undefined;
    }
    // A flow starts with its date: take the short way for the millions of those.
    const c0 = text.charCodeAt(0);
    if (c0 >= 48 && c0 <= 57 && this.cols) return this.flow(text.split(','), out);
    const t = text.trim();
    if (t === '' || CHATTER.test(t)) return undefined;
    if (t === 'Summary') {
      this.summaryLines = 2; // `flows,bytes,packets,...` and the values
      return undefined;
    }
    if (isHeader(t)) {
      const cols = columnsOf(t);
      if (!cols) return { reject: 'nfdump CSV header without the sa, da and ts/te columns' };
      this.setColumns(cols, t.split(',').length);
      return undefined;
    }
    if (!this.cols) this.setColumns(DEFAULT_COLS, NFDUMP_CSV_COLUMNS.length);
    return this.flow(text.split(','), out);
  }

  /** `fields`: how many a line has (the header's count); fewer is an error, more are ignored. */
  private setColumns(cols: Cols, fields: number): void {
    this.cols = cols;
    this.need = fields;
  }

  private flow(f: string[], out: FlowBatch): LineOutcome {
    const c = this.cols!;
    if (f.length < this.need)
      return { reject: `expected ${this.need} comma-separated fields, found ${f.length}` };
    const get = (k: keyof Cols): string | undefined => (c[k]! >= 0 ? f[c[k]!] : undefined);
    const times = this.times(get('ts'), get('te'), get('td'));
    if (typeof times === 'string') return { reject: times };
    const src = address(get('sa')!);
    if (!src) return { reject: badAddress('source', get('sa')!) };
    const dst = address(get('da')!);
    if (!dst) return { reject: badAddress('destination', get('da')!) };
    const opt = (k: keyof Cols, parse: (s: string) => number, what: string): number | string => {
      const s = get(k);
      if (s === undefined) return 0;
      const v = parse(s);
      return Number.isNaN(v) ? `${what} ${JSON.stringify(s.trim())} is not valid` : v;
    };
    const u = (max: number) => (s: string) => uint(s, max);
    const dirOf = (s: string) => (s.trim() === 'I' ? 0 : s.trim() === 'E' ? 1 : uint(s, 255));
    const vals = [
      opt('sp', port, 'source port (sp)'),
      opt('dp', port, 'destination port (dp)'),
      opt('pr', (s) => protocol(s) ?? Number.NaN, 'protocol (pr)'),
      opt('flg', tcpFlags, 'TCP flags (flg)'),
      opt('ipkt', u(MAX_COUNTER), 'packet count (ipkt)'),
      opt('ibyt', u(MAX_COUNTER), 'byte count (ibyt)'),
      opt('stos', u(255), 'ToS (stos)'),
      opt('in', u(0xffffffff), 'input interface (in)'),
      opt('out', u(0xffffffff), 'output interface (out)'),
      opt('sas', u(0xffffffff), 'source AS (sas)'),
      opt('das', u(0xffffffff), 'destination AS (das)'),
      opt('dir', dirOf, 'direction (dir)'),
    ];
    const bad = vals.find((v) => typeof v === 'string');
    if (bad !== undefined) return { reject: bad as string };
    const [sp, dp, pr, flg, pkt, byt, tos, inIf, outIf, sas, das, dir] = vals as number[];
    const nhText = get('nh');
    const nh = nhText === undefined ? undefined : address(nhText);
    if (nhText !== undefined && !nh) return { reject: badAddress('next-hop (nh)', nhText) };
    const raText = get('ra');
    const ra = raText === undefined ? undefined : address(raText);
    if (raText !== undefined && !ra) return { reject: badAddress('exporter (ra)', raText) };

    const i = out.add();
    out.ts[i] = times[0];
    out.te[i] = times[1];
    out.setAddr('src', i, src);
    out.setAddr('dst', i, dst);
    if (nh) out.setAddr('nexthop', i, nh);
    if (ra) out.setAddr('exporter', i, ra);
    out.sport[i] = sp!;
    out.dport[i] = dp!;
    out.proto[i] = pr!;
    out.flags[i] = flg!;
    out.packets[i] = pkt!;
    out.bytes[i] = byt!;
    out.tos[i] = tos!;
    out.inIf[i] = inIf!;
    out.outIf[i] = outIf!;
    out.srcAs[i] = sas!;
    out.dstAs[i] = das!;
    out.dir[i] = dir!;
    return undefined;
  }

  /** [start, end] in ms, or the reason they cannot be read. */
  private times(ts?: string, te?: string, td?: string): [number, number] | string {
    const tsUs = ts === undefined ? Number.NaN : localTimeMicros(ts);
    const teUs = te === undefined ? Number.NaN : localTimeMicros(te);
    if (ts !== undefined && Number.isNaN(tsUs))
      return `first-seen time (ts) ${JSON.stringify(ts)} is not valid`;
    if (te !== undefined && Number.isNaN(teUs))
      return `last-seen time (te) ${JSON.stringify(te)} is not valid`;
    let durMs = Number.NaN;
    if (td !== undefined) {
      const d = td.trim();
      if (!/^\d+(\.\d+)?$/.test(d)) return `duration (td) ${JSON.stringify(td)} is not valid`;
      durMs = Math.round(Number(d) * 1000);
    }
    const tsMs = Math.floor(tsUs / 1000);
    const teMs = Math.floor(teUs / 1000);
    if (ts === undefined) return [Number.isNaN(durMs) ? teMs : teMs - durMs, teMs];
    if (te === undefined) return [tsMs, Number.isNaN(durMs) ? tsMs : tsMs + durMs];
    if (hasFraction(ts) || hasFraction(te) || Number.isNaN(durMs)) return [tsMs, Math.max(tsMs, teMs)];
    // Whole seconds: the true start lies in [tsMs, tsMs+999] and the end in
    // [teMs, teMs+999], end − start = durMs. Take the earliest such start.
    const lead = Math.min(999, Math.max(0, teMs - tsMs - durMs));
    const start = tsMs + lead;
    const end = Math.min(teMs + 999, Math.max(teMs, start + durMs));
    return [start, end];
  }
}

function badAddress(what: string, text: string): string {
  const hint = text.includes('..')
    ? ' (nfdump abbreviates IPv6 addresses in this format; use -o csv or -6)'
    : '';
  return `${what} address ${JSON.stringify(text.trim())} is not an IP address${hint}`;
}

export const nfdumpCsvFormat: ImportFormat = textFormat({
  name: 'nfdump-csv',
  description: 'output of nfdump -o csv (1.6, 1.7), with or without its header line',
  maxLine: 16 * 1024,
  sniffLine: (line) => isHeader(line) || DATA_LINE.test(line),
  parser: () => new NfdumpCsvParser(),
});
