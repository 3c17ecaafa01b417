/**
 * @module Argus bi-directional flows as CSV or TSV: the `.binetflow` files
 * of the CTU-13 botnet captures (`ra -c ,`), and `ra -c '\t'` output.
 *
 * Header `StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,
 * dTos,TotPkts,TotBytes,SrcBytes,Label`; columns are found by name, so other
 * `ra` field lists read as long as StartTime, Proto, SrcAddr and DstAddr are
 * there (a file without a header is read in the order above). The separator
 * is a comma, or a tab when the file's first line holds one.
 *
 * Choices, since an Argus flow is not a NetFlow record:
 * - Times `2011/08/10 09:46:53.047277` are local times, read in `--tz`
 *   (see `times.ts`); epoch seconds (`ra -u`, `1312962413.047277`) are
 *   instants. The end is StartTime + Dur, to the millisecond (microseconds
 *   truncated).
 * - Ports are decimal or hex (`0x0303`); empty is 0. For ICMP and ICMPv6
 *   Argus prints type and code as one number in Sport, the type in the low
 *   byte (`0x0008` echo request, `0x0303` port unreachable), and the ICMP id
 *   in Dport. flowhunt keeps the NetFlow convention: destination port =
 *   type·256+code, source port 0; the id is dropped.
 * - Directions (see `bidir.ts`): with SrcPkts and DstPkts columns a flow
 *   becomes one record per direction with packets (bytes from
 *   SrcBytes/DstBytes, or TotBytes − SrcBytes; ToS from sTos/dTos). Without
 *   them (CTU-13) it is one record from the source with TotPkts/TotBytes,
 *   both directions together; SrcBytes and dTos are then not kept.
 * - State, for TCP only (other protocols' states — `CON`, `INT`, `ECO`,
 *   `URP`, ... — are not TCP flags and give 0):
 *   - `<source flags>_<destination flags>` (`S_RA`, `FSPA_FSPA`, CTU-13's
 *     form): the flag letters F S R P A U E C of each side; one record
 *     takes the OR of both sides, per-direction records their own side's.
 *   - Argus's state words (`ra`'s default) name how far the connection got;
 *     each becomes the flags that state implies, for both directions:
 *     {@link ARGUS_TCP_STATES}: `REQ` (SYN seen, no answer) SYN; `ACC`
 *     (SYN answered by SYN+ACK) and `CON`/`EST` (established) SYN+ACK;
 *     `CLO` (closed by FINs) SYN+ACK+FIN; `FIN` (a FIN seen) FIN+ACK; `RST`
 *     (reset) RST; `TIM` (timed out) and unknown words 0. A word is never
 *     read as letters (`REQ` is not RST+ECE).
 * - Label is kept verbatim in the record's `label`.
 * - Non-IP flows (ARP, LLC, IPX, ...) and Argus management records (`man`,
 *   the probe's start/status/stop reports) have no place in an IP flow
 *   record: they are skipped and counted as such, not rejected.
 */

import type { FlowBatch } from '../flow/batch.js';
import { protocolNumber } from '../flow/names.js';
import { addBiFlow, type Side } from './bidir.js';
import type { ImportFormat } from './format.js';
import { address, type LineOutcome, type LineParser, textFormat, uint } from './text.js';
import { epochMicros, WallClock } from './times.js';

/** CTU-13's column order, for a file without a header. */
const CTU_HEADER =
  'starttime,dur,proto,srcaddr,sport,dir,dstaddr,dport,state,stos,dtos,totpkts,totbytes,srcbytes,label';
const CTU_COLUMNS = CTU_HEADER.split(',');

/** The columns read, lower-cased header names. */
// biome-ignore format: a list, kept compact
const KEYS = [
  'starttime', 'dur', 'proto', 'srcaddr', 'sport', 'dstaddr', 'dport', 'state', 'stos', 'dtos', 'totpkts',
  'totbytes', 'srcpkts', 'dstpkts', 'srcbytes', 'dstbytes', 'label',
] as const;
type Key = (typeof KEYS)[number];
type Cols = Record<Key, number>;

/** Argus protocol names that are not in the shared table, or mean a transport over UDP. */
const ARGUS_PROTOCOLS: Record<string, number> = { rtp: 17, rtcp: 17, udt: 17, 'ipv6-icmp': 58, icmp6: 58 };
/** Argus "protocols" below IP, and its management records. */
const NON_IP = new Set(['arp', 'rarp', 'llc', 'ipx/spx', 'ipx', 'unas', 'esp-ipv6', 'stp', 'lldp', 'man']);

const TCP_LETTERS: Record<string, number> = {
  F: 0x01,
  S: 0x02,
  R: 0x04,
  P: 0x08,
  A: 0x10,
  U: 0x20,
  E: 0x40,
  C: 0x80,
};

/** Argus TCP state words and the TCP flags each implies (see the module comment). */
export const ARGUS_TCP_STATES: Readonly<Record<string, number>> = {
  REQ: 0x02,
  ACC: 0x12,
  CON: 0x12,
  EST: 0x12,
  CLO: 0x13,
  FIN: 0x11,
  RST: 0x04,
  TIM: 0,
};

const DATA_LINE = /^\s*\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?[,\t]/;
const LETTERS = /^[FSRPAUEC]*(_[FSRPAUEC]*)?$/;

function names(line: string, sep: string): string[] {
  return line.split(sep).map((s) => s.trim().toLowerCase());
}

function isHeader(line: string, sep: string): boolean {
  const n = names(line, sep);
  return n.includes('starttime') && n.includes('srcaddr');
}

function columnsOf(header: string, sep: string): Cols | undefined {
  const n = names(header, sep);
  const cols = Object.fromEntries(KEYS.map((k) => [k, n.indexOf(k)])) as Cols;
  return cols.starttime >= 0 && cols.proto >= 0 && cols.srcaddr >= 0 && cols.dstaddr >= 0 ? cols : undefined;
}

const DEFAULT_COLS = Object.fromEntries(KEYS.map((k) => [k, CTU_COLUMNS.indexOf(k)])) as Cols;

/** A port: decimal, `0x` hex, or empty (0). */
function port(text: string): number {
  const t = text.trim();
  if (t === '') return 0;
  if (/^0x[0-9a-f]{1,4}$/i.test(t)) return Number.parseInt(t.slice(2), 16);
  return uint(t, 0xffff);
}

/**
 * The TCP flags of an Argus TCP state, for the source and the destination
 * side: a state word's flags for both, or each side's flag letters.
 */
export function stateSides(state: string): readonly [number, number] {
  let v = STATE_CACHE.get(state);
  if (v === undefined) {
    v = parseState(state.trim());
    if (STATE_CACHE.size >= 4096) STATE_CACHE.clear(); // a file has a few dozen distinct states
    STATE_CACHE.set(state, v);
  }
  return v;
}

const STATE_CACHE = new Map<string, readonly [number, number]>();

function parseState(t: string): readonly [number, number] {
  const word = ARGUS_TCP_STATES[t.toUpperCase()];
  if (word !== undefined) return [word, word];
  if (!LETTERS.test(t)) return [0, 0];
  const [a = '', b = ''] = t.split('_');
  const or = (s: string) => {
    let v = 0;
    for (const ch of s) v |= TCP_LETTERS[ch] ?? 0;
    return v;
  };
  return [or(a), or(b)];
}

/** The TCP flags of an Argus TCP state, both sides together. */
export function stateFlags(state: string): number {
  const [a, b] = stateSides(state);
  return a | b;
}

class BinetflowParser implements LineParser {
  private cols: Cols | undefined;
  private need = 0;
  private sep: string | undefined;
  private readonly clock: WallClock;

  constructor(clock: WallClock) {
    this.clock = clock;
  }

  line(text: string, _no: number, out: FlowBatch): LineOutcome {
    const t = text.trim();
    if (t === '') return undefined;
    this.sep ??= text.includes('\t') ? '\t' : ',';
    // Data lines start with a time (a digit): only other lines can be a header.
    const c0 = t.charCodeAt(0);
    if (!(c0 >= 48 && c0 <= 57) && isHeader(t, this.sep)) {
      const cols = columnsOf(t, this.sep);
      if (!cols) return { reject: 'binetflow header without StartTime, Proto, SrcAddr and DstAddr' };
      this.setColumns(cols, t.split(this.sep).length);
      return undefined;
    }
    if (!this.cols) this.setColumns(DEFAULT_COLS, CTU_COLUMNS.length);
    return this.flow(text.split(this.sep), out);
  }

  /** `width`: the header's number of columns, which every line must have (more only when Label is last). */
  private setColumns(cols: Cols, width: number): void {
    this.cols = cols;
    this.need = width;
  }

  private flow(f: string[], out: FlowBatch): LineOutcome {
    const c = this.cols!;
    const sepName = this.sep === '\t' ? 'tab' : 'comma';
    // Management and non-IP records are skipped whatever else they hold.
    const protoText = (f[c.proto] ?? '').trim().toLowerCase();
    if (NON_IP.has(protoText)) return { skip: protoText };
    // The label is last and may itself hold separators: join what is left.
    if (f.length > this.need && c.label === this.need - 1) f[c.label] = f.slice(c.label).join(this.sep);
    if (f.length !== this.need && !(f.length > this.need && c.label === this.need - 1))
      return { reject: `expected ${this.need} ${sepName}-separated fields, found ${f.length}` };
    const get = (k: Key): string => (c[k] >= 0 ? f[c[k]]!.trim() : '');

    const proto = /^\d+$/.test(protoText)
      ? uint(protoText, 255)
      : (ARGUS_PROTOCOLS[protoText] ?? protocolNumber(protoText) ?? Number.NaN);
    if (Number.isNaN(proto)) return { reject: `unknown protocol ${JSON.stringify(get('proto'))}` };

    const st = get('starttime');
    // `ra -u` prints epoch seconds: an instant, no zone needed.
    const startUs = /^\d+(\.\d+)?$/.test(st) ? epochMicros(st) : this.clock.micros(st);
    if (Number.isNaN(startUs))
      return { reject: `StartTime ${JSON.stringify(get('starttime'))} is not a time` };
    const durText = get('dur');
    if (durText !== '' && !/^\d{1,12}(\.\d{1,9})?$/.test(durText))
      return { reject: `Dur ${JSON.stringify(durText)} is not valid` };
    const durUs = durText === '' ? 0 : Math.round(Number(durText) * 1e6);

    const src = address(get('srcaddr'));
    if (!src) return { reject: `SrcAddr ${JSON.stringify(get('srcaddr'))} is not an IP address` };
    const dst = address(get('dstaddr'));
    if (!dst) return { reject: `DstAddr ${JSON.stringify(get('dstaddr'))} is not an IP address` };
    let sport = port(get('sport'));
    if (Number.isNaN(sport)) return { reject: `Sport ${JSON.stringify(get('sport'))} is not a port` };
    let dport = port(get('dport'));
    if (Number.isNaN(dport)) return { reject: `Dport ${JSON.stringify(get('dport'))} is not a port` };
    if (proto === 1 || proto === 58) {
      dport = ((sport & 0xff) << 8) | (sport >> 8); // Argus: type in the low byte; NetFlow: type·256+code
      sport = 0;
    }
    const count = (k: Key, name: string, max = Number.MAX_SAFE_INTEGER): number | string => {
      const s = get(k);
      if (s === '') return 0;
      const v = uint(s, max);
      return Number.isNaN(v)
        ? `${name} ${JSON.stringify(s)} is not ${max === 255 ? 'a ToS byte' : 'a count'}`
        : v;
    };
    const split = c.srcpkts >= 0 && c.dstpkts >= 0;
    const vals = split
      ? [
          count('srcpkts', 'SrcPkts'),
          count('dstpkts', 'DstPkts'),
          count('srcbytes', 'SrcBytes'),
          c.dstbytes >= 0 ? count('dstbytes', 'DstBytes') : count('totbytes', 'TotBytes'),
        ]
      : [count('totpkts', 'TotPkts'), 0, count('totbytes', 'TotBytes'), 0];
    vals.push(count('stos', 'sTos', 255), split ? count('dtos', 'dTos', 255) : 0);
    const bad = vals.find((v) => typeof v === 'string');
    if (bad !== undefined) return { reject: bad as string };
    const [p1, p2, b1, b2raw, tos1, tos2] = vals as number[];
    let b2 = b2raw!;
    if (split && c.dstbytes < 0) {
      // Only TotBytes and SrcBytes: the destination's bytes are the rest.
      if (c.srcbytes < 0 || b2 < b1!)
        return { reject: 'DstBytes missing and TotBytes − SrcBytes is not a count' };
      b2 -= b1!;
    }
    const [fl1, fl2] = proto === 6 ? stateSides(get('state')) : ([0, 0] as const);
    const label = get('label');
    const flow = {
      tsMs: Math.floor(startUs / 1000),
      teMs: Math.floor((startUs + durUs) / 1000),
      src,
      dst,
      sport,
      dport,
      proto,
      ...(label !== '' ? { label } : {}),
    };
    if (split)
      addBiFlow(
        out,
        flow,
        { packets: p1!, bytes: b1!, flags: fl1, tos: tos1! },
        { packets: p2!, bytes: b2, flags: fl2, tos: tos2! },
      );
    else addBiFlow(out, flow, { packets: p1!, bytes: b1!, flags: fl1 | fl2, tos: tos1! } satisfies Side);
    return undefined;
  }
}

export const binetflowFormat: ImportFormat = textFormat({
  name: 'binetflow',
  description: 'Argus bi-directional flows as CSV or TSV (CTU-13 .binetflow), labels kept',
  maxLine: 16 * 1024,
  zoneless: true,
  sniffLine: (line) => isHeader(line, line.includes('\t') ? '\t' : ',') || DATA_LINE.test(line),
  parser: (opts) => new BinetflowParser(new WallClock(opts.tz)),
});
