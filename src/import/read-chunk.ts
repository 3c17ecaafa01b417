/**
 * @module Reading a file's next chunk. A thread that does nothing but read a file (the reading thread of
 * `read-worker.ts`, which says so with {@link blockOnReads}) reads with a blocking call: nothing else waits
 * on it, and a chunk from the page cache is copied in less time than its round trip through libuv's pool
 * takes (two thread switches a chunk). Every other thread reads through the pool, so that its event loop
 * goes on. A 3 M-flow import of a 1 GB `nfdump -o csv` file (256 KiB chunks) took 1.81 s and 2.79 CPU s
 * so, 1.99 s and 3.03 CPU s before, in the same run (`bench/import-query.js`, README).
 */

import { readSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

let blocking = false;

/** This thread only reads: its reads may block it (see the module comment). */
export function blockOnReads(): void {
  blocking = true;
}

/** Reads up to `length` bytes of `fh` into `buf` at `offset`, from `position` (null: where the last read ended): how many. */
export async function readChunk(
  fh: FileHandle,
  buf: Uint8Array,
  offset: number,
  length: number,
  position: number | null,
): Promise<number> {
  if (blocking) return readSync(fh.fd, buf, offset, length, position);
  return (await fh.read(buf, offset, length, position)).bytesRead;
}
