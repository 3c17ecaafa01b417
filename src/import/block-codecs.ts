/**
 * @module Decompressors for the blocks of nfdump files: LZ4 (raw block
 * format), LZO1X, bzip2 and Zstandard.
 *
 * nfdump compresses each data block on its own with the file's codec; a
 * block says its compressed size, the uncompressed one is at most nfdump's
 * buffer size. LZ4 and LZO1X are written here from their published format
 * descriptions (the LZ4 block format of lz4's `doc/lz4_Block_format.md`,
 * and the LZO1X stream as described in Linux's `Documentation/staging/lzo.rst`):
 * no maintained pure-JS package decodes raw LZ4 blocks or LZO1X in Node.
 * bzip2 comes from `seek-bzip`, Zstandard from `node:zlib` (Node 22.15+).
 *
 * Every decoder is bounded by its input and by the output limit: corrupt
 * input ends in a {@link CodecError} with one line saying what is wrong,
 * never an out-of-bounds read, a hang or output beyond the limit.
 */

import { createRequire } from 'node:module';
import * as zlib from 'node:zlib';

export class CodecError extends Error {
  override name = 'CodecError';
}

/**
 * Decodes one LZ4 block (no frame) into `out`; returns the bytes written.
 * Sequences: a token (literal length ·16 + match length − 4), literals, a
 * little-endian 16-bit offset, longer lengths in 255-steps.
 */
export function lz4Block(src: Uint8Array, out: Uint8Array): number {
  let s = 0;
  let d = 0;
  const end = src.length;
  if (end === 0) throw new CodecError('LZ4: empty block');
  for (;;) {
    if (s === end) return d; // (a block should end with literals; ending after a match is taken as it is)
    const token = src[s++]!;
    let lit = token >>> 4;
    if (lit === 15) {
      for (;;) {
        if (s >= end) throw new CodecError('LZ4: block ends inside a literal length');
        const b = src[s++]!;
        lit += b;
        if (b !== 255) break;
      }
    }
    if (s + lit > end) throw new CodecError('LZ4: literals run past the end of the block');
    if (d + lit > out.length) throw new CodecError('LZ4: block decodes to more than the block size');
    out.set(src.subarray(s, s + lit), d);
    s += lit;
    d += lit;
    if (s === end) return d; // the last sequence has literals only
    if (s + 2 > end) throw new CodecError('LZ4: block ends inside a match offset');
    const offset = src[s]! | (src[s + 1]! << 8);
    s += 2;
    if (offset === 0 || offset > d)
      throw new CodecError(`LZ4: match offset ${offset} points before the block`);
    let len = token & 15;
    if (len === 15) {
      for (;;) {
        if (s >= end) throw new CodecError('LZ4: block ends inside a match length');
        const b = src[s++]!;
        len += b;
        if (b !== 255) break;
      }
    }
    len += 4;
    if (d + len > out.length) throw new CodecError('LZ4: block decodes to more than the block size');
    copyMatch(out, d, offset, len);
    d += len;
  }
}

/** Copies `len` bytes from `dist` back (the ranges may overlap: a run). */
function copyMatch(out: Uint8Array, d: number, dist: number, len: number): void {
  let from = d - dist;
  if (dist >= len) {
    out.copyWithin(d, from, from + len);
    return;
  }
  const stop = d + len;
  while (d < stop) out[d++] = out[from++]!;
}

/**
 * Decodes an LZO1X stream (as `lzo1x_1_compress` writes it) into `out`;
 * returns the bytes written. The stream ends with the marker 0x11 0x00 0x00.
 */
export function lzo1x(src: Uint8Array, out: Uint8Array): number {
  const end = src.length;
  let s = 0;
  let d = 0;
  /** Literals the last instruction copied: 0, 1..3, or 4 for "4 or more". */
  let state = 0;
  const need = (n: number) => {
    if (s + n > end) throw new CodecError('LZO: stream ends inside an instruction');
  };
  const literals = (n: number) => {
    if (s + n > end) throw new CodecError('LZO: literals run past the end of the block');
    if (d + n > out.length) throw new CodecError('LZO: block decodes to more than the block size');
    out.set(src.subarray(s, s + n), d);
    s += n;
    d += n;
  };
  /** A length in `bits` bits of `t`, extended by zero bytes (255 each) and a final byte. */
  const length = (t: number, mask: number): number => {
    let n = t & mask;
    if (n !== 0) return n;
    n = mask;
    for (;;) {
      need(1);
      const b = src[s++]!;
      if (b !== 0) return n + b;
      n += 255;
      if (n > out.length) throw new CodecError('LZO: length longer than the block');
    }
  };
  const match = (dist: number, len: number) => {
    if (dist > d) throw new CodecError(`LZO: match distance ${dist} points before the block`);
    if (d + len > out.length) throw new CodecError('LZO: block decodes to more than the block size');
    copyMatch(out, d, dist, len);
    d += len;
  };

  if (end === 0) throw new CodecError('LZO: empty block');
  if (src[0]! > 17) {
    const n = src[0]! - 17;
    s = 1;
    literals(n);
    state = Math.min(n, 4);
  }
  for (;;) {
    need(1);
    const t = src[s++]!;
    let next: number; // literals after a match
    if (t < 16) {
      if (state === 0) {
        literals(length(t, 15) + 3);
        state = 4;
        continue;
      }
      need(1);
      const h = src[s++]!;
      if (state === 4) match((h << 2) + ((t >>> 2) & 3) + 2049, 3);
      else match((h << 2) + ((t >>> 2) & 3) + 1, 2);
      next = t & 3;
    } else if (t < 32) {
      const len = length(t, 7) + 2;
      need(2);
      const le = src[s]! | (src[s + 1]! << 8);
      s += 2;
      const dist = 16384 + ((t & 8) << 11) + (le >>> 2);
      if (dist === 16384) {
        if (s !== end) throw new CodecError('LZO: data after the end-of-stream marker');
        return d;
      }
      match(dist, len);
      next = le & 3;
    } else if (t < 64) {
      const len = length(t, 31) + 2;
      need(2);
      const le = src[s]! | (src[s + 1]! << 8);
      s += 2;
      match((le >>> 2) + 1, len);
      next = le & 3;
    } else {
      need(1);
      const h = src[s++]!;
      const len = t < 128 ? 3 + ((t >>> 5) & 1) : 5 + ((t >>> 5) & 3);
      match((h << 3) + ((t >>> 2) & 7) + 1, len);
      next = t & 3;
    }
    literals(next);
    state = next;
  }
}

const require = createRequire(import.meta.url);
interface ByteSink {
  writeByte(b: number): void;
}
let bunzip: { decode(input: Uint8Array, output: ByteSink): void } | undefined;

/**
 * Decodes a bzip2 stream into `out`; returns the bytes written. Output past
 * `out` stops the decoding at once (a small block can expand enormously).
 */
export function bzip2(src: Uint8Array, out: Uint8Array): number {
  bunzip ??= require('seek-bzip') as typeof bunzip;
  const sink = {
    pos: 0,
    writeByte(b: number) {
      if (this.pos >= out.length) throw new CodecError('bzip2: block decodes to more than the block size');
      out[this.pos++] = b;
    },
  };
  try {
    bunzip!.decode(Buffer.from(src.buffer, src.byteOffset, src.length), sink);
  } catch (e) {
    if (e instanceof CodecError) throw e;
    throw new CodecError(`bzip2: ${(e as Error).message ?? String(e)}`);
  }
  return sink.pos;
}

type ZstdSync = (b: Uint8Array, o?: { maxOutputLength?: number }) => Buffer;

/** True when this Node can decode Zstandard (22.15+). */
export function hasZstd(): boolean {
  return typeof (zlib as unknown as { zstdDecompressSync?: ZstdSync }).zstdDecompressSync === 'function';
}

/** Decodes a Zstandard frame; throws {@link CodecError} on corrupt input or an older Node. */
export function zstd(src: Uint8Array, max: number): Uint8Array {
  const fn = (zlib as unknown as { zstdDecompressSync?: ZstdSync }).zstdDecompressSync;
  if (!fn)
    throw new CodecError(
      `ZSTD: this Node (${process.version}) cannot decode Zstandard; use Node 22.15 or later`,
    );
  try {
    return fn(src, { maxOutputLength: max });
  } catch (e) {
    throw new CodecError(`ZSTD: ${(e as Error).message ?? String(e)}`);
  }
}
