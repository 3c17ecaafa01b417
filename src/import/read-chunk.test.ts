import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../testing/helpers.js';
import { blockOnReads, readChunk } from './read-chunk.js';

/**
 * The file of `length` bytes read in chunks of `size`: in order from where the last read ended, or
 * (`positioned`) at each chunk's position, last chunk first, so a read that ignored its position shows.
 */
async function readAll(path: string, length: number, size: number, positioned: boolean): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const out = Buffer.alloc(length);
    const buf = Buffer.alloc(size + 2);
    const starts = Array.from({ length: Math.ceil(length / size) + 1 }, (_, k) => k * size);
    if (positioned) starts.reverse();
    let got = 0;
    for (const at of starts) {
      // Into the middle of the buffer: the offset is honoured, the bytes around it are not touched.
      buf.fill(0xaa);
      const n = await readChunk(fh, buf, 1, size, positioned ? at : null);
      assert.equal(buf[0], 0xaa);
      assert.equal(buf[size + 1], 0xaa);
      assert.equal(n, Math.max(0, Math.min(size, length - at)), `the read at ${at}`);
      buf.copy(out, at, 1, 1 + n);
      got += n;
    }
    assert.equal(got, length);
    return out;
  } finally {
    await fh.close();
  }
}

test('a chunked read gives the file exactly, through the pool and then blocking', async (t) => {
  const path = join(tempDir(t, 'fh-read-chunk-'), 'f');
  const data = randomBytes(300_007); // not a multiple of any chunk size
  writeFileSync(path, data);
  const modes = async () => {
    for (const size of [97, 4096, 65_536, 1_000_000])
      for (const positioned of [false, true]) {
        const got = await readAll(path, data.length, size, positioned);
        assert.ok(got.equals(data), `size ${size}, positioned ${positioned}`);
      }
  };
  await modes();
  blockOnReads(); // this test file's process from here on
  await modes();
});
