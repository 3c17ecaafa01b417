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
import { CsvScanner, SCAN_MINUTE } from './nfdump-csv-scan.js';
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

/** What {@link NfdumpCsvParser.plainLine} does with each of the first 24 columns. */
const K_SKIP = 0;
const K_UINT = 1;
const K_ADDR = 2;
const K_TIME = 3;
const K_DUR = 4;
const K_PORT = 5;
const K_PROTO = 6;
const K_FLAGS = 7;
const K_DIR = 8;
const columnNo = (name: string) => NFDUMP_CSV_COLUMNS.indexOf(name);
const F_TS = columnNo('ts');
const F_TE = columnNo('te');
const F_TD = columnNo('td');
const F_SA = columnNo('sa');
const F_DA = columnNo('da');
const F_SP = columnNo('sp');
const F_DP = columnNo('dp');
const F_PR = columnNo('pr');
const F_FLG = columnNo('flg');
const F_STOS = columnNo('stos');
const F_IPKT = columnNo('ipkt');
const F_IBYT = columnNo('ibyt');
const F_IN = columnNo('in');
const F_OUT = columnNo('out');
const F_SAS = columnNo('sas');
const F_DAS = columnNo('das');
const F_DIR = columnNo('dir');
const F_NH = columnNo('nh');
/** The columns up to `nh`, read one by one; the rest up to `ra` are skipped by counting commas. */
const FRONT = F_NH + 1;
const KIND = new Uint8Array(FRONT); // K_SKIP unless set below
/** The largest value of each K_UINT and K_PORT column. */
const MAX = new Float64Array(FRONT);
for (const f of [F_TS, F_TE]) KIND[f] = K_TIME;
KIND[F_TD] = K_DUR;
for (const f of [F_SA, F_DA, F_NH]) KIND[f] = K_ADDR;
for (const f of [F_SP, F_DP]) {
  KIND[f] = K_PORT;
  MAX[f] = 0xffff;
}
KIND[F_PR] = K_PROTO;
KIND[F_FLG] = K_FLAGS;
KIND[F_DIR] = K_DIR;
for (const [f, max] of [
  [F_STOS, 255],
  [F_IPKT, MAX_COUNTER],
  [F_IBYT, MAX_COUNTER],
  [F_IN, 0xffffffff],
  [F_OUT, 0xffffffff],
  [F_SAS, 0xffffffff],
  [F_DAS, 0xffffffff],
] as const) {
  KIND[f] = K_UINT;
  MAX[f] = max;
}
/** The first column of the run that {@link NfdumpCsvParser.plainLine} compares with the last line's (`smk`). */
const F_MEMO = columnNo('smk');
/** The longest such run remembered, in bytes (nfdump prints about 230). */
const MEMO_MAX = 512;
/** ms per unit of a duration's decimals, by their count. */
const DECIMAL_MS = [0, 100, 10, 1];

class NfdumpCsvParser implements LineParser {
  private cols: Cols | undefined;
  private need = 0;
  /** The columns are those of `nfdump -o csv`, in its order: {@link plainLine} reads the lines. */
  private plain = false;
  private summaryLines = 0;
  /** 1 for the columns a flow is read from. */
  private wanted = new Uint8Array(0);
  /** The fields of the line being read (see {@link split}). */
  private fields: string[] = [];

  /** The WebAssembly reader of runs of plain lines (see {@link run}); undefined where it is not built. */
  private readonly scanner: CsvScanner | undefined;
  /** The memory the file is read into: the scanner's, so that it reads the lines where they are. */
  readonly readBuffer: Buffer | undefined;

  constructor(private readonly clock: WallClock) {
    this.scanner = CsvScanner.make(FLAG_BIT);
    this.readBuffer = this.scanner?.input;
  }

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
    return this.plain
      ? this.plainLine(buf, start, end, out, false) === end
      : this.anyBytes(buf, start, end, out);
  }

  /**
   * {@link LineParser.lineAt}: the plain lines of nfdump's own 48 columns
   * (see {@link plainLine}), found and read in one pass; any other line is
   * left to {@link bytes} and {@link line}.
   */
  lineAt(buf: Buffer, start: number, limit: number, out: FlowBatch): number {
    if (!this.plain || this.summaryLines > 0) return -1;
    const c0 = buf[start]!;
    if (c0 < 48 || c0 > 57) return -1;
    return this.plainLine(buf, start, limit, out, true);
  }

  /**
   * {@link LineParser.run}: the plain lines from `start` on read by the
   * WebAssembly reader, the same flows {@link plainLine} reads from them,
   * until a line it does not read (then {@link lineAt} reads it, which
   * gives the reader the fields `smk`..`exid` to expect next), at most
   * `room` of them; where it stopped. It asks for the instant of each new
   * minute, which {@link second} works out here.
   */
  run(buf: Buffer, start: number, end: number, maxLine: number, out: FlowBatch, room: number): number {
    const sc = this.scanner;
    if (!sc || !this.plain || this.summaryLines > 0 || this.memoLen === 0 || !sc.holds(buf)) return start;
    if (this.memoSynced !== this.memoVersion) {
      const words = this.memoWords;
      const tail = this.memoTail;
      const whole = this.memoLen & ~3;
      sc.setMemo(this.memoLen, (k) => (k < whole ? (words[k >> 2]! >>> ((k & 3) * 8)) & 0xff : tail[k]!));
      this.memoSynced = this.memoVersion;
    }
    let p = start;
    let asks = 0;
    for (;;) {
      const n = sc.scan(buf, p, end, maxLine, room);
      if (n > 0) {
        const r = sc.put(out, n);
        this.putMemo(out, r, n);
        room -= n;
        asks = 0;
      }
      p = sc.stop(buf);
      // A minute it does not know: once it is told, it asks again only when the line's other time is also new.
      if (sc.why() !== SCAN_MINUTE || room <= 0 || ++asks > 2) return p;
      const at = sc.asked(buf);
      const ms = this.second(buf, at, at + 19);
      if (Number.isNaN(ms)) return p; // the line is not read here either; plainLine says why
      sc.learn(buf, at, ms - ((buf[at + 17]! - 48) * 10 + (buf[at + 18]! - 48)) * 1000);
    }
  }

  /** Rows `[r, r + n)` have the memo's `dir`, `nh` and `ra` (fields the scanner reads only as the memo's bytes). */
  private putMemo(out: FlowBatch, r: number, n: number): void {
    out.dir.fill(this.memoDir, r, r + n);
    for (let i = r; i < r + n; i++) {
      const j = i * 4;
      putAddr(out.nexthop, j, this.memoNh4, this.memoNhW);
      putAddr(out.exporter, j, this.memoRa4, this.memoRaW);
    }
  }

  /**
   * Reads a line of the 48 columns of `nfdump -o csv` in their order (no
   * header, or nfdump's own) in one pass: each field read is parsed as its
   * end is found, the other fields are skipped, and the 20 unread middle
   * columns are counted over 4 bytes at a time. A line needs at least 48
   * fields (more are ignored), so it is enough to find the 3 commas after
   * `ra` (field 44). The line starts at `start`; with `lf` it ends at the
   * first LF before `limit` (a CR before it is in the last field, which is
   * not read), else it is `buf[start, limit)`. Returns where it ends (the LF,
   * or `limit`), or -1, leaving `out` untouched, for a line with fewer
   * fields, a field the bytes do not read, or no LF: the text reader then
   * reads it and says why.
   */
  private plainLine(buf: Buffer, start: number, limit: number, out: FlowBatch, lf: boolean): number {
    if (buf !== this.viewOf) {
      this.viewOf = buf;
      this.view = new DataView(buf.buffer, buf.byteOffset, buf.length);
    }
    const view = this.view;
    const end = limit;
    // The front fields (0-23) in one loop, each parsed inline in its common
    // form; any other form goes to slowField() (one call, so that the code
    // compiled for this loop stays small and is not thrown away each time
    // a new kind of value first turns up). Any field that does not read
    // declines the line.
    const vals = this.vals;
    let srcW: AddrWords | undefined;
    let dstW: AddrWords | undefined;
    let nhW: AddrWords | undefined;
    let memoFrom = -1; // where fields smk.. start, when not as in the memo
    let i = start;
    for (let f = 0; f < FRONT; f++) {
      const s = i;
      if (f === F_MEMO) {
        const m = this.memoLen;
        if (m > 0 && i + m <= end && sameBytes(view, i, this.memoWords, this.memoTail, m)) break;
        memoFrom = i;
      }
      let ok = false;
      switch (KIND[f]) {
        case K_UINT:
        case K_PORT: {
          if (i + 1 < end && view.getUint16(i, true) === ZERO_COMMA) {
            vals[f] = 0;
            i++;
            ok = true;
            break;
          }
          let v = 0;
          for (; i < end; i++) {
            const d = buf[i]! - 48;
            if (d >>> 0 > 9) break;
            v = v * 10 + d;
          }
          if (i > s && i - s <= 15 && i < end && buf[i] === 44 && v <= MAX[f]!) {
            vals[f] = v;
            ok = true;
          }
          break;
        }
        case K_SKIP:
          if (i + 1 < end && view.getUint16(i, true) === ZERO_COMMA) {
            i++;
            ok = true;
            break;
          }
          i = comma(buf, i, end);
          if (i < 0) return -1;
          ok = true;
          break;
        case K_ADDR: {
          // A plain dotted quad (as addrBytes reads it): 4 parts of 1 to 3 digits, each ≤ 255.
          let v = 0;
          let part = 0;
          let from = i; // where the part starts
          let dots = 0;
          for (; i < end; i++) {
            const d = buf[i]! - 48;
            if (d >>> 0 <= 9) {
              part = part * 10 + d;
              continue;
            }
            if (d !== -2 || dots === 3 || i === from || i - from > 3 || part > 255) break; // not a `.` ending a part
            v = v * 256 + part;
            part = 0;
            from = i + 1;
            dots++;
          }
          if (i < end && buf[i] === 44 && dots === 3 && i > from && i - from <= 3 && part <= 255) {
            vals[f] = (v * 256 + part) >>> 0;
            ok = true;
          }
          break;
        }
        case K_TIME: {
          // `YYYY-MM-DD hh:mm:ss` exactly, as second() reads it.
          if (i + 19 >= end || buf[i + 19] !== 44) return -1;
          let ms: number;
          if (
            view.getInt32(i, true) === this.minute0 &&
            view.getInt32(i + 4, true) === this.minute1 &&
            view.getInt32(i + 8, true) === this.minute2 &&
            view.getInt32(i + 12, true) === this.minute3
          ) {
            // The minute of the last time read: only `:ss` is new.
            const a = buf[i + 17]! - 48;
            const b = buf[i + 18]! - 48;
            if (buf[i + 16] !== 58 || a < 0 || a > 9 || b < 0 || b > 9 || a * 10 + b > 60) return -1;
            ms = this.minuteMs + (a * 10 + b) * 1000;
          } else {
            ms = this.second(buf, i, i + 19);
            if (Number.isNaN(ms)) return -1;
            this.minute0 = view.getInt32(i, true);
            this.minute1 = view.getInt32(i + 4, true);
            this.minute2 = view.getInt32(i + 8, true);
            this.minute3 = view.getInt32(i + 12, true);
            this.minuteMs = ms - (buf[i + 17]! - 48) * 10_000 - (buf[i + 18]! - 48) * 1000;
          }
          vals[f] = ms;
          i += 19;
          ok = true;
          break;
        }
        case K_DUR: {
          // Seconds with up to 3 decimals, as millis() reads them.
          let v = 0;
          let c = 0;
          for (; i < end; i++) {
            c = buf[i]!;
            if (c === 46 || c === 44) break;
            const d = c - 48;
            if (d < 0 || d > 9) return -1;
            v = v * 10 + d;
          }
          if (i === s || i - s > 12 || i >= end) return -1;
          if (c === 46) {
            const fs = ++i;
            let frac = 0;
            for (; i < end; i++) {
              c = buf[i]!;
              if (c === 44) break;
              const d = c - 48;
              if (d < 0 || d > 9) return -1;
              frac = frac * 10 + d;
            }
            if (i - fs < 1 || i - fs > 3 || i >= end) return -1;
            vals[f] = v * 1000 + frac * DECIMAL_MS[i - fs]!;
          } else vals[f] = v * 1000;
          ok = true;
          break;
        }
        case K_PROTO:
          if (i + 3 < end && buf[i + 3] === 44 && buf[i + 2] === 0x50) {
            if (buf[i] === 0x54 && buf[i + 1] === 0x43) {
              vals[f] = 6; // TCP
              i += 3;
              ok = true;
            } else if (buf[i] === 0x55 && buf[i + 1] === 0x44) {
              vals[f] = 17; // UDP
              i += 3;
              ok = true;
            }
          }
          break;
        case K_FLAGS: {
          // Letters and dots.
          let v = 0;
          for (; i < end; i++) {
            const c = buf[i]!;
            if (c === 44) break;
            if (c === 46) continue;
            const bit = FLAG_BIT[c]!;
            if (bit === 0) break;
            v |= bit;
          }
          if (i < end && buf[i] === 44) {
            vals[f] = v;
            ok = true;
          }
          break;
        }
        case K_DIR:
          if (i + 1 < end && buf[i + 1] === 44 && (buf[i] === 73 || buf[i] === 69)) {
            vals[f] = buf[i] === 73 ? 0 : 1; // I, E
            i++;
            ok = true;
          }
          break;
      }
      if (!ok) {
        const v = this.slowField(f, buf, s, end);
        if (Number.isNaN(v)) return -1;
        vals[f] = v;
        if (v < 0) {
          if (f === F_SA) srcW = this.slowW;
          else if (f === F_DA) dstW = this.slowW;
          else nhW = this.slowW;
        }
        i = stop;
      }
      i++; // past the comma
    }
    const sp = vals[F_SP]!;
    const dp = vals[F_DP]!;
    const pr = vals[F_PR]!;
    const flg = vals[F_FLG]!;
    // NaN from a helper: `>= 0` is false.
    if (!(sp >= 0 && dp >= 0 && pr >= 0 && flg >= 0)) return -1;
    if (memoFrom < 0) {
      // smk .. exid as in the memo: the same values, and tr starts after them.
      vals[F_DIR] = this.memoDir;
      vals[F_NH] = this.memoNh4;
      nhW = this.memoNhW;
      i += this.memoLen;
    } else {
      i = this.tail(buf, view, i, end, memoFrom, nhW);
      if (i < 0) return -1;
    }
    const last = lf ? lineFeed(buf, view, i, end) : end;
    if (last < 0) return -1;

    // As in times(): whole seconds, the earliest start consistent with both and the duration.
    const tsMs = vals[F_TS]!;
    const teMs = vals[F_TE]!;
    const durMs = vals[F_TD]!;
    if (Number.isNaN(tsMs) || Number.isNaN(teMs)) return -1;
    const lead = Math.min(999, Math.max(0, teMs - tsMs - durMs));
    const first = tsMs + lead;
    const r = out.add();
    out.ts[r] = first;
    out.te[r] = Math.min(teMs + 999, Math.max(teMs, first + durMs));
    const j = r * 4;
    putAddr(out.src, j, vals[F_SA]!, srcW);
    putAddr(out.dst, j, vals[F_DA]!, dstW);
    putAddr(out.nexthop, j, vals[F_NH]!, nhW);
    putAddr(out.exporter, j, this.memoRa4, this.memoRaW);
    out.sport[r] = sp;
    out.dport[r] = dp;
    out.proto[r] = pr;
    out.flags[r] = flg;
    out.packets[r] = vals[F_IPKT]!;
    out.bytes[r] = vals[F_IBYT]!;
    out.tos[r] = vals[F_STOS]!;
    out.inIf[r] = vals[F_IN]!;
    out.outIf[r] = vals[F_OUT]!;
    out.srcAs[r] = vals[F_SAS]!;
    out.dstAs[r] = vals[F_DAS]!;
    out.dir[r] = vals[F_DIR]!;
    return last;
  }

  /**
   * A front field of {@link plainLine} not in its common form, read by the
   * helpers the generic path uses; the comma that ends it in {@link stop}.
   * NaN: it does not read (the line is declined). An address that is not a
   * plain dotted quad is -1, its words in {@link slowW}.
   */
  private slowField(f: number, buf: Buffer, s: number, end: number): number {
    const e = comma(buf, s, end);
    if (e < 0) return Number.NaN;
    stop = e;
    switch (KIND[f]) {
      case K_PORT:
        return portBytes(buf, s, e); // an ICMP type.code
      case K_ADDR: {
        const w = address(buf.toString('latin1', s, e));
        if (!w) return Number.NaN;
        this.slowW = w;
        return -1;
      }
      case K_PROTO:
        return protocolBytes(buf, s, e) ?? protocol(buf.toString('latin1', s, e)) ?? Number.NaN;
      case K_FLAGS:
        return tcpFlags(buf.toString('latin1', s, e)); // hex
      case K_DIR:
        return digits(buf, s, e, 255);
      default:
        return Number.NaN; // a count: plain digits only
    }
  }

  /** The address words of the last address {@link slowField} read. */
  private slowW: AddrWords | undefined;

  /**
   * Fields `nhb` to `exid` of a line whose fields from `smk` (at `from`) are
   * not those of the memo: skips the 20 unread ones, reads `ra`, and finds
   * the 2 fields after it; returns where `tr` starts (-1: the line does
   * not read), having put the bytes from `from` and their values (`dir`,
   * `nh` as read, `ra`) in the memo.
   */
  private tail(
    buf: Buffer,
    view: DataView,
    i: number,
    end: number,
    from: number,
    nhW: AddrWords | undefined,
  ): number {
    i = skipCommas(buf, view, i, end, 20);
    if (i < 0) return -1;
    let ra4 = quad(buf, i, end);
    let raW: AddrWords | undefined;
    if (ra4 < 0) {
      raW = wide(buf, i, end);
      if (!raW) return -1;
      ra4 = -1;
    }
    i = comma(buf, stop + 1, end);
    if (i >= 0) i = comma(buf, i + 1, end);
    if (i < 0) return -1;
    i++; // tr
    // These bytes read as these values: remember them for the next line.
    const m = i - from;
    this.memoLen = m <= MEMO_MAX ? m : 0;
    if (m <= MEMO_MAX) remember(view, from, this.memoWords, this.memoTail, m);
    this.memoDir = this.vals[F_DIR]!;
    this.memoNh4 = this.vals[F_NH]!;
    this.memoNhW = nhW;
    this.memoRa4 = ra4;
    this.memoRaW = raW;
    this.memoVersion++;
    return i;
  }

  /** The values of the front fields of the line being read by {@link plainLine}, by column. */
  private vals = new Float64Array(FRONT);
  /**
   * The bytes of fields `smk` to `exid` (19-46, each with its comma) of the
   * last line {@link plainLine} read them from, and what they read as: in
   * most files these columns (masks, next hop, VLANs, MACs, MPLS, latencies,
   * exporter) are the same line after line, so one compare of the bytes
   * stands for reading them. 0 bytes: none.
   */
  private memoWords = new Int32Array(MEMO_MAX / 4);
  private memoTail = new Uint8Array(MEMO_MAX);
  private memoLen = 0;
  private memoDir = 0;
  private memoNh4 = 0;
  private memoNhW: AddrWords | undefined;
  private memoRa4 = 0;
  private memoRaW: AddrWords | undefined;
  /** Counts the memos made; the one the scanner has ({@link run}). */
  private memoVersion = 0;
  private memoSynced = -1;
  /** A view of the buffer last read by {@link plainLine}, for reading 2 or 4 bytes at once. */
  private view: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));
  private viewOf: Buffer | undefined;
  /**
   * The first 16 bytes (`YYYY-MM-DD hh:mm`) of the last time {@link second}
   * read in {@link plainLine}, as 4 words, and that minute's instant: a time
   * in the same minute needs its seconds only.
   */
  private minute0 = 0;
  private minute1 = 0;
  private minute2 = 0;
  private minute3 = 0;
  private minuteMs = Number.NaN;

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

/** Where the field last read by {@link quad} or {@link wide} ends (its comma). */
let stop = 0;

/**
 * Whether `view[i, i + m)` holds the bytes of a memo of `m` bytes: its
 * whole 32-bit words as read by {@link remember} in `words`, the bytes
 * after them in `tail`.
 */
function sameBytes(view: DataView, i: number, words: Int32Array, tail: Uint8Array, m: number): boolean {
  let k = 0;
  for (; k + 16 <= m; k += 16) {
    const w = k >> 2;
    if (
      view.getInt32(i + k, true) !== words[w] ||
      view.getInt32(i + k + 4, true) !== words[w + 1] ||
      view.getInt32(i + k + 8, true) !== words[w + 2] ||
      view.getInt32(i + k + 12, true) !== words[w + 3]
    )
      return false;
  }
  for (; k + 4 <= m; k += 4) if (view.getInt32(i + k, true) !== words[k >> 2]) return false;
  for (; k < m; k++) if (view.getUint8(i + k) !== tail[k]) return false;
  return true;
}

/** Puts `view[from, from + m)` in a memo for {@link sameBytes}. */
function remember(view: DataView, from: number, words: Int32Array, tail: Uint8Array, m: number): void {
  let k = 0;
  for (; k + 4 <= m; k += 4) words[k >> 2] = view.getInt32(from + k, true);
  for (; k < m; k++) tail[k] = view.getUint8(from + k);
}

/** `0,` read as a little-endian 16-bit word: the commonest field. */
const ZERO_COMMA = 0x2c30;

/** The first comma in `buf[i, end)`; -1 if none, or if a line feed comes first (the line ends there). */
function comma(buf: Buffer, i: number, end: number): number {
  for (; i < end; i++) {
    const c = buf[i];
    if (c === 44) return i;
    if (c === 10) return -1;
  }
  return -1;
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

/** Bit 7 of each byte of `x` that is 0, and no other bit (no carry between bytes). */
function zeroBytes(x: number): number {
  return ~(((x & 0x7f7f7f7f) + 0x7f7f7f7f) | 0 | x | 0x7f7f7f7f);
}

/**
 * The position just after the `k`-th comma in `buf[i, end)`; -1 if there
 * are fewer, or a line feed comes first. Counts the commas 4 bytes at a
 * time, and finds the last one byte by byte. `view` is a DataView of `buf`.
 */
function skipCommas(buf: Buffer, view: DataView, i: number, end: number, k: number): number {
  // 16 bytes a turn while no line feed is among them and fewer than k commas are.
  for (; i + 16 <= end; i += 16) {
    const w0 = view.getInt32(i, true);
    const w1 = view.getInt32(i + 4, true);
    const w2 = view.getInt32(i + 8, true);
    const w3 = view.getInt32(i + 12, true);
    if (
      (zeroBytes(w0 ^ 0x0a0a0a0a) |
        zeroBytes(w1 ^ 0x0a0a0a0a) |
        zeroBytes(w2 ^ 0x0a0a0a0a) |
        zeroBytes(w3 ^ 0x0a0a0a0a)) !==
      0
    )
      break;
    const ones =
      ((zeroBytes(w0 ^ 0x2c2c2c2c) >>> 7) & 0x01010101) +
      ((zeroBytes(w1 ^ 0x2c2c2c2c) >>> 7) & 0x01010101) +
      ((zeroBytes(w2 ^ 0x2c2c2c2c) >>> 7) & 0x01010101) +
      ((zeroBytes(w3 ^ 0x2c2c2c2c) >>> 7) & 0x01010101);
    const n = Math.imul(ones, 0x01010101) >>> 24;
    if (n >= k) break;
    k -= n;
  }
  for (; i + 4 <= end; i += 4) {
    const w = view.getInt32(i, true);
    if (zeroBytes(w ^ 0x0a0a0a0a) !== 0) break; // a line feed: look byte by byte
    const z = zeroBytes(w ^ 0x2c2c2c2c);
    if (z !== 0) {
      const n = Math.imul((z >>> 7) & 0x01010101, 0x01010101) >>> 24;
      if (n >= k) break;
      k -= n;
    }
  }
  for (; i < end; i++) {
    const c = buf[i];
    if (c === 44) {
      if (--k === 0) return i + 1;
    } else if (c === 10) return -1;
  }
  return -1;
}

/** The first line feed in `buf[i, end)`, 4 bytes at a time; -1 if none. `view` is a DataView of `buf`. */
function lineFeed(buf: Buffer, view: DataView, i: number, end: number): number {
  for (; i + 4 <= end; i += 4) if (zeroBytes(view.getInt32(i, true) ^ 0x0a0a0a0a) !== 0) break;
  for (; i < end; i++) if (buf[i] === 10) return i;
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
