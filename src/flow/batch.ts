/**
 * @module A growable batch of flows held column by column in typed arrays.
 *
 * Decoders write straight into the columns (no object per flow); the store
 * writer copies the columns into the engine in bulk. Addresses take four
 * 32-bit words each, most significant first (see `address.ts`).
 *
 * The arrays, their types and widths follow the one column list
 * (`FLOW_COLUMNS` in `schema.ts`): every method below loops over it, so a new column
 * is allocated, grown, copied, sliced, moved and sent between threads with
 * no edit here.
 */

import { type AddrWords, formatWords, parseAddress } from './address.js';
import type { FlowRecord } from './record.js';
import { COLUMNS, type ColumnKind, type FieldOfKind, type FlowColumn } from './schema.js';

type NumArray = Float64Array | Uint32Array | Uint16Array | Uint8Array;
/** A text column: null until some flow carries a value. */
type TextArray = (string | null)[] | null;

/** The typed array that holds a kind: counters and times as doubles (exact to 2^53), an address as 4 words. */
type ArrayOf<K extends ColumnKind> = K extends 'ms' | 'u64'
  ? Float64Array
  : K extends 'addr' | 'u32'
    ? Uint32Array
    : K extends 'u16'
      ? Uint16Array
      : K extends 'u8'
        ? Uint8Array
        : TextArray;

/** One array per column, named by its batch field. */
export type BatchArrays = { [C in FlowColumn as C['field']]: ArrayOf<C['kind']> };
export type AddrCol = FieldOfKind<'addr'>;
type NumField = Exclude<FlowColumn, { kind: 'str' }>['field'];
type TextField = FieldOfKind<'str'>;

/** `touched`: rows ever written in the arrays' memory, beyond `length` too (for recycling; default `length`). */
export type BatchColumns = { length: number; touched?: number } & BatchArrays;

/** Bytes of one array slot, by kind. */
const SLOT_BYTES: Record<Exclude<ColumnKind, 'str'>, number> = {
  ms: 8,
  u64: 8,
  addr: 4,
  u32: 4,
  u16: 2,
  u8: 1,
};

/** Arrays over a whole buffer, by kind. */
const MAKE_ON: Record<Exclude<ColumnKind, 'str'>, (b: ArrayBuffer) => NumArray> = {
  ms: (b) => new Float64Array(b),
  u64: (b) => new Float64Array(b),
  addr: (b) => new Uint32Array(b),
  u32: (b) => new Uint32Array(b),
  u16: (b) => new Uint16Array(b),
  u8: (b) => new Uint8Array(b),
};

/** New (zeroed) arrays of `n` slots, by kind. */
const MAKE = Object.fromEntries(
  Object.entries(MAKE_ON).map(([k, on]) => [
    k,
    (n: number) => on(new ArrayBuffer(n * SLOT_BYTES[k as keyof typeof SLOT_BYTES])),
  ]),
) as Record<Exclude<ColumnKind, 'str'>, (n: number) => NumArray>;

interface NumLayout {
  field: NumField;
  ie: string;
  kind: Exclude<ColumnKind, 'str'>;
  /** Array slots per flow: 4 for an address, else 1. */
  width: number;
  empty: number;
}

const NUMERIC: readonly NumLayout[] = COLUMNS.filter((c) => c.kind !== 'str').map((c) => ({
  field: c.field as NumField,
  ie: c.ie,
  kind: c.kind as Exclude<ColumnKind, 'str'>,
  width: c.kind === 'addr' ? 4 : 1,
  empty: c.empty ?? 0,
}));
/** The one-slot columns, and the values {@link FlowBatch.add} gives them. */
const SCALARS = NUMERIC.filter((c) => c.width === 1);
const ADDRS = NUMERIC.filter((c) => c.width === 4).map((c) => c.field as AddrCol);
const TEXTS = COLUMNS.filter((c) => c.kind === 'str').map((c) => c.field as TextField);

/**
 * Sets row `i` of every column to its empty value: code generated from the
 * column list, one plain assignment per array slot as if written out by hand,
 * because it runs once per decoded flow (a loop over the arrays measured about
 * 1.4 times as long per flow).
 */
const EMPTY_ROW = new Function(
  'b',
  'i',
  [
    ...SCALARS.map((c) => `b.${c.field}[i] = ${c.empty};`),
    'const j = i * 4;',
    ...ADDRS.map((f) => `b.${f}[j] = 0; b.${f}[j + 1] = 0; b.${f}[j + 2] = 0xffff; b.${f}[j + 3] = 0;`),
    ...TEXTS.map((f) => `if (b.${f}) b.${f}[i] = null;`),
  ].join('\n'),
) as (b: FlowBatch, i: number) => void;

// Recycling: a batch's arrays, once the store has copied its rows out, can go back to a free list of this thread,
// by the rows they hold, and the next batch of that many rows is made from them (zeroed) instead of new memory. A
// threaded import sends them back to its reading thread with each acknowledgement (`threaded.ts`), so a long import
// allocates, faults in and collects a few hundred batches' memory rather than every batch's (some 125 bytes a
// flow, twice: read, then merged by the store).

/** Bytes of free arrays a thread keeps at most: a commit's reader batches (500,000 flows) and the 262,144 read ahead. */
const MAX_FREE_BYTES = 160 * 1024 * 1024;
/** Free array sets by the rows they hold; `touched`: the rows ever written (the rest of their memory is still untouched zero). */
const FREE = new Map<number, { arrays: NumArray[]; touched: number }[]>();
let freeBytes = 0;

/** A recycled batch's arrays: empty, shared, never written (any growth makes new ones). */
const NO_ROWS = Object.fromEntries(Object.entries(MAKE).map(([k, make]) => [k, make(0)])) as Record<
  Exclude<ColumnKind, 'str'>,
  NumArray
>;

/** Bytes a row takes over every numeric column. */
const ROW_BYTES = NUMERIC.reduce((a, c) => a + c.width * SLOT_BYTES[c.kind], 0);

/** The rows the arrays' buffers hold when each column has a buffer of its own from its start, all of one size in rows; else 0. */
function wholeRows(arrays: readonly NumArray[]): number {
  let rows = 0;
  for (const [k, a] of arrays.entries()) {
    if (a.byteOffset !== 0) return 0;
    const r = a.buffer.byteLength / (NUMERIC[k]!.width * a.BYTES_PER_ELEMENT);
    if (!Number.isInteger(r) || r === 0 || (k > 0 && r !== rows)) return 0;
    rows = r;
  }
  return rows;
}

/** Adds arrays (in {@link NUMERIC} order) to the free list, as views of their whole buffers; false when not whole or no room. */
function putFree(arrays: readonly NumArray[], touched: number): boolean {
  const rows = wholeRows(arrays);
  if (rows === 0 || freeBytes + rows * ROW_BYTES > MAX_FREE_BYTES) return false;
  const whole = NUMERIC.map((c, k) => MAKE_ON[c.kind](arrays[k]!.buffer as ArrayBuffer));
  const list = FREE.get(rows) ?? [];
  FREE.set(rows, list);
  list.push({ arrays: whole, touched: Math.min(rows, touched) });
  freeBytes += rows * ROW_BYTES;
  return true;
}

/** A free array set of `rows` rows (any, when not given), taken off the list. */
function takeFree(rows?: number): { rows: number; arrays: NumArray[]; touched: number } | undefined {
  const key = rows ?? FREE.keys().next().value;
  if (key === undefined) return undefined;
  const list = FREE.get(key);
  const set = list?.pop();
  if (!set) return undefined;
  if (list!.length === 0) FREE.delete(key);
  freeBytes -= key * ROW_BYTES;
  return { rows: key, ...set };
}

/** The transferable buffers of some columns (for `postMessage`). */
export function columnBuffers(c: BatchColumns): ArrayBuffer[] {
  return NUMERIC.map((l) => c[l.field].buffer as ArrayBuffer);
}

/** The arrays: declared by the column list ({@link BatchArrays}), made by the constructor. */
export interface FlowBatch extends BatchArrays {}

// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: every member of BatchArrays is set by the constructor (alloc() and the text columns)
export class FlowBatch {
  length = 0;
  capacity: number;
  /**
   * Whoever holds the batch last may give its arrays to {@link recycle}:
   * set by the owner that knows no one reads the batch after the store has
   * copied it (an import's reading thread's batches); false by default.
   */
  recyclable = false;
  /** Rows ever reserved in the current arrays: what a recycled set must zero (`alloc`). */
  private touched = 0;
  /** The one-slot arrays in column order and the address arrays, for moving rows. */
  private scalars: NumArray[] = [];
  private addrs: Uint32Array[] = [];

  constructor(capacity = 4096) {
    this.capacity = Math.max(1, capacity);
    for (const f of TEXTS) this[f] = null;
    this.alloc(this.capacity, false);
  }

  private get arrays(): Record<NumField, NumArray> {
    return this as unknown as Record<NumField, NumArray>;
  }

  private get texts(): Record<TextField, TextArray> {
    return this as unknown as Record<TextField, TextArray>;
  }

  /** Points the per-flow loops at the current arrays (after they are made or replaced). */
  private bind(): void {
    this.scalars = SCALARS.map((c) => this.arrays[c.field]);
    this.addrs = ADDRS.map((f) => this[f]);
  }

  private alloc(cap: number, keep: boolean): void {
    const a = this.arrays;
    const free = keep ? undefined : takeFree(cap);
    if (free) {
      // As new memory: zero what was written before (the rest never was).
      for (const [k, c] of NUMERIC.entries()) a[c.field] = free.arrays[k]!.fill(0, 0, free.touched * c.width);
      this.touched = 0;
      this.capacity = cap;
      this.bind();
      return;
    }
    for (const c of NUMERIC) {
      const next = MAKE[c.kind](cap * c.width);
      if (keep) next.set(a[c.field].subarray(0, this.length * c.width) as never);
      a[c.field] = next;
    }
    this.capacity = cap;
    this.bind();
  }

  /** Makes room for `n` more flows and returns the index of the first. */
  reserve(n: number): number {
    const need = this.length + n;
    if (need > this.capacity) this.alloc(Math.max(need, this.capacity * 2), true);
    if (need > this.touched) this.touched = need;
    return this.length;
  }

  /**
   * Appends one flow with every field at its empty value (sampling 1,
   * IPv4-mapped 0.0.0.0 addresses) and returns its index; the caller fills
   * the columns.
   */
  add(): number {
    const i = this.reserve(1);
    this.length = i + 1;
    EMPTY_ROW(this, i);
    return i;
  }

  /** {@link add} for `n` flows at once (a column at a time): the index of the first. */
  addRows(n: number): number {
    const at = this.reserve(n);
    const end = at + n;
    this.length = end;
    const a = this.arrays;
    for (const c of SCALARS) a[c.field].fill(c.empty, at, end);
    for (const f of ADDRS) {
      const w = this[f];
      for (let j = at * 4; j < end * 4; j += 4) {
        w[j] = 0;
        w[j + 1] = 0;
        w[j + 2] = 0xffff;
        w[j + 3] = 0;
      }
    }
    const t = this.texts;
    for (const f of TEXTS) t[f]?.fill(null, at, end);
    return at;
  }

  setV4(col: AddrCol, i: number, v4: number): void {
    const a = this[col];
    a[i * 4] = 0;
    a[i * 4 + 1] = 0;
    a[i * 4 + 2] = 0xffff;
    a[i * 4 + 3] = v4 >>> 0;
  }

  setAddr(col: AddrCol, i: number, w: AddrWords): void {
    const a = this[col];
    a[i * 4] = w[0];
    a[i * 4 + 1] = w[1];
    a[i * 4 + 2] = w[2];
    a[i * 4 + 3] = w[3];
  }

  addrText(col: AddrCol, i: number): string {
    const a = this[col];
    return formatWords(a[i * 4]!, a[i * 4 + 1]!, a[i * 4 + 2]!, a[i * 4 + 3]!);
  }

  /** Sets a text column's value (the array is made on the first non-null one). */
  setText(field: TextField, i: number, value: string | null): void {
    const t = this.texts;
    if (value === null && !t[field]) return;
    t[field] ??= new Array<string | null>(this.capacity).fill(null);
    t[field][i] = value;
  }

  setLabel(i: number, label: string | null): void {
    this.setText('label', i, label);
  }

  /** Appends a record; throws on an unparsable address (importers validate first). */
  push(r: FlowRecord): number {
    const i = this.add();
    const rec = r as unknown as Record<string, number | string | null>;
    const a = this.arrays;
    for (const c of NUMERIC) {
      if (c.width === 1) {
        a[c.field][i] = rec[c.ie] as number;
        continue;
      }
      const text = rec[c.ie] as string;
      const w = parseAddress(text);
      if (!w) throw new Error(`invalid address ${JSON.stringify(text)}`);
      this.setAddr(c.field as AddrCol, i, w);
    }
    for (const c of COLUMNS)
      if (c.kind === 'str') this.setText(c.field as TextField, i, rec[c.ie] as string | null);
    return i;
  }

  record(i: number): FlowRecord {
    const out: Record<string, unknown> = {};
    for (const c of COLUMNS) {
      if (c.kind === 'addr') out[c.ie] = this.addrText(c.field as AddrCol, i);
      else if (c.kind === 'str') out[c.ie] = this.texts[c.field as TextField]?.[i] ?? null;
      else out[c.ie] = this.arrays[c.field as NumField][i]!;
    }
    return out as FlowRecord;
  }

  records(): FlowRecord[] {
    const out: FlowRecord[] = [];
    for (let i = 0; i < this.length; i++) out.push(this.record(i));
    return out;
  }

  /** Appends flows [start, end) of another batch, by default all of them (used to merge decoder output). */
  append(other: FlowBatch, start = 0, end = other.length): void {
    const n = end - start;
    const at = this.reserve(n);
    const a = this.arrays;
    const b = other.arrays;
    for (const c of NUMERIC)
      a[c.field].set(b[c.field].subarray(start * c.width, end * c.width) as never, at * c.width);
    const t = this.texts;
    for (const f of TEXTS) {
      const from = other.texts[f];
      if (!from && !t[f]) continue;
      t[f] ??= new Array<string | null>(this.capacity).fill(null);
      const to = t[f];
      for (let i = 0; i < n; i++) to[at + i] = from?.[start + i] ?? null;
    }
    this.length = at + n;
  }

  /**
   * The filled part of every column, for sending to another thread (the
   * buffers can be transferred, not copied).
   */
  toColumns(): BatchColumns {
    return this.columnsOf(0, this.length);
  }

  private columnsOf(start: number, end: number): BatchColumns {
    const out: Record<string, unknown> = { length: end - start };
    for (const c of NUMERIC) out[c.field] = this.arrays[c.field].slice(start * c.width, end * c.width);
    for (const f of TEXTS) out[f] = this.texts[f]?.slice(start, end) ?? null;
    return out as BatchColumns;
  }

  /**
   * The columns as views of this batch's own arrays, no copy: for handing
   * the whole batch to another thread, whose transfer of their buffers
   * leaves this batch unusable (so only for a batch its owner gives away).
   */
  giveColumns(): BatchColumns {
    const out: Record<string, unknown> = { length: this.length, touched: this.touched };
    for (const c of NUMERIC) out[c.field] = this.arrays[c.field].subarray(0, this.length * c.width);
    for (const f of TEXTS) out[f] = this.texts[f]?.slice(0, this.length) ?? null;
    return out as BatchColumns;
  }

  /** Wraps columns made by {@link toColumns} (possibly in another thread) without copying. */
  static fromColumns(c: BatchColumns): FlowBatch {
    const b = new FlowBatch(1);
    b.capacity = Math.max(1, c.length);
    b.length = c.length;
    for (const l of NUMERIC) b.arrays[l.field] = c[l.field];
    for (const f of TEXTS) b.texts[f] = c[f];
    b.bind();
    b.touched = Math.max(c.length, c.touched ?? 0);
    if (c.length === 0) b.capacity = 1;
    return b;
  }

  /**
   * Takes a {@link recyclable} batch's arrays for the next batches of this
   * thread of as many rows (when each column's buffer is its own and there
   * is room); the batch is then empty and must not be used again. Anything
   * else is left to the collector. Returns whether it was taken.
   */
  static recycle(b: FlowBatch): boolean {
    if (
      !b.recyclable ||
      !putFree(
        NUMERIC.map((c) => b.arrays[c.field]),
        Math.max(b.touched, b.length),
      )
    )
      return false;
    b.recyclable = false;
    b.length = 0;
    for (const c of NUMERIC) b.arrays[c.field] = NO_ROWS[c.kind];
    b.capacity = 0;
    b.bind();
    return true;
  }

  /** One free array set of this thread, to send to another (see {@link adoptFree}); undefined when none. */
  static takeFree(): BatchColumns | undefined {
    const free = takeFree();
    if (!free) return undefined;
    // No rows; `touched`: those written before, which the adopting thread zeroes when it uses them.
    const out: Record<string, unknown> = { length: 0, touched: free.touched };
    for (const [k, c] of NUMERIC.entries()) out[c.field] = free.arrays[k];
    for (const f of TEXTS) out[f] = null;
    return out as BatchColumns;
  }

  /** Adds arrays another thread sent ({@link takeFree}) to this thread's free list, when whole and there is room. */
  static adoptFree(c: BatchColumns): void {
    putFree(
      NUMERIC.map((l) => c[l.field] as NumArray),
      Math.max(c.length, c.touched ?? 0),
    );
  }

  /** A copy of flows [start, end) as a batch of their own. */
  slice(start: number, end: number): FlowBatch {
    return FlowBatch.fromColumns(this.columnsOf(start, end));
  }

  /**
   * Keeps, in order and in place, only the flows whose `keep[i]` is non-zero;
   * returns how many were removed.
   */
  compact(keep: Uint8Array): number {
    let w = 0;
    const n = this.length;
    for (let r = 0; r < n; r++) {
      if (!keep[r]) continue;
      if (w !== r) this.moveRow(r, w);
      w++;
    }
    this.length = w;
    return n - w;
  }

  private moveRow(from: number, to: number): void {
    for (const a of this.scalars) a[to] = a[from]!;
    for (const a of this.addrs) a.copyWithin(to * 4, from * 4, from * 4 + 4);
    const t = this.texts;
    for (const f of TEXTS) {
      const l = t[f];
      if (l) l[to] = l[from] ?? null;
    }
  }

  clear(): void {
    this.length = 0;
    for (const f of TEXTS) this.texts[f] = null;
  }

  totals(): { flows: number; packets: number; bytes: number } {
    let packets = 0;
    let bytes = 0;
    for (let i = 0; i < this.length; i++) {
      packets += this.packets[i]!;
      bytes += this.bytes[i]!;
    }
    return { flows: this.length, packets, bytes };
  }
}

/** Milliseconds of a UTC day; the store's partition unit. */
export const DAY_MS = 86_400_000;

/** The last instant the store can hold (9999-12-31T23:59:59.999Z): a day name has four digits. */
export const MAX_STORABLE_MS = 253_402_300_799_999;

/**
 * The UTC day (`YYYY-MM-DD`) of a time. Total: any number, even NaN or one
 * beyond what `Date` represents, names a day (clamped into 1970-01-01 ..
 * 9999-12-31), so no value can make a partition name throw.
 */
export function dayOf(ms: number): string {
  const t = Number.isFinite(ms) ? Math.min(Math.max(ms, 0), MAX_STORABLE_MS) : 0;
  return new Date(Math.floor(t / DAY_MS) * DAY_MS).toISOString().slice(0, 10);
}
