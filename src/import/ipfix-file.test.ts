import assert from 'node:assert/strict';
import { closeSync, openSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { FlowBatch } from '../flow/batch.js';
import { ExportEncoder, WIRE_FORMATS } from '../simulate/export/index.js';
import { readPcapPayloads } from '../testing/datagrams.js';
import { fixture, tempDir } from '../testing/helpers.js';
import { ipfixFileFormat, isIpfixFile, readIpfixFile } from './ipfix-file.js';
import { ChunkReader } from './pcap.js';
import { PROGRESS_BYTES } from './progress.js';

/** An RFC 5655 file: the IPFIX messages of a capture, back to back. */
function ipfixFile(capture: string): Buffer {
  const file = fixture(import.meta.url, `../../decode/testdata/${capture}`);
  return Buffer.concat(readPcapPayloads(readFileSync(file)).map((p) => p.payload));
}

test('an IPFIX file is read message by message and decodes like the datagrams it holds', async (t) => {
  const bytes = ipfixFile('ipfix_test_mikrotik.pcap');
  assert.ok(isIpfixFile(bytes));
  const sizes: number[] = [];
  const report = await readIpfixFile(ChunkReader.fromBytes(bytes), (_k, m) => {
    sizes.push(m.length);
  });
  assert.deepEqual(report, { messages: 3, errors: [] });
  assert.deepEqual(sizes, [148, 1448, 1444]);
  const path = join(tempDir(t), 'x.ipfix');
  writeFileSync(path, bytes);
  let flows = 0;
  const rejects: string[] = [];
  await ipfixFileFormat.read(path, {
    batch: (b) => {
      flows += b.length;
    },
    reject: (_w, m) => rejects.push(m),
  });
  assert.equal(flows, 46);
  assert.deepEqual(rejects, []);
});

test('a truncated or foreign IPFIX file ends with a counted error after the whole messages', async () => {
  const bytes = ipfixFile('ipfix_test_mikrotik.pcap');
  const cut = await readIpfixFile(ChunkReader.fromBytes(bytes.subarray(0, bytes.length - 1)), () => {});
  assert.deepEqual(cut, {
    messages: 2,
    errors: [{ message: 3, text: 'file ends inside a message (truncated file)' }],
  });
  const junk = Buffer.concat([bytes.subarray(0, 148), Buffer.from('garbage that is not IPFIX')]);
  const bad = await readIpfixFile(ChunkReader.fromBytes(junk), () => {});
  assert.equal(bad.messages, 1);
  assert.match(bad.errors[0]!.text, /^not an IPFIX message/);
  assert.equal(isIpfixFile(Buffer.from('0005000100000000000000000000')), false);
});

test('an IPFIX file of more flows than the live per-exporter budget (2 M a second) is read whole', async (t) => {
  // The file carries no arrival times: a live collector's rate budget would never refill and drop the rest.
  const n = 2_000_000 + 5_000;
  const path = join(tempDir(t), 'many.ipfix');
  const fd = openSync(path, 'w');
  const enc = new ExportEncoder(WIRE_FORMATS.ipfix);
  const write = (p: Buffer) => void writeSync(fd, p);
  const t0 = Date.parse('2026-11-20T10:00:00Z');
  for (let done = 0; done < n; ) {
    const m = Math.min(100_000, n - done);
    const b = new FlowBatch(m);
    for (let i = 0; i < m; i++) {
      const k = b.add();
      b.ts[k] = t0 + done + i;
      b.te[k] = t0 + done + i + 10;
      b.src[k * 4 + 3] = 0x0a000001 + ((done + i) % 1000);
      b.packets[k] = 1;
      b.bytes[k] = 40;
      b.proto[k] = 6;
    }
    enc.encode(b, write);
    done += m;
  }
  enc.flush(write);
  closeSync(fd);
  let flows = 0;
  const rejects: string[] = [];
  const progress: number[] = [];
  await ipfixFileFormat.read(path, {
    batch: (b) => {
      flows += b.length;
    },
    reject: (_w, m) => rejects.push(m),
    progress: (bytes) => progress.push(bytes),
  });
  assert.deepEqual(rejects.slice(0, 3), []);
  assert.equal(flows, n);
  // Progress now and then (each was a message to the importing thread), rising, ending at the file's end.
  const size = statSync(path).size;
  assert.ok(progress.length <= Math.ceil(size / PROGRESS_BYTES) + 1, `${progress.length} progress calls`);
  assert.ok(progress.every((b, i) => i === 0 || b > progress[i - 1]!));
  assert.equal(progress.at(-1), size);
});
