/**
 * @module Copies a columnar {@link FlowBatch} into DuckDB data chunks in bulk.
 *
 * Numeric columns are copied as raw little-endian bytes straight into the
 * chunk's vectors (no per-value conversion, no BigInt); 64-bit columns are
 * assembled as pairs of 32-bit words in a scratch buffer.
 */

import { type DuckDBAppender, DuckDBDataChunk, type DuckDBType } from '@duckdb/node-api';
import duckdb from '@duckdb/node-bindings';
import type { FlowBatch } from '../../flow/batch.js';
import { storageColumns } from '../../flow/schema.js';

const TWO32 = 4294967296;

type Writer = (chunk: DuckDBDataChunk, col: number, b: FlowBatch, start: number, n: number) => void;

const scratch = new Uint32Array(duckdb.vector_size() * 2);
/** A validity mask with no row valid, as long as a chunk's. */
const NO_ROWS = new Uint8Array(duckdb.vector_size() / 8);

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
  return (chunk, col, b, start, n) => {
    const a = get(b);
    for (let i = 0; i < n; i++) {
      let x = a[start + i]!;
      if (!(x > 0)) x = 0;
      scratch[i * 2] = x % TWO32;
      scratch[i * 2 + 1] = Math.floor(x / TWO32);
    }
    copyRaw(chunk, col, scratch.subarray(0, n * 2));
  };
}

/** An address half: `hi` = words 0,1; `lo` = words 2,3 (word order most significant first). */
function addrHalf(get: (b: FlowBatch) => Uint32Array, half: 'hi' | 'lo'): Writer {
  const off = half === 'hi' ? 0 : 2;
  return (chunk, col, b, start, n) => {
    const a = get(b);
    for (let i = 0; i < n; i++) {
      const base = (start + i) * 4 + off;
      scratch[i * 2] = a[base + 1]!; // low 32 bits first (little-endian)
      scratch[i * 2 + 1] = a[base]!;
    }
    copyRaw(chunk, col, scratch.subarray(0, n * 2));
  };
}

function direct(get: (b: FlowBatch) => Uint8Array | Uint16Array | Uint32Array): Writer {
  return (chunk, col, b, start, n) => copyRaw(chunk, col, get(b).subarray(start, start + n));
}

/** A text column: its values as strings or nulls. */
function text(get: (b: FlowBatch) => (string | null)[] | null): Writer {
  return (chunk, col, b, start, n) => {
    const l = get(b);
    if (!l) {
      // No values in the batch (every format but the labelled ones): the whole column NULL, one copy of its validity mask.
      const vec = duckdb.data_chunk_get_vector(chunk.chunk, col);
      duckdb.vector_ensure_validity_writable(vec);
      duckdb.copy_data_to_vector_validity(vec, 0, NO_ROWS.buffer, 0, Math.ceil(n / 8));
      return;
    }
    const vals: (string | null)[] = [];
    for (let i = 0; i < n; i++) vals.push(l[start + i] ?? null);
    chunk.setColumnValues(col, vals);
  };
}

/** One writer per storage column, in table order, chosen by the column's kind. */
const WRITERS: readonly Writer[] = storageColumns().map(({ def, half }) => {
  const field = def.field as keyof FlowBatch;
  switch (def.kind) {
    case 'ms':
    case 'u64':
      return u64FromF64((b) => b[field] as Float64Array);
    case 'addr':
      return addrHalf((b) => b[field] as Uint32Array, half!);
    case 'str':
      return text((b) => b[field] as (string | null)[] | null);
    default:
      return direct((b) => b[field] as Uint8Array | Uint16Array | Uint32Array);
  }
});

/** Appends rows [start, end) of a batch through an appender whose table has the storage columns in order. */
export function appendBatch(
  appender: DuckDBAppender,
  types: readonly DuckDBType[],
  b: FlowBatch,
  start = 0,
  end = b.length,
): void {
  const size = duckdb.vector_size();
  // One chunk, refilled: the appender copies what it is given.
  const chunk = DuckDBDataChunk.create(types);
  for (let s = start; s < end; s += size) {
    const n = Math.min(size, end - s);
    chunk.reset();
    chunk.rowCount = n;
    for (let c = 0; c < WRITERS.length; c++) WRITERS[c]!(chunk, c, b, s, n);
    appender.appendDataChunk(chunk);
  }
}
