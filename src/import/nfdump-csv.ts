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
 * Times: `ts`/`te` are local times, read in `--tz` (see `times.ts`). nfdump 1.6 and 1.7.1
 * print them to the second only, but `td` carries the exact duration in ms;
 * the start is placed at the earliest millisecond consistent with both
 * printed seconds and the duration, so the end stays in the second nfdump
 * printed (and so in the same window and day) and the duration is exact.
 * Times printed with milliseconds (newer nfdump) are used as they are.
 */

import type { AddrWords } from '../flow/address.js';
import type { FlowBatch } from '../flow/batch.js';
import { parseFlags, protocolNumber, TCP_FLAGS } from '../flow/names.js';
import type { ImportFormat, ReadOptions } from './format.js';
import { nfdumpProtocol } from './nfdump-protocols.js';
import { address, type LineOutcome, type LineParser, textFormat, uint } from './text.js';
import { WallClock } from './times.js';

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

/** Field texts seen before and what they parsed to: a file repeats a few hundred protocol and flag texts. */
class SeenTexts<T> {
  private readonly map = new Map<string, T>();
  constructor(private readonly parse: (text: string) => T) {}
  get(text: string): T {
    let v = this.map.get(text);
    if (v === undefined && !this.map.has(text)) {
      v = this.parse(text);
      if (this.map.size < 4096) this.map.set(text, v);
    }
    return v as T;
  }
}

function protocolText(text: string): number | undefined {
  const t = text.trim();
  if (/^\d+$/.test(t)) return Number(t) <= 255 ? Number(t) : undefined;
  return nfdumpProtocol(t) ?? protocolNumber(t);
}
const PROTOCOLS = new SeenTexts(protocolText);
const protocol = (text: string) => PROTOCOLS.get(text);

function tcpFlagsText(text: string): number {
  const t = text.trim();
  if (/^0x[0-9a-f ]+$/i.test(t)) return Number.parseInt(t.slice(2).replace(/ /g, ''), 16) & 0xff;
  if (!/^[CEUAPRSF.]*$/.test(t)) return Number.NaN;
  return parseFlags(t.replace(/\./g, '')) ?? Number.NaN;
}
const FLAGS = new SeenTexts(tcpFlagsText);
const tcpFlags = (text: string) => FLAGS.get(text);

/** TCP flag letters by byte: the bit of each, 0 for any other byte. */
const FLAG_BIT = new Uint8Array(256);
for (const [c, bit] of TCP_FLAGS) FLAG_BIT[c.charCodeAt(0)] = bit;

/**
 * The flags field from the file's bytes when it is plain letters and dots
 * (`...AP.S.`, every line of nfdump's CSV); undefined for anything else
 * (hex, spaces), which {@link tcpFlags} reads as text. No string is made.
 */
function flagBytes(buf: Buffer, s: number, e: number): number | undefined {
  let v = 0;
  for (let i = s; i < e; i++) {
    const c = buf[i]!;
    if (c === 46) continue;
    const bit = FLAG_BIT[c]!;
    if (bit === 0) return undefined;
    v |= bit;
  }
  return v;
}

/** `TCP`, `UDP` and `ICMP` from the file's bytes (most lines); undefined for the rest, read as text. */
function protocolBytes(buf: Buffer, s: number, e: number): number | undefined {
  const n = e - s;
  if (n === 3 && buf[s + 1] === 0x44 && buf[s + 2] === 0x50 && buf[s] === 0x55) return 17; // UDP
  if (n === 3 && buf[s] === 0x54 && buf[s + 1] === 0x43 && buf[s + 2] === 0x50) return 6; // TCP
  if (n === 4 && buf[s] === 0x49 && buf[s + 1] === 0x43 && buf[s + 2] === 0x4d && buf[s + 3] === 0x50)
    return 1; // ICMP
  return undefined;
}

/** A port, or an ICMP `type.code` as nfdump prints it in some formats. */
function port(text: string): number {
  const v = uint(text, 0xffff);
  if (!Number.isNaN(v)) return v;
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
  /** The columns are those of `nfdump -o csv`, in its order: {@link plainBytes} reads the lines. */
  private plain = false;
  private summaryLines = 0;
  /** 1 for the columns a flow is read from. */
  private wanted = new Uint8Array(0);
  /** The fields of the line being read (see {@link split}). */
  private fields: string[] = [];

  constructor(private readonly clock: WallClock) {}

  line(text: string, _no: number, out: FlowBatch): LineOutcome {
    if (this.summaryLines > 0) {
      this.summaryLines--;
      return undefined;
    }
    // A flow starts with its date: take the short way for the millions of those.
    const c0 = text.charCodeAt(0);
    if (c0 >= 48 && c0 <= 57 && this.cols) return this.flow(this.fields, this.split(text), out);
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
    const f = text.split(',');
    return this.flow(f, f.length, out);
  }

  /** Where each field of the line being read from bytes starts (its end is the next start − 1). */
  private starts = new Int32Array(64);

  /**
   * The short way for the millions of plain flow lines, straight from the
   * file's bytes: ASCII, times to the second, IPv4 or IPv6 addresses, plain
   * decimal numbers. Anything else (a header, a summary, milliseconds, a
   * field that does not read) returns false and is read as text by
   * {@link line}, which gives the same flow or the reason it is rejected.
   */
  bytes(buf: Buffer, start: number, end: number, out: FlowBatch): boolean {
    if (this.summaryLines > 0 || !this.cols || end - start < 20) return false;
    const c0 = buf[start]!;
    if (c0 < 48 || c0 > 57) return false;
    return this.plain ? this.plainBytes(buf, start, end, out) : this.anyBytes(buf, start, end, out);
  }

  /**
   * {@link bytes} for the 48 columns of `nfdump -o csv` in their order (no
   * header, or nfdump's own): one pass over the line that reads each field
   * read as it finds its end, skips the other fields, and counts its way
   * over the 20 unread middle columns 4 bytes at a time. A line needs at
   * least 48 fields (more are ignored), so it is enough to find the 3 commas
   * after `ra` (field 44); a line with fewer fields, or any field the bytes
   * do not read, goes to the text reader, which says why.
   */
  private plainBytes(buf: Buffer, start: number, end: number, out: FlowBatch): boolean {
    // ts and te: `YYYY-MM-DD hh:mm:ss`, each ended by a comma (second() checks every other byte).
    if (end - start < 41 || buf[start + 19] !== 44 || buf[start + 39] !== 44) return false;
    const tsMs = this.second(buf, start, start + 19);
    const teMs = this.second(buf, start + 20, start + 39);
    let i = start + 40;
    let e = comma(buf, i, end);
    if (e < 0) return false;
    const durMs = millis(buf, i, e);
    if (Number.isNaN(tsMs) || Number.isNaN(teMs) || Number.isNaN(durMs)) return false;
    i = e + 1;
    // sa, da
    const src4 = quad(buf, i, end);
    const srcW = src4 < 0 ? wide(buf, i, end) : undefined;
    if (src4 < 0 && !srcW) return false;
    i = stop + 1;
    const dst4 = quad(buf, i, end);
    const dstW = dst4 < 0 ? wide(buf, i, end) : undefined;
    if (dst4 < 0 && !dstW) return false;
    i = stop + 1;
    // sp, dp: digits, else an ICMP type.code
    let sp = uintAt(buf, i, end, 0xffff);
    if (Number.isNaN(sp)) {
      e = comma(buf, i, end);
      if (e < 0) return false;
      sp = portBytes(buf, i, e);
      stop = e;
    }
    i = stop + 1;
    let dp = uintAt(buf, i, end, 0xffff);
    if (Number.isNaN(dp)) {
      e = comma(buf, i, end);
      if (e < 0) return false;
      dp = portBytes(buf, i, e);
      stop = e;
    }
    i = stop + 1;
    // pr: TCP and UDP here, any other through protocolBytes and the text
    let pr: number;
    if (i + 3 < end && buf[i + 3] === 44 && buf[i] === 0x54 && buf[i + 1] === 0x43 && buf[i + 2] === 0x50) {
      pr = 6;
      i += 4;
    } else if (
      i + 3 < end &&
      buf[i + 3] === 44 &&
      buf[i] === 0x55 &&
      buf[i + 1] === 0x44 &&
      buf[i + 2] === 0x50
    ) {
      pr = 17;
      i += 4;
    } else {
      e = comma(buf, i, end);
      if (e < 0) return false;
      pr = protocolBytes(buf, i, e) ?? protocol(buf.toString('latin1', i, e)) ?? Number.NaN;
      i = e + 1;
    }
    // flg: letters and dots, else through the text (hex)
    let flg = 0;
    e = i;
    for (; e < end; e++) {
      const b = buf[e]!;
      if (b === 44) break;
      if (b === 46) continue;
      const bit = FLAG_BIT[b]!;
      if (bit === 0) {
        e = comma(buf, e, end);
        if (e < 0) return false;
        flg = tcpFlags(buf.toString('latin1', i, e));
        break;
      }
      flg |= bit;
    }
    if (e >= end) return false;
    i = e + 1;
    // fwd (skipped), stos, ipkt, ibyt
    i = comma(buf, i, end) + 1;
    if (i === 0) return false;
    const tos = uintAt(buf, i, end, 255);
    i = stop + 1;
    const pkt = uintAt(buf, i, end, MAX_COUNTER);
    i = stop + 1;
    const byt = uintAt(buf, i, end, MAX_COUNTER);
    i = stop + 1;
    // opkt, obyt (skipped), in, out, sas, das
    i = comma(buf, i, end) + 1;
    if (i === 0) return false;
    i = comma(buf, i, end) + 1;
    if (i === 0) return false;
    const inIf = uintAt(buf, i, end, 0xffffffff);
    i = stop + 1;
    const outIf = uintAt(buf, i, end, 0xffffffff);
    i = stop + 1;
    const sas = uintAt(buf, i, end, 0xffffffff);
    i = stop + 1;
    const das = uintAt(buf, i, end, 0xffffffff);
    i = stop + 1;
    // smk, dmk, dtos (skipped), dir
    for (let k = 0; k < 3; k++) {
      i = comma(buf, i, end) + 1;
      if (i === 0) return false;
    }
    let dir: number;
    if (i + 1 < end && buf[i + 1] === 44 && (buf[i] === 73 || buf[i] === 69)) {
      dir = buf[i] === 73 ? 0 : 1; // I, E
      stop = i + 1;
    } else dir = uintAt(buf, i, end, 255);
    i = stop + 1;
    // NaN in any: `>= 0` is false.
    if (
      !(
        sp >= 0 &&
        dp >= 0 &&
        pr >= 0 &&
        flg >= 0 &&
        pkt >= 0 &&
        byt >= 0 &&
        tos >= 0 &&
        inIf >= 0 &&
        outIf >= 0 &&
        sas >= 0 &&
        das >= 0 &&
        dir >= 0
      )
    )
      return false;
    // nh
    const nh4 = quad(buf, i, end);
    const nhW = nh4 < 0 ? wide(buf, i, end) : undefined;
    if (nh4 < 0 && !nhW) return false;
    i = stop + 1;
    // nhb .. al (20 fields, skipped), ra, and the 3 fields after it
    i = skipCommas(buf, i, end, 20);
    if (i < 0) return false;
    const ra4 = quad(buf, i, end);
    const raW = ra4 < 0 ? wide(buf, i, end) : undefined;
    if (ra4 < 0 && !raW) return false;
    i = comma(buf, stop + 1, end);
    if (i < 0 || comma(buf, i + 1, end) < 0) return false;

    // As in times(): whole seconds, the earliest start consistent with both and the duration.
    const lead = Math.min(999, Math.max(0, teMs - tsMs - durMs));
    const first = tsMs + lead;
    const r = out.add();
    out.ts[r] = first;
    out.te[r] = Math.min(teMs + 999, Math.max(teMs, first + durMs));
    const j = r * 4;
    putAddr(out.src, j, src4, srcW);
    putAddr(out.dst, j, dst4, dstW);
    putAddr(out.nexthop, j, nh4, nhW);
    putAddr(out.exporter, j, ra4, raW);
    out.sport[r] = sp;
    out.dport[r] = dp;
    out.proto[r] = pr;
    out.flags[r] = flg;
    out.packets[r] = pkt;
    out.bytes[r] = byt;
    out.tos[r] = tos;
    out.inIf[r] = inIf;
    out.outIf[r] = outIf;
    out.srcAs[r] = sas;
    out.dstAs[r] = das;
    out.dir[r] = dir;
    return true;
  }

  /** {@link bytes} for any column layout (a header in another order, or with other columns). */
  private anyBytes(buf: Buffer, start: number, end: number, out: FlowBatch): boolean {
    const c = this.cols!;
    let starts = this.starts;
    let n = 1;
    starts[0] = start;
    for (let i = start; i < end; i++) {
      if (buf[i] === 44) {
        if (n === starts.length) {
          const more = new Int32Array(n * 2);
          more.set(starts);
          this.starts = starts = more;
        }
        starts[n++] = i + 1;
      }
    }
    if (n < this.need) return false;
    if (n === starts.length) {
      const more = new Int32Array(n + 1);
      more.set(starts);
      this.starts = starts = more;
    }
    starts[n] = end + 1;
    const fs = (k: number) => starts[k]!;
    const fe = (k: number) => starts[k + 1]! - 1;
    const ts = c.ts!;
    const te = c.te!;
    const td = c.td!;
    if (ts < 0 || te < 0 || td < 0) return false;
    const tsMs = this.second(buf, fs(ts), fe(ts));
    const teMs = this.second(buf, fs(te), fe(te));
    const durMs = millis(buf, fs(td), fe(td));
    if (Number.isNaN(tsMs) || Number.isNaN(teMs) || Number.isNaN(durMs)) return false;
    const src = addrBytes(buf, fs(c.sa!), fe(c.sa!));
    const dst = src && addrBytes(buf, fs(c.da!), fe(c.da!));
    if (!dst) return false;
    const num = (k: number, max: number) => (k < 0 ? 0 : digits(buf, fs(k), fe(k), max));
    const sp = c.sp! < 0 ? 0 : portBytes(buf, fs(c.sp!), fe(c.sp!));
    const dp = c.dp! < 0 ? 0 : portBytes(buf, fs(c.dp!), fe(c.dp!));
    const pr =
      c.pr! < 0
        ? 0
        : (protocolBytes(buf, fs(c.pr!), fe(c.pr!)) ??
          protocol(buf.toString('latin1', fs(c.pr!), fe(c.pr!))) ??
          Number.NaN);
    const flg =
      c.flg! < 0
        ? 0
        : (flagBytes(buf, fs(c.flg!), fe(c.flg!)) ??
          tcpFlags(buf.toString('latin1', fs(c.flg!), fe(c.flg!))));
    const pkt = num(c.ipkt!, MAX_COUNTER);
    const byt = num(c.ibyt!, MAX_COUNTER);
    const tos = num(c.stos!, 255);
    const inIf = num(c.in!, 0xffffffff);
    const outIf = num(c.out!, 0xffffffff);
    const sas = num(c.sas!, 0xffffffff);
    const das = num(c.das!, 0xffffffff);
    const dir = c.dir! < 0 ? 0 : dirBytes(buf, fs(c.dir!), fe(c.dir!));
    // NaN in any: `>= 0` is false.
    if (
      !(
        sp >= 0 &&
        dp >= 0 &&
        pr >= 0 &&
        flg >= 0 &&
        pkt >= 0 &&
        byt >= 0 &&
        tos >= 0 &&
        inIf >= 0 &&
        outIf >= 0 &&
        sas >= 0 &&
        das >= 0 &&
        dir >= 0
      )
    )
      return false;
    const nh = c.nh! < 0 ? undefined : addrBytes(buf, fs(c.nh!), fe(c.nh!));
    if (c.nh! >= 0 && !nh) return false;
    const ra = c.ra! < 0 ? undefined : addrBytes(buf, fs(c.ra!), fe(c.ra!));
    if (c.ra! >= 0 && !ra) return false;
    // As in times(): whole seconds, the earliest start consistent with both and the duration.
    const lead = Math.min(999, Math.max(0, teMs - tsMs - durMs));
    const first = tsMs + lead;
    const i = out.add();
    out.ts[i] = first;
    out.te[i] = Math.min(teMs + 999, Math.max(teMs, first + durMs));
    out.setAddr('src', i, src!);
    out.setAddr('dst', i, dst);
    if (nh) out.setAddr('nexthop', i, nh);
    if (ra) out.setAddr('exporter', i, ra);
    out.sport[i] = sp;
    out.dport[i] = dp;
    out.proto[i] = pr;
    out.flags[i] = flg;
    out.packets[i] = pkt;
    out.bytes[i] = byt;
    out.tos[i] = tos;
    out.inIf[i] = inIf;
    out.outIf[i] = outIf;
    out.srcAs[i] = sas;
    out.dstAs[i] = das;
    out.dir[i] = dir;
    return true;
  }

  /** `YYYY-MM-DD hh:mm:ss` (exactly) in the clock's zone, in ms; NaN for any other text. */
  private second(buf: Buffer, s: number, e: number): number {
    if (e - s !== 19) return Number.NaN;
    if (
      buf[s + 4] !== 45 ||
      buf[s + 7] !== 45 ||
      buf[s + 10] !== 32 ||
      buf[s + 13] !== 58 ||
      buf[s + 16] !== 58
    )
      return Number.NaN;
    const d2 = (i: number) => {
      const a = buf[s + i]! - 48;
      const b = buf[s + i + 1]! - 48;
      return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : Number.NaN;
    };
    const y = d2(0) * 100 + d2(2);
    const sec = d2(17);
    if (!(sec <= 60)) return Number.NaN;
    return this.clock.minuteMs(y, d2(5), d2(8), d2(11), d2(14)) + sec * 1000;
  }

  /**
   * Cuts a line at its commas into {@link fields}, keeping the text of the
   * columns read only (a line has 48, a flow needs 17); returns the count.
   */
  private split(text: string): number {
    const want = this.wanted;
    const f = this.fields;
    let n = 0;
    let start = 0;
    for (;;) {
      const comma = text.indexOf(',', start);
      const end = comma < 0 ? text.length : comma;
      if (n < want.length && want[n] === 1) f[n] = text.slice(start, end);
      n++;
      if (comma < 0) return n;
      start = comma + 1;
    }
  }

  /** `fields`: how many a line has (the header's count); fewer is an error, more are ignored. */
  private setColumns(cols: Cols, fields: number): void {
    this.cols = cols;
    this.need = fields;
    this.plain =
      fields === NFDUMP_CSV_COLUMNS.length &&
      Object.entries(DEFAULT_COLS).every(([k, i]) => cols[k as keyof Cols] === i);
    this.wanted = new Uint8Array(fields);
    for (const i of Object.values(cols)) if (i >= 0 && i < fields) this.wanted[i] = 1;
    this.fields = new Array<string>(fields).fill('');
  }

  /** A flow from its fields (`n` of them; only the columns read need be set). */
  private flow(f: string[], n: number, out: FlowBatch): LineOutcome {
    const c = this.cols!;
    if (n < this.need) return { reject: `expected ${this.need} comma-separated fields, found ${n}` };
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
    const tsUs = ts === undefined ? Number.NaN : this.clock.micros(ts);
    const teUs = te === undefined ? Number.NaN : this.clock.micros(te);
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

/** Where the field last read by {@link uintAt}, {@link quad} or {@link wide} ends (its comma). */
let stop = 0;

/** The first comma in `buf[i, end)`; -1 if none. */
function comma(buf: Buffer, i: number, end: number): number {
  for (; i < end; i++) if (buf[i] === 44) return i;
  return -1;
}

/**
 * {@link digits} of the field that starts at `s` and ends at a comma before
 * `end`, read in one pass; the comma's position in {@link stop}. NaN (and
 * {@link stop} somewhere before the field's end) for anything else.
 */
function uintAt(buf: Buffer, s: number, end: number, max: number): number {
  let v = 0;
  let i = s;
  for (; i < end; i++) {
    const d = buf[i]! - 48;
    if (d < 0 || d > 9) break;
    v = v * 10 + d;
  }
  stop = i;
  return i > s && i - s <= 15 && i < end && buf[i] === 44 && v <= max ? v : Number.NaN;
}

/**
 * The plain dotted quad (as {@link addrBytes} reads it) of the field that
 * starts at `s` and ends at a comma before `end`, its comma's position in
 * {@link stop}; -1 for anything else (then see {@link wide}).
 */
function quad(buf: Buffer, s: number, end: number): number {
  let v = 0;
  let part = 0;
  let nd = 0;
  let dots = 0;
  for (let i = s; i < end; i++) {
    const c = buf[i]!;
    if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      if (++nd > 3 || part > 255) return -1;
    } else if (c === 46 && nd > 0 && dots < 3) {
      v = v * 256 + part;
      part = 0;
      nd = 0;
      dots++;
    } else if (c === 44 && dots === 3 && nd > 0) {
      stop = i;
      return (v * 256 + part) >>> 0;
    } else return -1;
  }
  return -1;
}

/** Any other address, as {@link addrBytes} reads it, in the field that starts at `s`; its comma in {@link stop}. */
function wide(buf: Buffer, s: number, end: number): AddrWords | undefined {
  const e = comma(buf, s, end);
  if (e < 0) return undefined;
  stop = e;
  return address(buf.toString('latin1', s, e));
}

/** Writes an address read by {@link quad} (`v4` ≥ 0) or {@link wide} (`w`) at word `j` of a batch column. */
function putAddr(a: Uint32Array, j: number, v4: number, w: AddrWords | undefined): void {
  if (w) {
    a[j] = w[0];
    a[j + 1] = w[1];
    a[j + 2] = w[2];
    a[j + 3] = w[3];
  } else {
    a[j] = 0;
    a[j + 1] = 0;
    a[j + 2] = 0xffff;
    a[j + 3] = v4;
  }
}

/** A 32-bit view of the ArrayBuffer last given to {@link skipCommas}. */
let words: Int32Array<ArrayBufferLike> = new Int32Array(0);
let wordsOf: ArrayBufferLike | undefined;

/**
 * The position just after the `k`-th comma in `buf[i, end)`; -1 if there
 * are fewer. Counts the commas of 4 bytes at a time (aligned 32-bit words
 * of the buffer's memory; a byte is a comma exactly when its bit 7 ends up
 * set below, with no carry between bytes), and finds the last one byte by
 * byte.
 */
function skipCommas(buf: Buffer, i: number, end: number, k: number): number {
  const base = buf.byteOffset;
  for (; i < end && ((base + i) & 3) !== 0; i++) if (buf[i] === 44 && --k === 0) return i + 1;
  if (buf.buffer !== wordsOf) {
    wordsOf = buf.buffer;
    words = new Int32Array(wordsOf, 0, wordsOf.byteLength >>> 2);
  }
  const last = (base + end) >>> 2; // the words wholly before `end`
  let w = (base + i) >>> 2;
  for (; w < last; w++) {
    const x = words[w]! ^ 0x2c2c2c2c; // a comma byte is now 0
    const z = ~(((x & 0x7f7f7f7f) + 0x7f7f7f7f) | x | 0x7f7f7f7f); // bit 7 of each 0 byte
    if (z !== 0) {
      const n = Math.imul((z >>> 7) & 0x01010101, 0x01010101) >>> 24;
      if (n >= k) break;
      k -= n;
    }
  }
  for (i = w * 4 - base; i < end; i++) if (buf[i] === 44 && --k === 0) return i + 1;
  return -1;
}

/** Plain decimal digits (1 to 15 of them) within [0, max]; NaN otherwise ({@link uint}'s fast path). */
function digits(buf: Buffer, s: number, e: number, max: number): number {
  if (e <= s || e - s > 15) return Number.NaN;
  let v = 0;
  for (let i = s; i < e; i++) {
    const d = buf[i]! - 48;
    if (d < 0 || d > 9) return Number.NaN;
    v = v * 10 + d;
  }
  return v <= max ? v : Number.NaN;
}

/** A duration in seconds with up to 3 decimals (`0.720`), as whole ms; NaN for any other text. */
function millis(buf: Buffer, s: number, e: number): number {
  let v = 0;
  let i = s;
  for (; i < e && buf[i] !== 46; i++) {
    const d = buf[i]! - 48;
    if (d < 0 || d > 9) return Number.NaN;
    v = v * 10 + d;
  }
  if (i === s || i - s > 12) return Number.NaN;
  if (i === e) return v * 1000;
  const decimals = e - i - 1;
  if (decimals < 1 || decimals > 3) return Number.NaN;
  let f = 0;
  for (i++; i < e; i++) {
    const d = buf[i]! - 48;
    if (d < 0 || d > 9) return Number.NaN;
    f = f * 10 + d;
  }
  return v * 1000 + f * 10 ** (3 - decimals);
}

/** A port: plain digits, else what {@link port} reads (an ICMP `type.code`). */
function portBytes(buf: Buffer, s: number, e: number): number {
  const v = digits(buf, s, e, 0xffff);
  return Number.isNaN(v) ? port(buf.toString('latin1', s, e)) : v;
}

function dirBytes(buf: Buffer, s: number, e: number): number {
  if (e - s === 1 && buf[s] === 73) return 0; // I
  if (e - s === 1 && buf[s] === 69) return 1; // E
  return digits(buf, s, e, 255);
}

/** An address: a plain dotted quad read from the bytes, else what {@link address} reads. */
function addrBytes(buf: Buffer, s: number, e: number): AddrWords | undefined {
  let v = 0;
  let part = 0;
  let nd = 0;
  let dots = 0;
  for (let i = s; i < e; i++) {
    const c = buf[i]!;
    if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      if (++nd > 3 || part > 255) return address(buf.toString('latin1', s, e));
    } else if (c === 46 && nd > 0 && dots < 3) {
      v = v * 256 + part;
      part = 0;
      nd = 0;
      dots++;
    } else {
      return address(buf.toString('latin1', s, e));
    }
  }
  if (dots !== 3 || nd === 0) return address(buf.toString('latin1', s, e));
  return [0, 0, 0xffff, (v * 256 + part) >>> 0];
}

function badAddress(what: string, text: string): string {
  const hint = text.includes('..')
    ? ' (nfdump abbreviates IPv6 addresses in this format; use -o csv or -6)'
    : '';
  return `${what} address ${JSON.stringify(text.trim())} is not an IP address${hint}`;
}

/** A parser for one file (its header sets the columns), as the format makes one; tests compare its two ways of reading. */
export function nfdumpCsvParser(opts: ReadOptions = {}): LineParser {
  return new NfdumpCsvParser(new WallClock(opts.tz));
}

export const nfdumpCsvFormat: ImportFormat = textFormat({
  name: 'nfdump-csv',
  description: 'output of nfdump -o csv (1.6, 1.7), with or without its header line',
  maxLine: 16 * 1024,
  sniffLine: (line) => isHeader(line) || DATA_LINE.test(line),
  zoneless: true,
  parser: nfdumpCsvParser,
});
