/**
 * @module Fills DuckDB data chunks from a columnar {@link FlowBatch} in bulk.
 *
 * Numeric columns are copied as raw little-endian bytes straight into the
 * chunk's vectors (no per-value conversion, no BigInt); 64-bit columns are
 * assembled as pairs of 32-bit words in a scratch buffer. With an order
 * (`perm`, row numbers of the batch) the rows are gathered in that order on
 * the way, so a batch is written sorted without first being copied sorted.
 */

import type { DuckDBDataChunk } from '@duckdb/node-api';
import duckdb from '@duckdb/node-bindings';
import type { FlowBatch } from '../../flow/batch.js';
import { storageColumns } from '../../flow/schema.js';

const TWO32 = 4294967296;
const TWO_MINUS_32 = 1 / TWO32;
/** Rows of one chunk. */
export const CHUNK_ROWS = duckdb.vector_size();

/** Writes `n` rows of the batch, from position `start` (of `perm` when given), into column `col` of the chunk. */
type Writer = (
  chunk: DuckDBDataChunk,
  col: number,
  b: FlowBatch,
  start: number,
  n: number,
  perm: Uint32Array | null,
) => void;

const scratch = new Uint32Array(CHUNK_ROWS * 2);
const scratchLo = new Uint32Array(CHUNK_ROWS * 2);
const gather32 = new Uint32Array(CHUNK_ROWS);
const gather16 = new Uint16Array(CHUNK_ROWS);
const gather8 = new Uint8Array(CHUNK_ROWS);
/** A validity mask with no row valid, as long as a chunk's. */
const NO_ROWS = new Uint8Array(CHUNK_ROWS / 8);

function copyRaw(chunk: DuckDBDataChunk, col: number, src: ArrayBufferView): void {
  duckdb.copy_data_to_vector(
    duckdb.data_chunk_get_vector(chunk.chunk, col),
    0,
    src.buffer as ArrayBuffer,
    src.byteOffset,
    src.byteLength,
  );
}

function u64FromF64(get: (b: FlowBatch) => Float64Array): Writer {
  // A 64-bit value as two 32-bit words: the high word by a multiplication by 2^-32 (exact, a power of two), no
  // division or remainder. Doubles hold counters to 2^53; anything not above 0 (NaN too) is 0.
  const put = (i: number, v: number) => {
    const x = v > 0 ? v : 0;
    const hi = (x * TWO_MINUS_32) >>> 0;
    scratch[i * 2] = x - hi * TWO32;
    scratch[i * 2 + 1] = hi;
  };
  return (chunk, col, b, start, n, perm) => {
    const a = get(b);
    if (perm) for (let i = 0; i < n; i++) put(i, a[perm[start + i]!]!);
    else for (let i = 0; i < n; i++) put(i, a[start + i]!);
    copyRaw(chunk, col, scratch.subarray(0, n * 2));
  };
}

/**
 * Both halves of an address, in one pass over its words (a gather in time
 * order reads each row's four words once, not once a half): the high half
 * (words 0,1) into column `col`, the low half (words 2,3) into `col + 1`.
 */
function addr(get: (b: FlowBatch) => Uint32Array): Writer {
  return (chunk, col, b, start, n, perm) => {
    const a = get(b);
    const lo = scratchLo;
    for (let i = 0; i < n; i++) {
      const base = (perm ? perm[start + i]! : start + i) * 4;
      const j = i * 2;
      scratch[j] = a[base + 1]!; // low 32 bits first (little-endian)
      scratch[j + 1] = a[base]!;
      lo[j] = a[base + 3]!;
      lo[j + 1] = a[base + 2]!;
    }
    copyRaw(chunk, col, scratch.subarray(0, n * 2));
    copyRaw(chunk, col + 1, lo.subarray(0, n * 2));
  };
}

function direct(get: (b: FlowBatch) => Uint8Array | Uint16Array | Uint32Array): Writer {
  return (chunk, col, b, start, n, perm) => {
    const a = get(b);
    if (!perm) return copyRaw(chunk, col, a.subarray(start, start + n));
    const g = a instanceof Uint32Array ? gather32 : a instanceof Uint16Array ? gather16 : gather8;
    for (let i = 0; i < n; i++) g[i] = a[perm[start + i]!]!;
    copyRaw(chunk, col, g.subarray(0, n));
  };
}

/** A text column: its values as strings or nulls. */
function text(get: (b: FlowBatch) => (string | null)[] | null): Writer {
  return (chunk, col, b, start, n, perm) => {
    const l = get(b);
    if (!l) {
      // No values in the batch (every format but the labelled ones): the whole column NULL, one copy of its validity mask.
      const vec = duckdb.data_chunk_get_vector(chunk.chunk, col);
      duckdb.vector_ensure_validity_writable(vec);
      duckdb.copy_data_to_vector_validity(vec, 0, NO_ROWS.buffer, 0, Math.ceil(n / 8));
      return;
    }
    const vals: (string | null)[] = [];
    for (let i = 0; i < n; i++) vals.push(l[perm ? perm[start + i]! : start + i] ?? null);
    chunk.setColumnValues(col, vals);
  };
}

/** A writer and the first of the storage columns it fills (an address fills two: its halves). */
interface Placed {
  col: number;
  write: Writer;
}

/** The writers in table order, chosen by the column's kind; an address's one writer fills both of its halves. */
const WRITERS: readonly Placed[] = storageColumns().flatMap(({ def, half }, col): Placed[] => {
  const field = def.field as keyof FlowBatch;
  switch (def.kind) {
    case 'ms':
    case 'u64':
      return [{ col, write: u64FromF64((b) => b[field] as Float64Array) }];
    case 'addr':
      return half === 'hi' ? [{ col, write: addr((b) => b[field] as Uint32Array) }] : [];
    case 'str':
      return [{ col, write: text((b) => b[field] as (string | null)[] | null) }];
    default:
      return [{ col, write: direct((b) => b[field] as Uint8Array | Uint16Array | Uint32Array) }];
  }
});

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
  chunk.rowCount = n;
  for (const w of WRITERS) w.write(chunk, w.col, b, start, n, perm);
}
