/**
 * @module Fills DuckDB data chunks from a columnar {@link FlowBatch} in bulk.
 *
 * A chunk is made in two steps. {@link ChunkImage.fill} lays `n` rows out
 * in this thread's memory exactly as DuckDB's vectors hold them: raw
 * little-endian bytes (no per-value conversion, no BigInt), 64-bit columns
 * as pairs of 32-bit words. With an order (`perm`, row numbers of the batch)
 * the rows are gathered in that order on the way, so a batch is written
 * sorted without first being copied sorted. {@link ChunkImage.emit} then
 * copies each column into a chunk's vector: one memory copy a column. The
 * two steps apart let the table function (`scan.ts`) lay out the next
 * chunk while DuckDB encodes this one, instead of making DuckDB wait for
 * the gather each time it asks for rows.
 */

import type { DuckDBDataChunk } from '@duckdb/node-api';
import duckdb from '@duckdb/node-bindings';
import type { FlowBatch } from '../../flow/batch.js';
import { storageColumns } from '../../flow/schema.js';

const TWO32 = 4294967296;
const TWO_MINUS_32 = 1 / TWO32;
/** Rows of one chunk. */
export const CHUNK_ROWS = duckdb.vector_size();

/** A validity mask with no row valid, as long as a chunk's. */
const NO_ROWS = new Uint8Array(CHUNK_ROWS / 8);

/** Lays `n` rows of the batch, from position `start` (of `perm` when given), out as column `col` of the image. */
type Writer = (
  img: ChunkImage,
  col: number,
  b: FlowBatch,
  start: number,
  n: number,
  perm: Uint32Array | null,
) => void;

/** Row `i`'s 64-bit value `v` as two 32-bit words of `out`, low first; anything not above 0 (NaN too) is 0. */
function put64(out: Uint32Array, i: number, v: number): void {
  // biome-ignore lint/complexity/useMathMinMax: NaN must become 0, which Math.max would keep
  const x = v > 0 ? v : 0;
  const hi = (x * TWO_MINUS_32) >>> 0;
  out[i * 2] = x - hi * TWO32;
  out[i * 2 + 1] = hi;
}

function u64FromF64(get: (b: FlowBatch) => Float64Array): Writer {
  // A 64-bit value as two 32-bit words: the high word by a multiplication by 2^-32 (exact, a power of two), no
  // division or remainder. Doubles hold counters to 2^53; anything not above 0 (NaN too) is 0.
  return (img, col, b, start, n, perm) => {
    const a = get(b);
    const out = img.words[col]!;
    if (perm) for (let i = 0; i < n; i++) put64(out, i, a[perm[start + i]!]!);
    else for (let i = 0; i < n; i++) put64(out, i, a[start + i]!);
    img.data[col] = out.subarray(0, n * 2);
  };
}

/** Row `i` of the halves from the address at word `base` of `a`: each half's low 32 bits first (little-endian). */
function putAddr(hi: Uint32Array, lo: Uint32Array, i: number, a: Uint32Array, base: number): void {
  const j = i * 2;
  hi[j] = a[base + 1]!;
  hi[j + 1] = a[base]!;
  lo[j] = a[base + 3]!;
  lo[j + 1] = a[base + 2]!;
}

/**
 * Both halves of an address, in one pass over its words (a gather in time
 * order reads each row's four words once, not once a half): the high half
 * (words 0,1) as column `col`, the low half (words 2,3) as `col + 1`.
 */
function addr(get: (b: FlowBatch) => Uint32Array): Writer {
  return (img, col, b, start, n, perm) => {
    const a = get(b);
    const hi = img.words[col]!;
    const lo = img.words[col + 1]!;
    if (perm) for (let i = 0; i < n; i++) putAddr(hi, lo, i, a, perm[start + i]! * 4);
    else for (let i = 0; i < n; i++) putAddr(hi, lo, i, a, (start + i) * 4);
    img.data[col] = hi.subarray(0, n * 2);
    img.data[col + 1] = lo.subarray(0, n * 2);
  };
}

type Direct = Uint8Array | Uint16Array | Uint32Array;

/**
 * Gathers `n` values of `a` in the order `perm[start..]` into `g`: one
 * function per array type, so each loop sees one type (a shared loop over
 * all three was polymorphic and slower).
 */
type Gather<T extends Direct> = (g: T, a: T, perm: Uint32Array, start: number, n: number) => void;
const gather8: Gather<Uint8Array> = (g, a, perm, start, n) => {
  for (let i = 0; i < n; i++) g[i] = a[perm[start + i]!]!;
};
const gather16: Gather<Uint16Array> = (g, a, perm, start, n) => {
  for (let i = 0; i < n; i++) g[i] = a[perm[start + i]!]!;
};
const gather32: Gather<Uint32Array> = (g, a, perm, start, n) => {
  for (let i = 0; i < n; i++) g[i] = a[perm[start + i]!]!;
};

function direct<T extends Direct>(
  get: (b: FlowBatch) => T,
  Make: new (n: number) => T,
  gather: Gather<T>,
): Writer {
  return (img, col, b, start, n, perm) => {
    const a = get(b);
    if (!perm) {
      // In order: the batch's own bytes, copied once at emit (the batch outlives the scan).
      img.data[col] = a.subarray(start, start + n);
      return;
    }
    img.gathered[col] ??= new Make(CHUNK_ROWS);
    const g = img.gathered[col] as T;
    gather(g, a, perm, start, n);
    img.data[col] = g.subarray(0, n);
  };
}

/** A text column: its values as strings or nulls. */
function text(get: (b: FlowBatch) => (string | null)[] | null): Writer {
  return (img, col, b, start, n, perm) => {
    const l = get(b);
    img.data[col] = null;
    if (!l) {
      img.texts[col] = null; // every format but the labelled ones: the whole column NULL
      return;
    }
    const vals: (string | null)[] = [];
    for (let i = 0; i < n; i++) vals.push(l[perm ? perm[start + i]! : start + i] ?? null);
    img.texts[col] = vals;
  };
}

/** A writer and the first of the storage columns it fills (an address fills two: its halves). */
interface Placed {
  col: number;
  write: Writer;
}

const COLS = storageColumns();

/** The writers in table order, chosen by the column's kind; an address's one writer fills both of its halves. */
const WRITERS: readonly Placed[] = COLS.flatMap(({ def, half }, col): Placed[] => {
  const field = def.field as keyof FlowBatch;
  switch (def.kind) {
    case 'ms':
    case 'u64':
      return [{ col, write: u64FromF64((b) => b[field] as Float64Array) }];
    case 'addr':
      return half === 'hi' ? [{ col, write: addr((b) => b[field] as Uint32Array) }] : [];
    case 'str':
      return [{ col, write: text((b) => b[field] as (string | null)[] | null) }];
    case 'u32':
      return [{ col, write: direct((b) => b[field] as Uint32Array, Uint32Array, gather32) }];
    case 'u16':
      return [{ col, write: direct((b) => b[field] as Uint16Array, Uint16Array, gather16) }];
    default:
      return [{ col, write: direct((b) => b[field] as Uint8Array, Uint8Array, gather8) }];
  }
});

/**
 * Up to {@link CHUNK_ROWS} rows of a batch laid out as the storage columns'
 * vectors hold them, ready to be copied into a chunk; reusable.
 */
export class ChunkImage {
  /** Rows laid out (0: none). */
  rows = 0;
  /** Per storage column: the bytes of its vector (a view of this image's words or of the batch); null for text. */
  readonly data: (ArrayBufferView | null)[] = COLS.map(() => null);
  /** Per text column: its values, or null when every row is NULL. */
  readonly texts: ((string | null)[] | null)[] = COLS.map(() => null);
  /** 64-bit columns' words, two a row. */
  readonly words: (Uint32Array | null)[] = COLS.map(({ def }) =>
    def.kind === 'ms' || def.kind === 'u64' || def.kind === 'addr' ? new Uint32Array(CHUNK_ROWS * 2) : null,
  );
  /** Gathered one-slot columns, made at the first gather. */
  readonly gathered: (Direct | null)[] = COLS.map(() => null);

  /** Lays out rows `start..start+n` of the batch, or with `perm` the rows `perm[start..start+n]` (n ≤ {@link CHUNK_ROWS}). */
  fill(b: FlowBatch, start: number, n: number, perm: Uint32Array | null): void {
    for (const w of WRITERS) w.write(this, w.col, b, start, n, perm);
    this.rows = n;
  }

  /** Copies the rows laid out into a chunk whose columns are the storage columns in order. */
  emit(chunk: DuckDBDataChunk): void {
    const n = this.rows;
    chunk.rowCount = n;
    for (let col = 0; col < COLS.length; col++) {
      const d = this.data[col];
      const vec = duckdb.data_chunk_get_vector(chunk.chunk, col);
      if (d) {
        duckdb.copy_data_to_vector(vec, 0, d.buffer as ArrayBuffer, d.byteOffset, d.byteLength);
        continue;
      }
      const vals = this.texts[col];
      if (vals) {
        chunk.setColumnValues(col, vals);
        continue;
      }
      // One copy of the validity mask for the whole NULL column.
      duckdb.vector_ensure_validity_writable(vec);
      duckdb.copy_data_to_vector_validity(vec, 0, NO_ROWS.buffer, 0, Math.ceil(n / 8));
    }
  }
}

const image = new ChunkImage();

/**
 * Fills a chunk (its columns the storage columns in order) with `n` ≤
 * {@link CHUNK_ROWS} rows of a batch: rows `start..start+n` of it, or with
 * `perm` the rows `perm[start..start+n]`.
 */
export function fillChunk(
  chunk: DuckDBDataChunk,
  b: FlowBatch,
  start: number,
  n: number,
  perm: Uint32Array | null = null,
): void {
  image.fill(b, start, n, perm);
  image.emit(chunk);
}
