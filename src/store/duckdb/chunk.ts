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

type Writer = (chunk: duckdb.DataChunk, col: number, b: FlowBatch, start: number, n: number) => void;

const scratch = new Uint32Array(duckdb.vector_size() * 2);

function copyRaw(chunk: duckdb.DataChunk, col: number, src: ArrayBufferView): void {
  duckdb.copy_data_to_vector(
    duckdb.data_chunk_get_vector(chunk, col),
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

const WRITERS: Record<string, Writer> = {
  ts: u64FromF64((b) => b.ts),
  te: u64FromF64((b) => b.te),
  src_hi: addrHalf((b) => b.src, 'hi'),
  src_lo: addrHalf((b) => b.src, 'lo'),
  dst_hi: addrHalf((b) => b.dst, 'hi'),
  dst_lo: addrHalf((b) => b.dst, 'lo'),
  nexthop_hi: addrHalf((b) => b.nexthop, 'hi'),
  nexthop_lo: addrHalf((b) => b.nexthop, 'lo'),
  exporter_hi: addrHalf((b) => b.exporter, 'hi'),
  exporter_lo: addrHalf((b) => b.exporter, 'lo'),
  sport: direct((b) => b.sport),
  dport: direct((b) => b.dport),
  proto: direct((b) => b.proto),
  flags: direct((b) => b.flags),
  packets: u64FromF64((b) => b.packets),
  bytes: u64FromF64((b) => b.bytes),
  in_if: direct((b) => b.inIf),
  out_if: direct((b) => b.outIf),
  tos: direct((b) => b.tos),
  src_as: direct((b) => b.srcAs),
  dst_as: direct((b) => b.dstAs),
  dir: direct((b) => b.dir),
  sampling: direct((b) => b.sampling),
};

/** Appends rows [start, end) of a batch through an appender whose table has the storage columns in order. */
export function appendBatch(
  appender: DuckDBAppender,
  types: readonly DuckDBType[],
  b: FlowBatch,
  start = 0,
  end = b.length,
): void {
  const cols = storageColumns();
  const size = duckdb.vector_size();
  for (let s = start; s < end; s += size) {
    const n = Math.min(size, end - s);
    const chunk = DuckDBDataChunk.create(types, n);
    for (let c = 0; c < cols.length; c++) {
      const name = cols[c]!.name;
      if (name === 'label') {
        const vals: (string | null)[] = [];
        for (let i = 0; i < n; i++) vals.push(b.label?.[s + i] ?? null);
        chunk.setColumnValues(c, vals);
        continue;
      }
      const w = WRITERS[name];
      if (!w) throw new Error(`no chunk writer for column ${name}`);
      w(chunk.chunk, c, b, s, n);
    }
    chunk.rowCount = n;
    appender.appendDataChunk(chunk);
  }
}
