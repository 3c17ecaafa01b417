/**
 * @module The container of nfdump's binary files (nfcapd.YYYYMMDDhhmm):
 * the file header and its data blocks, decompressed one at a time.
 *
 * Two layouts, both little-endian as written on x86 (the magic 0xA50C
 * reads back swapped from a big-endian writer, and such files are refused):
 * - layout 1 (nfdump 1.6): a 140-byte header (magic, version 1, flags whose
 *   bits say LZO 0x1, BZ2 0x8 or LZ4 0x10, the block count, a 128-byte
 *   ident), a 136-byte statistics record, then the blocks.
 * - layout 2 (nfdump 1.7): a 40-byte header (magic, version 2, the nfdump
 *   version, creation time, a compression byte — 0 none, 1 LZO, 2 BZ2,
 *   3 LZ4, 4 ZSTD — an encryption byte, the appendix's block count and
 *   offset, the block size and count), then the blocks, then the appendix
 *   (the ident and statistics records), which holds no flows.
 * A block is a 12-byte header (record count, size of what follows, type,
 * flags) and its records, compressed as a whole with the file's codec
 * unless (layout 2) its flags say it is stored uncompressed. Only record
 * blocks are handed on: types 2 (1.6) and 3 (1.7), as nfdump reads them.
 *
 * Bounds are nfdump's: a block holds at most 5 MiB, and whatever a header
 * or block says is checked against the file before it is trusted. The
 * first thing that is wrong ends the reading with one line saying where.
 */

import { bzip2, CodecError, lz4Block, lzo1x, zstd } from './block-codecs.js';
import type { ChunkReader } from './pcap.js';

export const NF_MAGIC = 0xa50c;
/** nfdump's BUFFSIZE: no block, compressed or not, is larger. */
export const MAX_BLOCK = 5 * 1024 * 1024;
const BLOCK_HEADER = 12;
const HEADER_V1 = 140;
const STAT_V1 = 136;
const HEADER_V2 = 40;

export type Compression = 'none' | 'lzo' | 'bz2' | 'lz4' | 'zstd';
const CODECS: readonly Compression[] = ['none', 'lzo', 'bz2', 'lz4', 'zstd'];

export interface NfHeader {
  layout: 1 | 2;
  compression: Compression;
  blocks: number;
  /** Layout 2: where the appendix starts (0 = none). */
  appendixAt: number;
  /** Bytes before the first block. */
  dataAt: number;
}

/** True when the bytes start like an nfdump file (magic, layout 1 or 2). */
export function isNfFile(head: Uint8Array): boolean {
  if (head.length < 4) return false;
  const magic = head[0]! | (head[1]! << 8);
  const layout = head[2]! | (head[3]! << 8);
  return magic === NF_MAGIC && (layout === 1 || layout === 2);
}

const u32 = (b: Uint8Array, o: number) =>
  (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
const u16 = (b: Uint8Array, o: number) => b[o]! | (b[o + 1]! << 8);

/** Reads the header at the reader's position; a string says why the file cannot be read. */
export async function readNfHeader(r: ChunkReader): Promise<NfHeader | string> {
  if (!(await r.ensure(4))) return 'file ends inside the nfdump file header (truncated file)';
  const b = r.bytes;
  const p = r.pos;
  const magic = u16(b, p);
  if (magic === 0x0ca5) return 'nfdump file written on a big-endian machine: not supported';
  if (magic !== NF_MAGIC) return `not an nfdump file (magic 0x${magic.toString(16)})`;
  const layout = u16(b, p + 2);
  if (layout === 1) {
    if (!(await r.ensure(HEADER_V1 + STAT_V1)))
      return 'file ends inside the nfdump 1.6 file header (truncated file)';
    const flags = u32(r.bytes, r.pos + 4);
    const bits = [flags & 0x1, flags & 0x8, flags & 0x10].filter((x) => x !== 0);
    if (bits.length > 1)
      return `nfdump 1.6 file header names more than one compression (flags 0x${flags.toString(16)})`;
    const compression: Compression =
      flags & 0x1 ? 'lzo' : flags & 0x8 ? 'bz2' : flags & 0x10 ? 'lz4' : 'none';
    const blocks = u32(r.bytes, r.pos + 8);
    r.skip(HEADER_V1 + STAT_V1);
    return { layout: 1, compression, blocks, appendixAt: 0, dataAt: HEADER_V1 + STAT_V1 };
  }
  if (layout === 2) {
    if (!(await r.ensure(HEADER_V2))) return 'file ends inside the nfdump 1.7 file header (truncated file)';
    const q = r.pos;
    const c = r.bytes[q + 16]!;
    const encryption = r.bytes[q + 17]!;
    const appendixBlocks = u16(r.bytes, q + 18);
    const appendixAt = u32(r.bytes, q + 24) + u32(r.bytes, q + 28) * 2 ** 32;
    const blocks = u32(r.bytes, q + 36);
    const compression = CODECS[c];
    if (!compression)
      return `nfdump file compression ${c} is unknown (known: 0 none, 1 LZO, 2 BZ2, 3 LZ4, 4 ZSTD)`;
    if (encryption !== 0) return `nfdump file is encrypted (encryption ${encryption}): not supported`;
    r.skip(HEADER_V2);
    return {
      layout: 2,
      compression,
      blocks,
      appendixAt: appendixBlocks > 0 ? appendixAt : 0,
      dataAt: HEADER_V2,
    };
  }
  return `nfdump file layout ${layout} is not supported (layouts 1 and 2: nfdump 1.6 and 1.7)`;
}

export interface NfBlock {
  /** 0-based block number in the file. */
  index: number;
  type: number;
  records: number;
  /** The block's records, decompressed; valid until the next block is read. */
  data: Uint8Array;
}

/**
 * Reads the blocks after the header and calls `onBlock` with each record
 * block, `onOther` with the number and type of any other block (nfdump 1.5's
 * type 1, the array blocks of nfdump's lookup databases). Returns an error
 * line for the first block that cannot be read, or undefined when all
 * blocks were read.
 */
export async function readNfBlocks(
  r: ChunkReader,
  h: NfHeader,
  onBlock: (b: NfBlock) => void | Promise<void>,
  onOther?: (index: number, type: number) => void,
): Promise<string | undefined> {
  const out = new Uint8Array(MAX_BLOCK);
  for (let index = 0; index < h.blocks; index++) {
    const at = r.consumed; // the file offset of the block (the reader started at 0)
    if (h.appendixAt > 0 && at >= h.appendixAt) return undefined; // the appendix: no flows
    const where = `block ${index + 1} (at byte ${at})`;
    if (!(await r.ensure(BLOCK_HEADER)))
      return r.available === 0
        ? `file ends after ${index} of the ${h.blocks} blocks its header announces (truncated file)`
        : `file ends inside the header of ${where} (truncated file)`;
    const records = u32(r.bytes, r.pos);
    const size = u32(r.bytes, r.pos + 4);
    const type = u16(r.bytes, r.pos + 8);
    const flags = u16(r.bytes, r.pos + 10);
    if (size === 0 || size > MAX_BLOCK || records === 0)
      return `${where}: corrupt block header (size ${size}, ${records} records)`;
    if (!(await r.ensure(BLOCK_HEADER + size))) return `file ends inside ${where} (truncated file)`;
    const raw = r.bytes.subarray(r.pos + BLOCK_HEADER, r.pos + BLOCK_HEADER + size);
    const codec = h.layout === 2 && flags & 0x1 ? 'none' : h.compression;
    let data: Uint8Array;
    try {
      data = decompress(codec, raw, out);
    } catch (e) {
      if (e instanceof CodecError)
        return `${where}: cannot be decompressed as ${codec.toUpperCase()} (${e.message})`;
      throw e;
    }
    r.skip(BLOCK_HEADER + size);
    if (type === 2 || type === 3) await onBlock({ index, type, records, data });
    else onOther?.(index, type);
  }
  return undefined;
}

function decompress(codec: Compression, raw: Uint8Array, out: Uint8Array): Uint8Array {
  switch (codec) {
    case 'none':
      return raw;
    case 'lz4':
      return out.subarray(0, lz4Block(raw, out));
    case 'lzo':
      return out.subarray(0, lzo1x(raw, out));
    case 'bz2':
      return out.subarray(0, bzip2(raw, out));
    case 'zstd':
      return zstd(raw, MAX_BLOCK);
  }
}
