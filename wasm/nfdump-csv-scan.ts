// The plain lines of `nfdump -o csv`, read in WebAssembly (AssemblyScript; built by `npm run build` into
// dist/src/import/nfdump-csv-scan.wasm, loaded by src/import/nfdump-csv-scan.ts).
//
// It reads exactly the lines NfdumpCsvParser.plainLine reads in their common form, into the same values:
// times in a minute it has been told (`learn`), durations, dotted quads, plain decimal counters, TCP/UDP/ICMP,
// flags of letters and dots, and fields `smk` to `exid` byte for byte the same as the last line read in
// JavaScript (`setMemo`). At the first line it does not read it stops and says why (`why`): the JavaScript
// reader then reads that line (or tells this module the minute it asked for) and calls `scan` again. So the
// lines read here and there are one reader's: the tests compare the two line by line.
//
// Memory: fixed regions (`memory.data`), never grown. The file is read straight into `input`; the flows go into
// one column each (`out*`), at most ROWS a call.

/** Rows a call can write (the text reader's batch). */
const ROWS: i32 = 4096;
/** The file's chunks are read into this (the text reader's chunk is 256 KiB). */
const INPUT_BYTES: i32 = 262144;
/** The longest run of fields `smk`..`exid` remembered (as MEMO_MAX in nfdump-csv.ts). */
const MEMO_MAX: i32 = 512;
/** Minutes remembered: 2-way sets of (16 text bytes, the minute's instant). */
const MINUTE_SETS: i32 = 512;

const input = memory.data(INPUT_BYTES + 16, 16);
const outTs = memory.data(ROWS * 8, 16);
const outTe = memory.data(ROWS * 8, 16);
const outPackets = memory.data(ROWS * 8, 16);
const outBytes = memory.data(ROWS * 8, 16);
const outSrc = memory.data(ROWS * 16, 16);
const outDst = memory.data(ROWS * 16, 16);
const outInIf = memory.data(ROWS * 4, 16);
const outOutIf = memory.data(ROWS * 4, 16);
const outSrcAs = memory.data(ROWS * 4, 16);
const outDstAs = memory.data(ROWS * 4, 16);
const outSport = memory.data(ROWS * 2, 16);
const outDport = memory.data(ROWS * 2, 16);
const outProto = memory.data(ROWS, 16);
const outFlags = memory.data(ROWS * 2, 16);
const outTos = memory.data(ROWS, 16);
const memo = memory.data(MEMO_MAX + 16, 16);
/** The TCP flag bit of each byte, 0 for any other (set by JavaScript). */
const flagBit = memory.data(256, 16);
const minutes = memory.data(MINUTE_SETS * 2 * 24, 16);

let memoLen: i32 = 0;
let stopAt: i32 = 0;
let whyStopped: i32 = 0;
let askAt: i32 = 0;
/** Which way of a set the next minute learned goes into. */
let nextWay: i32 = 0;

/** The regions, by number: JavaScript makes its views of them once. */
export function region(k: i32): usize {
  switch (k) {
    case 0: return input;
    case 1: return outTs;
    case 2: return outTe;
    case 3: return outPackets;
    case 4: return outBytes;
    case 5: return outSrc;
    case 6: return outDst;
    case 7: return outInIf;
    case 8: return outOutIf;
    case 9: return outSrcAs;
    case 10: return outDstAs;
    case 11: return outSport;
    case 12: return outDport;
    case 13: return outProto;
    case 14: return outFlags;
    case 15: return outTos;
    case 16: return memo;
    case 17: return flagBit;
    default: return 0;
  }
}

/** Where the last scan stopped: the start of the first line it did not read. */
export function stop(): i32 {
  return stopAt;
}

/** Why: 0 the rows or the input ran out, 1 a time of a minute it does not know (at {@link asked}), 2 a line it does not read. */
export function why(): i32 {
  return whyStopped;
}

/** Where the time whose minute the last scan asked for starts. */
export function asked(): i32 {
  return askAt;
}

/** The memo is the `n` bytes JavaScript has put at region 16 (0: none, no line reads). */
export function setMemo(n: i32): void {
  memoLen = n <= MEMO_MAX ? n : 0;
}

@inline function setOf(k0: u64, k1: u64): usize {
  return minutes + <usize>(<u32>(((k0 ^ (k1 * 0x9e3779b97f4a7c15)) >> 55) & <u64>(MINUTE_SETS - 1))) * 48;
}

/** The minute `YYYY-MM-DD hh:mm` of the 16 bytes at `at` is the instant `ms`. */
export function learn(at: usize, ms: f64): void {
  const k0 = load<u64>(at);
  const k1 = load<u64>(at, 8);
  const e = setOf(k0, k1) + <usize>(nextWay * 24);
  nextWay ^= 1;
  store<u64>(e, k0);
  store<u64>(e, k1, 8);
  store<f64>(e, ms, 16);
}

/** Declines the line. */
const NO: i32 = -1;
/** Asks for the minute at {@link askAt}. */
const ASK: i32 = -2;

/** The instant of a known minute; NaN (and {@link askAt}) when it is not known. */
@inline function minuteOf(p: usize): f64 {
  const k0 = load<u64>(p);
  const k1 = load<u64>(p, 8);
  const e = setOf(k0, k1);
  if (load<u64>(e) == k0 && load<u64>(e, 8) == k1) return load<f64>(e, 16);
  if (load<u64>(e, 24) == k0 && load<u64>(e, 32) == k1) return load<f64>(e, 40);
  askAt = <i32>p;
  return NaN;
}

// The fields of a line, left to right, into these (a line is written out only once it has read whole).
let ts: f64 = 0;
let te: f64 = 0;
let td: f64 = 0;
let sa: u32 = 0;
let da: u32 = 0;
let sp: u32 = 0;
let dp: u32 = 0;
let pr: u32 = 0;
let flg: u32 = 0;
let tos: u32 = 0;
let pkt: u64 = 0;
let byt: u64 = 0;
let inIf: u32 = 0;
let outIf: u32 = 0;
let sas: u32 = 0;
let das: u32 = 0;
/** The value of the last {@link uintAt}. */
let num: u64 = 0;
/** The value of the last {@link timeAt}. */
let when: f64 = 0;

/** `YYYY-MM-DD hh:mm:ss,` of a known minute at `i`: where its comma is; NO, or ASK. */
@inline function timeAt(i: usize, end: usize): isize {
  if (i + 19 >= end || load<u8>(i + 19) != 44) return NO;
  const m = minuteOf(i);
  if (isNaN(m)) return ASK;
  const a = <u32>load<u8>(i + 17) - 48;
  const b = <u32>load<u8>(i + 18) - 48;
  if (load<u8>(i + 16) != 58 || a > 9 || b > 9 || a * 10 + b > 60) return NO;
  when = m + <f64>(a * 10 + b) * 1000;
  return i + 19;
}

/** 1 to 15 decimal digits ending at a comma, ≤ `max`: where the comma is; NO. */
@inline function uintAt(i: usize, end: usize, max: u64): isize {
  const s = i;
  let v: u64 = 0;
  for (; i < end; i++) {
    const d = <u32>load<u8>(i) - 48;
    if (d > 9) break;
    v = v * 10 + d;
  }
  if (i == s || i - s > 15 || i >= end || load<u8>(i) != 44 || v > max) return NO;
  num = v;
  return i;
}

/** Any field: where its comma is; NO when a line feed or the end comes first. */
@inline function skipAt(i: usize, end: usize): isize {
  for (; i < end; i++) {
    const c = load<u8>(i);
    if (c == 44) return i;
    if (c == 10) return NO;
  }
  return NO;
}

/** A dotted quad (parts of 1 to 3 digits, each ≤ 255) ending at a comma: where the comma is; NO. */
@inline function quadAt(i: usize, end: usize): isize {
  let v: u32 = 0;
  let part: u32 = 0;
  let from = i;
  let dots = 0;
  for (; i < end; i++) {
    const d = <u32>load<u8>(i) - 48;
    if (d <= 9) {
      part = part * 10 + d;
      continue;
    }
    if (d != <u32>-2 || dots == 3 || i == from || i - from > 3 || part > 255) break;
    v = (v << 8) | part;
    part = 0;
    from = i + 1;
    dots++;
  }
  if (i < end && load<u8>(i) == 44 && dots == 3 && i > from && i - from <= 3 && part <= 255) {
    num = (v << 8) | part;
    return i;
  }
  return NO;
}

/** Seconds with up to 3 decimals ending at a comma, as ms in {@link when}: where the comma is; NO. */
@inline function durationAt(i: usize, end: usize): isize {
  const s = i;
  let v: u64 = 0;
  let c: u32 = 0;
  for (; i < end; i++) {
    c = load<u8>(i);
    if (c == 46 || c == 44) break;
    const d = c - 48;
    if (d > 9) return NO;
    v = v * 10 + d;
  }
  if (i == s || i - s > 12 || i >= end) return NO;
  if (c == 44) {
    when = <f64>v * 1000;
    return i;
  }
  const fs = ++i;
  let frac: u32 = 0;
  for (; i < end; i++) {
    c = load<u8>(i);
    if (c == 44) break;
    const d = c - 48;
    if (d > 9) return NO;
    frac = frac * 10 + d;
  }
  const n = i - fs;
  if (n < 1 || n > 3 || i >= end) return NO;
  when = <f64>v * 1000 + <f64>(frac * (n == 1 ? 100 : n == 2 ? 10 : 1));
  return i;
}

/** `TCP`, `UDP`, `ICMP` or a number ≤ 255 ending at a comma, into {@link num}: where the comma is; NO. */
@inline function protoAt(i: usize, end: usize): isize {
  if (i + 3 < end && load<u8>(i + 3) == 44) {
    const w = <u32>load<u16>(i) | (<u32>load<u8>(i + 2) << 16);
    if (w == 0x504354) {
      num = 6; // TCP
      return i + 3;
    }
    if (w == 0x504455) {
      num = 17; // UDP
      return i + 3;
    }
  }
  if (i + 4 < end && load<u8>(i + 4) == 44 && load<u32>(i) == 0x504d4349) {
    num = 1; // ICMP
    return i + 4;
  }
  return uintAt(i, end, 255); // a number
}

/** Flag letters and dots ending at a comma, into {@link num}: where the comma is; NO. */
@inline function flagsAt(i: usize, end: usize): isize {
  let v: u32 = 0;
  for (; i < end; i++) {
    const c = load<u8>(i);
    if (c == 44) break;
    if (c == 46) continue;
    const bit = <u32>load<u8>(flagBit + c);
    if (bit == 0) return NO;
    v |= bit;
  }
  if (i >= end) return NO;
  num = v;
  return i;
}

/** The front fields `ts` to `das` of the line at `i`: where `smk` starts; NO, or ASK. */
function front(i: usize, end: usize): isize {
  let e = timeAt(i, end);
  if (e < 0) return e;
  ts = when;
  e = timeAt(<usize>e + 1, end);
  if (e < 0) return e;
  te = when;
  e = durationAt(<usize>e + 1, end);
  if (e < 0) return NO;
  td = when;
  e = quadAt(<usize>e + 1, end);
  if (e < 0) return NO;
  sa = <u32>num;
  e = quadAt(<usize>e + 1, end);
  if (e < 0) return NO;
  da = <u32>num;
  e = uintAt(<usize>e + 1, end, 0xffff);
  if (e < 0) return NO;
  sp = <u32>num;
  e = uintAt(<usize>e + 1, end, 0xffff);
  if (e < 0) return NO;
  dp = <u32>num;
  e = protoAt(<usize>e + 1, end);
  if (e < 0) return NO;
  pr = <u32>num;
  e = flagsAt(<usize>e + 1, end);
  if (e < 0) return NO;
  flg = <u32>num;
  e = skipAt(<usize>e + 1, end); // fwd
  if (e < 0) return NO;
  e = uintAt(<usize>e + 1, end, 255);
  if (e < 0) return NO;
  tos = <u32>num;
  e = uintAt(<usize>e + 1, end, 999999999999999);
  if (e < 0) return NO;
  pkt = num;
  e = uintAt(<usize>e + 1, end, 999999999999999);
  if (e < 0) return NO;
  byt = num;
  e = skipAt(<usize>e + 1, end); // opkt
  if (e < 0) return NO;
  e = skipAt(<usize>e + 1, end); // obyt
  if (e < 0) return NO;
  e = uintAt(<usize>e + 1, end, 0xffffffff);
  if (e < 0) return NO;
  inIf = <u32>num;
  e = uintAt(<usize>e + 1, end, 0xffffffff);
  if (e < 0) return NO;
  outIf = <u32>num;
  e = uintAt(<usize>e + 1, end, 0xffffffff);
  if (e < 0) return NO;
  sas = <u32>num;
  e = uintAt(<usize>e + 1, end, 0xffffffff);
  if (e < 0) return NO;
  das = <u32>num;
  return e + 1;
}

/** Whether the `n` bytes at `i` are those of the memo. */
@inline function sameAsMemo(i: usize, n: i32): bool {
  let k: i32 = 0;
  for (; k + 16 <= n; k += 16) {
    if (v128.any_true(v128.xor(v128.load(i + k), v128.load(memo + k)))) return false;
  }
  for (; k + 8 <= n; k += 8) if (load<u64>(i + k) != load<u64>(memo + k)) return false;
  for (; k < n; k++) if (load<u8>(i + k) != load<u8>(memo + k)) return false;
  return true;
}

/** The first LF in `[i, end)`; NO if none. */
@inline function lineFeed(i: usize, end: usize): isize {
  const lf = i64x2.splat(0x0a0a0a0a0a0a0a0a);
  for (; i + 16 <= end; i += 16) {
    const m = i8x16.bitmask(i8x16.eq(v128.load(i), lf));
    if (m != 0) return i + ctz(m);
  }
  for (; i < end; i++) if (load<u8>(i) == 10) return i;
  return NO;
}

function put4(col: usize, r: i32, v4: u32): void {
  const a = col + (<usize>r << 4);
  store<u64>(a, 0);
  store<u32>(a, 0xffff, 8);
  store<u32>(a, v4, 12);
}

/**
 * Reads the lines from `start` on (offsets in memory), each ending at an LF within `maxLine` bytes and before
 * `end`, at most `room` of them: how many; where it stopped is {@link stop}, why is {@link why}.
 */
export function scan(start: usize, end: usize, maxLine: i32, room: i32): i32 {
  let p = start;
  let r: i32 = 0;
  whyStopped = 0;
  const m = memoLen;
  while (r < room && p < end) {
    const limit = min(end, p + <usize>maxLine + 1);
    if (m == 0 || <u32>load<u8>(p) - 48 > 9) {
      whyStopped = 2;
      break;
    }
    const f = front(p, limit);
    if (f < 0) {
      whyStopped = f == ASK ? 1 : 2;
      break;
    }
    const s = <usize>f;
    if (s + <usize>m > limit || !sameAsMemo(s, m)) {
      whyStopped = 2;
      break;
    }
    const lf = lineFeed(s + <usize>m, limit);
    if (lf < 0) {
      whyStopped = 2;
      break;
    }
    // As plainLine: whole seconds, the earliest start consistent with both and the duration.
    const lead = min<f64>(999, max<f64>(0, te - ts - td));
    const first = ts + lead;
    const o8 = <usize>r << 3;
    store<f64>(outTs + o8, first);
    store<f64>(outTe + o8, min<f64>(te + 999, max<f64>(te, first + td)));
    store<f64>(outPackets + o8, <f64>pkt);
    store<f64>(outBytes + o8, <f64>byt);
    put4(outSrc, r, sa);
    put4(outDst, r, da);
    const o4 = <usize>r << 2;
    store<u32>(outInIf + o4, inIf);
    store<u32>(outOutIf + o4, outIf);
    store<u32>(outSrcAs + o4, sas);
    store<u32>(outDstAs + o4, das);
    const o2 = <usize>r << 1;
    store<u16>(outSport + o2, <u16>sp);
    store<u16>(outDport + o2, <u16>dp);
    store<u8>(outProto + <usize>r, <u8>pr);
    store<u16>(outFlags + o2, <u16>flg);
    store<u8>(outTos + <usize>r, <u8>tos);
    r++;
    p = <usize>lf + 1;
  }
  stopAt = <i32>p;
  return r;
}
