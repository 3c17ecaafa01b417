/**
 * @module The WebAssembly reader of plain `nfdump -o csv` lines (`wasm/nfdump-csv-scan.ts`, built by
 * `npm run build`): runs of the lines `NfdumpCsvParser.plainLine` reads, read in one call into columns that
 * are copied into a batch a column at a time. An nfdump CSV file is mostly such lines; this reads them in
 * about a fifth of plainLine's time. The file's chunks are read straight into its memory ({@link input}).
 *
 * It knows only what it is told: the minutes it has been given instants for ({@link learn}: the zone
 * arithmetic stays in JavaScript) and the bytes of fields `smk`..`exid` that the JavaScript reader last read
 * ({@link setMemo}). It stops at any line it does not read, saying why, and the JavaScript reader goes on
 * from there.
 */

import { readFileSync } from 'node:fs';
import type { FlowBatch } from '../flow/batch.js';

/** The WebAssembly global, as far as it is used here (Node's; the TypeScript libraries in use do not declare it). */
interface WasmModule {
  readonly wasm: unique symbol;
}
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (m: WasmModule, imports: object) => { exports: unknown };
};

interface Exports {
  memory: { buffer: ArrayBuffer };
  region(k: number): number;
  stop(): number;
  why(): number;
  asked(): number;
  setMemo(n: number): void;
  learn(at: number, ms: number): void;
  scan(start: number, end: number, maxLine: number, room: number): number;
}

/** Rows one {@link CsvScanner.scan} writes at most (as ROWS in the module). */
export const SCAN_ROWS = 4096;
/** The size of the chunks the file is read in (as INPUT_BYTES in the module). */
const INPUT_BYTES = 262_144;
/** Longest memo in bytes (as MEMO_MAX). */
const MEMO_MAX = 512;
/** Why a scan stopped: rows or input ran out; a minute it does not know ({@link CsvScanner.asked}); a line it does not read. */
export const SCAN_DONE = 0;
export const SCAN_MINUTE = 1;
export const SCAN_LINE = 2;

let compiled: WasmModule | null | undefined;
/** Why the module is not there, if it is not. */
let missing = '';

function module(): WasmModule | null {
  if (compiled === undefined) {
    try {
      compiled = new WebAssembly.Module(readFileSync(new URL('./nfdump-csv-scan.wasm', import.meta.url)));
    } catch (e) {
      compiled = null;
      missing = (e as Error).message;
    }
  }
  return compiled;
}

/** Whether the WebAssembly reader is built and loads here ('' if so; else why not): the tests require it. */
export function scannerMissing(): string {
  module();
  return missing;
}

export class CsvScanner {
  private readonly x: Exports;
  /** The memory the file's chunks are read into: lines in it are what {@link scan} reads. */
  readonly input: Buffer;
  private readonly base: number;
  private readonly ts: Float64Array;
  private readonly te: Float64Array;
  private readonly packets: Float64Array;
  private readonly bytes: Float64Array;
  private readonly src: Uint32Array;
  private readonly dst: Uint32Array;
  private readonly inIf: Uint32Array;
  private readonly outIf: Uint32Array;
  private readonly srcAs: Uint32Array;
  private readonly dstAs: Uint32Array;
  private readonly sport: Uint16Array;
  private readonly dport: Uint16Array;
  private readonly proto: Uint8Array;
  private readonly flags: Uint16Array;
  private readonly tos: Uint8Array;
  private readonly memo: Uint8Array;

  private constructor(m: WasmModule, flagBit: Uint8Array) {
    this.x = new WebAssembly.Instance(m, {}).exports as unknown as Exports;
    const buf = this.x.memory.buffer;
    const at = (k: number) => this.x.region(k);
    this.base = at(0);
    this.input = Buffer.from(buf, this.base, INPUT_BYTES);
    const f64 = (k: number, n = 1) => new Float64Array(buf, at(k), SCAN_ROWS * n);
    const u32 = (k: number, n = 1) => new Uint32Array(buf, at(k), SCAN_ROWS * n);
    this.ts = f64(1);
    this.te = f64(2);
    this.packets = f64(3);
    this.bytes = f64(4);
    this.src = u32(5, 4);
    this.dst = u32(6, 4);
    this.inIf = u32(7);
    this.outIf = u32(8);
    this.srcAs = u32(9);
    this.dstAs = u32(10);
    this.sport = new Uint16Array(buf, at(11), SCAN_ROWS);
    this.dport = new Uint16Array(buf, at(12), SCAN_ROWS);
    this.proto = new Uint8Array(buf, at(13), SCAN_ROWS);
    this.flags = new Uint16Array(buf, at(14), SCAN_ROWS);
    this.tos = new Uint8Array(buf, at(15), SCAN_ROWS);
    this.memo = new Uint8Array(buf, at(16), MEMO_MAX);
    new Uint8Array(buf, at(17), 256).set(flagBit);
  }

  /** A reader with its own memory; undefined when the module is not built (see {@link scannerMissing}). */
  static make(flagBit: Uint8Array): CsvScanner | undefined {
    const m = module();
    return m ? new CsvScanner(m, flagBit) : undefined;
  }

  /** Whether `buf` is (a view of) this reader's memory. */
  holds(buf: Buffer): boolean {
    return buf.buffer === this.x.memory.buffer;
  }

  /**
   * Reads lines of `buf` (a view of {@link input}) from `start` on, each ending at an LF within `maxLine`
   * bytes and before `end`, at most `room` (≤ {@link SCAN_ROWS}): how many. They are in its columns until the
   * next scan ({@link put}); where it stopped is {@link stop}, why {@link why}.
   */
  scan(buf: Buffer, start: number, end: number, maxLine: number, room: number): number {
    const o = buf.byteOffset;
    return this.x.scan(o + start, o + end, maxLine, Math.min(room, SCAN_ROWS));
  }

  /** The start of the first line the last scan of `buf` did not read. */
  stop(buf: Buffer): number {
    return this.x.stop() - buf.byteOffset;
  }

  why(): number {
    return this.x.why();
  }

  /** Where, in `buf`, the time starts whose minute the last scan asked for. */
  asked(buf: Buffer): number {
    return this.x.asked() - buf.byteOffset;
  }

  /** The minute of the 16 bytes at `at` in `buf` (`YYYY-MM-DD hh:mm`) is the instant `ms`. */
  learn(buf: Buffer, at: number, ms: number): void {
    this.x.learn(buf.byteOffset + at, ms);
  }

  /** Fields `smk`..`exid` read as these bytes (`byte(k)` for k < n) the last time: a line reads only with them. */
  setMemo(n: number, byte: (k: number) => number): void {
    const len = n <= MEMO_MAX ? n : 0;
    for (let k = 0; k < len; k++) this.memo[k] = byte(k);
    this.x.setMemo(len);
  }

  /** Appends the `n` flows of the last scan to `out`: the index of the first. */
  put(out: FlowBatch, n: number): number {
    const r = out.addRows(n);
    out.ts.set(this.ts.subarray(0, n), r);
    out.te.set(this.te.subarray(0, n), r);
    out.packets.set(this.packets.subarray(0, n), r);
    out.bytes.set(this.bytes.subarray(0, n), r);
    out.src.set(this.src.subarray(0, n * 4), r * 4);
    out.dst.set(this.dst.subarray(0, n * 4), r * 4);
    out.inIf.set(this.inIf.subarray(0, n), r);
    out.outIf.set(this.outIf.subarray(0, n), r);
    out.srcAs.set(this.srcAs.subarray(0, n), r);
    out.dstAs.set(this.dstAs.subarray(0, n), r);
    out.sport.set(this.sport.subarray(0, n), r);
    out.dport.set(this.dport.subarray(0, n), r);
    out.proto.set(this.proto.subarray(0, n), r);
    out.flags.set(this.flags.subarray(0, n), r);
    out.tos.set(this.tos.subarray(0, n), r);
    return r;
  }
}
