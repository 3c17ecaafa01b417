import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../testing/helpers.js';
import { eachLine, eachLineBytes } from './text.js';

type Line = [no: number, text: string] | [no: number, 'too long'];

async function both(
  path: string,
  maxLine: number,
): Promise<{ text: Line[]; bytes: Line[]; ascii: boolean[] }> {
  const text: Line[] = [];
  const bytes: Line[] = [];
  const ascii: boolean[] = [];
  await eachLine(path, maxLine, {
    line: (t, no) => void text.push([no, t]),
    tooLong: (no) => void text.push([no, 'too long']),
    chunk: async () => undefined,
  });
  await eachLineBytes(path, maxLine, {
    line: (buf, s, e, no, a) => {
      bytes.push([no, buf.toString('utf8', s, e)]);
      ascii.push(a);
    },
    tooLong: (no) => void bytes.push([no, 'too long']),
    chunk: async () => undefined,
  });
  return { text, bytes, ascii };
}

test('eachLineBytes: the same lines, numbers and over-long lines as eachLine, across chunk ends, CRLF, a BOM, UTF-8 and no last newline', async (t) => {
  const dir = tempDir(t);
  const long = 'x'.repeat(300);
  // 256 KiB chunks: lines of 1,000 bytes and one of 700,000 put lines across several chunk ends.
  const body = [
    '\ufeffts,te,first',
    'plain',
    'crlf\r',
    '',
    'é accented: ü, 台北',
    long,
    ...Array.from({ length: 600 }, (_, i) => `${i}:${'a'.repeat(994)}`),
    'y'.repeat(700_000),
    'after the long one',
    // 100 three-byte characters: 300 bytes, but 100 characters, under the cap.
    '台'.repeat(100),
    'last, no newline',
  ].join('\n');
  const path = join(dir, 'lines.txt');
  writeFileSync(path, body);
  const { text, bytes, ascii } = await both(path, 1000);
  assert.deepEqual(bytes, text);
  assert.equal(text.length, 610);
  assert.deepEqual(text[0], [1, 'ts,te,first']);
  assert.deepEqual(text[2], [3, 'crlf']);
  assert.deepEqual(text[606], [607, 'too long']);
  assert.deepEqual(text[608], [609, '台'.repeat(100)]);
  assert.deepEqual(text.at(-1), [610, 'last, no newline']);
  // A line is called ASCII only when it is (a chunk with any other byte calls none of its lines ASCII).
  const delivered = text.filter((l) => l[1] !== 'too long');
  assert.equal(ascii.length, delivered.length);
  for (const [i, [, line]] of delivered.entries()) {
    if (Buffer.byteLength(line) !== line.length) assert.equal(ascii[i], false, line);
  }
  assert.equal(ascii.at(-1), true);
  assert.ok(ascii.some((a) => a));
});

test('eachLineBytes: a file of one over-long line and a file of blank lines read as eachLine reads them', async (t) => {
  const dir = tempDir(t);
  for (const [name, body] of [
    ['one-long', 'z'.repeat(600_000)],
    ['one-long-then-line', `${'z'.repeat(600_000)}\nok\n`],
    ['blanks', '\n\n\r\n\n'],
    ['bom-only', '\ufeff'],
  ] as const) {
    const path = join(dir, name);
    writeFileSync(path, body);
    const { text, bytes } = await both(path, 1000);
    assert.deepEqual(bytes, text, name);
  }
});
