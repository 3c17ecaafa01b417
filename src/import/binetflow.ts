/**
 * @module Argus bi-directional flows as CSV: the `.binetflow` files of the
 * CTU-13 botnet captures (`ra -c ,` output).
 *
 * Header `StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,
 * dTos,TotPkts,TotBytes,SrcBytes,Label`; columns are found by name, so other
 * `ra` field lists read as long as StartTime, Proto, SrcAddr and DstAddr are
 * there (a file without a header is read in the order above).
 *
 * Choices, since an Argus flow is not a NetFlow record:
 * - Times `2011/08/10 09:46:53.047277` are local times (see `times.ts`);
 *   the end is StartTime + Dur, to the millisecond (microseconds truncated).
 * - Ports are decimal or hex (`0x0303`); empty is 0. For ICMP and ICMPv6
 *   Argus prints type and code as one number in Sport, the type in the low
 *   byte (`0x0008` echo request, `0x0303` port unreachable), and the ICMP id
 *   in Dport. flowhunt keeps the NetFlow convention: destination port =
 *   type·256+code, source port 0; the id is dropped.
 * - TotPkts/TotBytes count both directions of the bi-flow and become the
 *   packet/octet counts; SrcBytes and dTos are not kept.
 * - State for TCP is `<source flags>_<destination flags>` (`S_RA`,
 *   `FSPA_FSPA`): tcpControlBits is the OR of the flag letters of both
 *   sides (S, A, P, F, R, U, E, C). Other protocols' states (`CON`, `INT`,
 *   `ECO`, `URP`, ...) are not TCP flags and give 0.
 * - Label is kept verbatim in the record's `label`.
 * - Non-IP flows (ARP, LLC, IPX, ...) have no place in an IP flow record:
 *   they are skipped and counted as such, not rejected.
 */

import type { FlowBatch } from '../flow/batch.js';
import { protocolNumber } from '../flow/names.js';
import type { ImportFormat } from './format.js';
import { address, type LineOutcome, type LineParser, textFormat, uint } from './text.js';
import { localTimeMicros } from './times.js';

/** CTU-13's column order, for a file without a header. */
const CTU_HEADER =
  'starttime,dur,proto,srcaddr,sport,dir,dstaddr,dport,state,stos,dtos,totpkts,totbytes,srcbytes,label';
const CTU_COLUMNS = CTU_HEADER.split(',');

/** The columns read, lower-cased header names. */
// biome-ignore format: a list, kept compact
const KEYS = [
  'starttime', 'dur', 'proto', 'srcaddr', 'sport', 'dstaddr', 'dport', 'state', 'stos', 'totpkts', 'totbytes', 'label',
] as const;
type Key = (typeof KEYS)[number];
type Cols = Record<Key, number>;

/** Argus protocol names that are not in the shared table, or mean a transport over UDP. */
const ARGUS_PROTOCOLS: Record<string, number> = { rtp: 17, rtcp: 17, udt: 17, 'ipv6-icmp': 58, icmp6: 58 };
/** Argus "protocols" below IP. */
const NON_IP = new Set(['arp', 'rarp', 'llc', 'ipx/spx', 'ipx', 'unas', 'esp-ipv6', 'stp', 'lldp']);

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

const DATA_LINE = /^\s*\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?,/;

function isHeader(line: string): boolean {
  const names = line.split(',').map((s) => s.trim().toLowerCase());
  return names.includes('starttime') && names.includes('srcaddr');
}

function columnsOf(header: string): Cols | undefined {
  const names = header.split(',').map((s) => s.trim().toLowerCase());
  const cols = Object.fromEntries(KEYS.map((k) => [k, names.indexOf(k)])) as Cols;
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

/** The OR of the TCP flag letters on both sides of an Argus TCP state. */
export function stateFlags(state: string): number {
  let v = 0;
  for (const ch of state) v |= TCP_LETTERS[ch] ?? 0;
  return v;
}

class BinetflowParser implements LineParser {
  private cols: Cols | undefined;
  private need = 0;

  line(text: string, _no: number, out: FlowBatch): LineOutcome {
    const t = text.trim();
    if (t === '') return undefined;
    if (isHeader(t)) {
      const cols = columnsOf(t);
      if (!cols) return { reject: 'binetflow header without StartTime, Proto, SrcAddr and DstAddr' };
      this.setColumns(cols);
      return undefined;
    }
    if (!this.cols) this.setColumns(DEFAULT_COLS);
    return this.flow(text.split(','), out);
  }

  private setColumns(cols: Cols): void {
    this.cols = cols;
    this.need = Math.max(...Object.values(cols)) + 1;
  }

  private flow(f: string[], out: FlowBatch): LineOutcome {
    const c = this.cols!;
    // The label is last and may itself hold commas: join what is left.
    if (f.length > this.need && c.label === this.need - 1) f[c.label] = f.slice(c.label).join(',');
    if (f.length < this.need)
      return { reject: `expected ${this.need} comma-separated fields, found ${f.length}` };
    const get = (k: Key): string => (c[k] >= 0 ? f[c[k]]!.trim() : '');

    const protoText = get('proto').toLowerCase();
    if (NON_IP.has(protoText)) return { skip: protoText };
    const proto = /^\d+$/.test(protoText)
      ? uint(protoText, 255)
      : (ARGUS_PROTOCOLS[protoText] ?? protocolNumber(protoText) ?? Number.NaN);
    if (Number.isNaN(proto)) return { reject: `unknown protocol ${JSON.stringify(get('proto'))}` };

    const startUs = localTimeMicros(get('starttime'));
    if (Number.isNaN(startUs))
      return { reject: `StartTime ${JSON.stringify(get('starttime'))} is not a time` };
    const durText = get('dur');
    if (durText !== '' && !/^\d+(\.\d+)?$/.test(durText))
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
    const count = (k: Key, name: string): number | string => {
      const s = get(k);
      if (s === '') return 0;
      const v = uint(s, Number.MAX_SAFE_INTEGER);
      return Number.isNaN(v) ? `${name} ${JSON.stringify(s)} is not a count` : v;
    };
    const pkts = count('totpkts', 'TotPkts');
    if (typeof pkts === 'string') return { reject: pkts };
    const bytes = count('totbytes', 'TotBytes');
    if (typeof bytes === 'string') return { reject: bytes };
    const tos = count('stos', 'sTos');
    if (typeof tos === 'string' || tos > 255)
      return { reject: `sTos ${JSON.stringify(get('stos'))} is not a ToS byte` };

    const i = out.add();
    out.ts[i] = Math.floor(startUs / 1000);
    out.te[i] = Math.floor((startUs + durUs) / 1000);
    out.setAddr('src', i, src);
    out.setAddr('dst', i, dst);
    out.sport[i] = sport;
    out.dport[i] = dport;
    out.proto[i] = proto;
    out.flags[i] = proto === 6 ? stateFlags(get('state')) : 0;
    out.packets[i] = pkts;
    out.bytes[i] = bytes;
    out.tos[i] = tos;
    const label = get('label');
    if (label !== '') out.setLabel(i, label);
    return undefined;
  }
}

export const binetflowFormat: ImportFormat = textFormat({
  name: 'binetflow',
  description: 'Argus bi-directional flows as CSV (CTU-13 .binetflow), labels kept',
  maxLine: 16 * 1024,
  sniffLine: (line) => isHeader(line) || DATA_LINE.test(line),
  parser: () => new BinetflowParser(),
});
