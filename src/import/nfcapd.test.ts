import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import * as zlib from 'node:zlib';
import fc from 'fast-check';
import type { FlowRecord } from '../flow/record.js';
import { DuckFlowStore } from '../store/duckdb/index.js';
import { requireTool, runCli, tempDir } from '../testing/helpers.js';
import { readAll, sampleV5Flows } from '../testing/import.js';
import {
  assertSameTop,
  captureWithNfcapd,
  encodeNetflowV5,
  flowhuntStat,
  nfdump,
  nfdumpInfo,
  nfdumpStat,
} from '../testing/nfcapd.js';
import { nffileV1, V1_EXPORTER, type V1Compression } from '../testing/nffile-v1.js';
import { bzip2, CodecError, hasZstd, lz4Block, lzo1x } from './block-codecs.js';
import { nfcapdFormat } from './nfcapd.js';
import { nfdumpCsvFormat } from './nfdump-csv.js';

// nfdump prints local times; the CSV cross-check reads them back in the same zone.
process.env['TZ'] = 'UTC';

const FLOWS = () => sampleV5Flows(3000, 42);
/** nfcapd's option for each compression it can write (Debian's 1.7.1 has no ZSTD). */
const COMPRESSIONS: [string, string[]][] = [
  ['uncompressed', []],
  ['LZO', ['-z']],
  ['LZ4', ['-y']],
  ['BZ2', ['-j']],
];

/** One capture of the same flows per compression, shared by the tests. */
let shared: Promise<Map<string, string>> | undefined;
let captureDir: string | undefined;
after(() => {
  if (captureDir) rmSync(captureDir, { recursive: true, force: true });
});
function captures(): Promise<Map<string, string>> {
  shared ??= (async () => {
    captureDir = mkdtempSync(join(tmpdir(), 'flowhunt-nfcapd-'));
    const out = new Map<string, string>();
    for (const [name, opts] of COMPRESSIONS) {
      const dir = join(captureDir, name);
      mkdirSync(dir);
      out.set(name, await captureWithNfcapd(encodeNetflowV5(FLOWS()), dir, opts));
    }
    return out;
  })();
  return shared;
}

async function stored(data: string): Promise<{ totals: unknown; flows: FlowRecord[] }> {
  const s = await DuckFlowStore.open(data, { log: () => undefined });
  try {
    return { totals: await s.totals({}), flows: await s.list({}, 1_000_000) };
  } finally {
    await s.close();
  }
}

const bySource = (a: FlowRecord, b: FlowRecord) => (a.sourceIPAddress < b.sourceIPAddress ? -1 : 1);

/** A count as the CLI prints it (digits grouped). */
const g = (n: number) => n.toLocaleString('en-US');

function summaryLine(info: Record<string, number>, files = 1): RegExp {
  return new RegExp(
    `^imported ${g(info['Flows']!)} flows \\(${g(info['Packets']!)} packets, ${g(info['Bytes']!)} bytes\\) from ${files} files?; 0 lines rejected`,
  );
}

test('nfcapd: files Debian nfcapd writes (uncompressed, LZO, LZ4, BZ2) import with nfdump -I totals, every flow to the ms, and nfdump top-N', async (t) => {
  if (!requireTool(t, 'nfcapd')) return;
  const files = await captures();
  const sent = FLOWS().map((f) => ({ ...f, exporterIPAddress: '127.0.0.1' }));
  sent.sort(bySource);
  for (const [name, file] of files) {
    const info = await nfdumpInfo(file);
    assert.equal(info['Flows'], 3000, `${name}: nfcapd received every flow`);
    if (name !== 'uncompressed')
      assert.match(await nfdump(['-v', file]), new RegExp(`${name.toLowerCase()} compressed`), name);
    const data = join(tempDir(t), 'data');
    const r = await runCli(['import', file, '--data', data]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, summaryLine(info), name);
    const got = await stored(data);
    assert.deepEqual(
      got.totals,
      { flows: info['Flows'], packets: info['Packets'], bytes: info['Bytes'] },
      name,
    );
    got.flows.sort(bySource);
    assert.deepEqual(got.flows, sent, `${name}: every field of every flow, times to the millisecond`);
    for (const [stat, order] of [
      ['dstport/bytes', 'bytes'],
      ['proto/flows', 'flows'],
    ] as const) {
      const [theirs, all, ours] = await Promise.all([
        nfdumpStat(file, stat, 10, 'any'),
        nfdumpStat(file, stat, 0, 'any'),
        flowhuntStat(data, stat, 10, 'any'),
      ]);
      assert.deepEqual(ours.total, theirs.total, `${name} ${stat}: totals`);
      assertSameTop(ours.rows, theirs.rows, all.rows, order, `${name} ${stat}`);
    }
  }
});

test('nfcapd: --recursive imports the nfcapd files of a tree, passing over what is no flow file and what nfdump -R skips', async (t) => {
  if (!requireTool(t, 'nfcapd')) return;
  const files = await captures();
  const tree = join(tempDir(t), 'nfdump');
  const day1 = join(tree, 'router1', '2026', '11', '18');
  const day2 = join(tree, 'router1', '2026', '11', '19');
  mkdirSync(day1, { recursive: true });
  mkdirSync(day2, { recursive: true });
  copyFileSync(files.get('LZ4')!, join(day1, 'nfcapd.202611181200'));
  copyFileSync(files.get('BZ2')!, join(day2, 'nfcapd.202611190000'));
  writeFileSync(join(tree, 'README'), 'flows of router1\n');
  writeFileSync(join(day2, 'nfcapd.current.4242'), Buffer.alloc(40)); // still being written: nfdump -R skips it
  writeFileSync(join(tree, 'router1', '.nfstat'), 'stat\n');
  const parts = await Promise.all(['LZ4', 'BZ2'].map((c) => nfdumpInfo(files.get(c)!)));
  const info: Record<string, number> = {};
  for (const k of ['Flows', 'Packets', 'Bytes']) info[k] = parts[0]![k]! + parts[1]![k]!;
  assert.equal(info['Flows'], 6000);
  const data = join(tempDir(t), 'data');
  const r = await runCli(['import', tree, '--recursive', '--data', data]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, summaryLine(info, 2));
  assert.match(r.stdout, /; 1 file under the directories passed over\n/);
  assert.match(
    r.stdout,
    new RegExp(`\\n${join(tree, 'README')}: not a recognised flow file \\(passed over\\)\\n`),
  );
  assert.deepEqual((await stored(data)).totals, {
    flows: info['Flows'],
    packets: info['Packets'],
    bytes: info['Bytes'],
  });

  // With the format named, the other files under the tree are still passed over, not read as nfcapd files.
  const named = await runCli([
    'import',
    tree,
    '-R',
    '--format',
    'nfcapd',
    '--data',
    join(tempDir(t), 'data'),
  ]);
  assert.equal(named.code, 0, named.stderr);
  assert.match(named.stdout, summaryLine(info, 2));
  assert.match(
    named.stdout,
    new RegExp(`\\n${join(tree, 'README')}: not a nfcapd file \\(passed over\\)\\n`),
  );

  const plain = await runCli(['import', tree, '--data', join(tempDir(t), 'data')]);
  assert.equal(plain.code, 1);
  assert.equal(
    plain.stderr,
    `flowhunt: ${tree}: cannot read (EISDIR: is a directory; use --recursive to import the flow files under it)\n`,
  );
});

/**
 * Flows for an nfdump 1.6 file: IPv4 and IPv6 (every fifth), 64-bit
 * counters (flow 8), directions, and every third flow without a router
 * address of its own (its exporter comes from the file's exporter record).
 */
function v1Flows(): FlowRecord[] {
  return sampleV5Flows(300, 5).map((f, i) => ({
    ...f,
    exporterIPAddress: i % 3 === 0 ? '0.0.0.0' : '10.9.9.9',
    flowDirection: i % 2,
    ...(i % 5 === 0
      ? {
          sourceIPAddress: `2001:db8::${(i + 1).toString(16)}`,
          destinationIPAddress: '2001:db8:1:2:3:4:5:6',
          ipNextHopAddress: 'fe80::1',
          exporterIPAddress: '2001:db8::fe',
          ingressInterface: f.ingressInterface & 0xffff,
          egressInterface: f.egressInterface & 0xffff,
        }
      : {}),
    ...(i === 7 ? { packetDeltaCount: 6_000_000_000, octetDeltaCount: 9_000_000_000_000 } : {}),
  }));
}

/**
 * What a flow reads back as: a flow without a router address is written
 * with map 2 (interfaces and AS numbers only), so it has no direction and
 * no next hop, and the exporter record stands in for its router address.
 */
const asRead = (f: FlowRecord): FlowRecord =>
  f.exporterIPAddress === '0.0.0.0'
    ? { ...f, exporterIPAddress: V1_EXPORTER, flowDirection: 0, ipNextHopAddress: '0.0.0.0' }
    : f;

test('nfcapd: nfdump 1.6 files (layout 1: hand-built from the documented layout, read alike by nfdump 1.7) import uncompressed, LZ4, LZO and BZ2', async (t) => {
  const flows = v1Flows();
  const want = flows.map(asRead).sort(bySource);
  const dir = tempDir(t);
  for (const c of ['none', 'lz4', 'lzo', 'bz2'] as V1Compression[]) {
    if (c === 'bz2' && !requireTool(t, 'bzip2')) continue;
    const path = join(dir, `nfcapd.v1-${c}`);
    writeFileSync(path, nffileV1(flows, c));
    const r = await readAll(nfcapdFormat, path);
    assert.deepEqual(r.rejects, [], c);
    assert.deepEqual(r.flows.sort(bySource), want, `${c}: every field, times to the millisecond`);
    if (!requireTool(t, 'nfdump')) continue;
    // The file is what nfdump takes it for: its totals, and its CSV of every flow to the second.
    const info = await nfdumpInfo(path);
    const sum = (k: 'packetDeltaCount' | 'octetDeltaCount') => flows.reduce((a, f) => a + f[k], 0);
    assert.deepEqual(
      [info['Flows'], info['Packets'], info['Bytes']],
      [300, sum('packetDeltaCount'), sum('octetDeltaCount')],
      c,
    );
    const csv = join(dir, `v1-${c}.csv`);
    writeFileSync(csv, await nfdump(['-r', path, '-o', 'csv']));
    const theirs = (await readAll(nfdumpCsvFormat, csv)).flows.sort(bySource);
    // nfdump's `ra` is the flow's own router address: the exporter record is not printed there.
    const ra = (f: FlowRecord) =>
      f.exporterIPAddress === V1_EXPORTER ? { ...f, exporterIPAddress: '0.0.0.0' } : f;
    const sec = (f: FlowRecord) => ({
      ...f,
      flowStartMilliseconds: Math.floor(f.flowStartMilliseconds / 1000),
      flowEndMilliseconds: Math.floor(f.flowEndMilliseconds / 1000),
      // nfdump -o csv prints protocol 38 by the name of 35
      protocolIdentifier: f.protocolIdentifier === 38 ? 35 : f.protocolIdentifier,
    });
    assert.deepEqual(theirs.map(sec), want.map(ra).map(sec), `${c}: nfdump reads the same flows`);
  }
});

/** A real nfcapd file with a byte or a length changed. */
function patched(src: string, dir: string, name: string, edit: (b: Buffer) => Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, edit(readFileSync(src)));
  return path;
}

test('nfcapd: hostile files end in one line naming the block, and --strict or an unreadable file stores nothing', async (t) => {
  if (!requireTool(t, 'nfcapd')) return;
  const files = await captures();
  const dir = tempDir(t);
  const lz4 = files.get('LZ4')!;
  const cases: [string, string, RegExp][] = [
    [
      'truncated',
      patched(lz4, dir, 'nfcapd.truncated', (b) => b.subarray(0, 40 + 12 + 500)),
      /^flowhunt: .*nfcapd\.truncated: no flow could be read as nfcapd \(1 lines rejected; line 1: file ends inside block 1 \(at byte 40\) \(truncated file\)\); nothing was imported\n$/,
    ],
    [
      'LZ4 blocks said to be LZO',
      patched(lz4, dir, 'nfcapd.wrongcodec', (b) => {
        b[16] = 1;
        return b;
      }),
      /^flowhunt: .*: no flow could be read as nfcapd \(1 lines rejected; line 1: block 1 \(at byte 40\): cannot be decompressed as LZO \(LZO: .*\)\); nothing was imported\n$/,
    ],
    [
      'unknown compression',
      patched(lz4, dir, 'nfcapd.codec9', (b) => {
        b[16] = 9;
        return b;
      }),
      /^flowhunt: .*: no flow could be read as nfcapd \(1 lines rejected; line 0: nfdump file compression 9 is unknown \(known: 0 none, 1 LZO, 2 BZ2, 3 LZ4, 4 ZSTD\)\); nothing was imported\n$/,
    ],
    [
      'a block larger than nfdump allows',
      patched(files.get('uncompressed')!, dir, 'nfcapd.hugeblock', (b) => {
        b.writeUInt32LE(6 * 1024 * 1024, 40 + 4);
        return b;
      }),
      /: block 1 \(at byte 40\): corrupt block header \(size 6291456, \d+ records\)\); nothing was imported\n$/,
    ],
  ];
  for (const [what, path, line] of cases) {
    const data = join(dir, `data-${what.replace(/\W+/g, '-')}`);
    const r = await runCli(['import', path, '--data', data]);
    assert.equal(r.code, 1, what);
    assert.match(r.stderr, line, what);
    assert.equal(r.stderr.split('\n').length, 2, `${what}: one line`);
    assert.deepEqual(
      (await stored(data)).totals,
      { flows: 0, packets: 0, bytes: 0 },
      `${what}: nothing stored`,
    );
  }

  // Cut after the first of several blocks: the whole block is read, the cut one is one rejected line.
  const big = join(dir, 'nfcapd.twoblocks');
  mkdirSync(join(dir, 'cap2'));
  const cap = await captureWithNfcapd(encodeNetflowV5(sampleV5Flows(12000, 3)), join(dir, 'cap2'));
  const whole = readFileSync(cap);
  const first = 40 + 12 + whole.readUInt32LE(40 + 4);
  assert.ok(whole.readUInt32LE(36) >= 2, 'nfcapd wrote more than one data block');
  writeFileSync(big, whole.subarray(0, first + 100));
  // (nfdump 1.7.1 refuses the cut file whole: its appendix offset lies past the end.)
  const firstFlows = countRecords(whole, 52, first, 11);
  assert.ok(firstFlows > 4096 && firstFlows < 12000, `block 1 holds ${firstFlows} flows`);
  const data = join(dir, 'data-cut');
  const r = await runCli(['import', big, '--data', data]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^imported ${g(firstFlows)} flows .*; 1 line rejected\\n`));
  assert.match(
    r.stdout,
    /nfcapd\.twoblocks:\d+: file ends inside block 2 \(at byte \d+\) \(truncated file\)\n/,
  );
  assert.equal(((await stored(data)).totals as { flows: number }).flows, firstFlows);
  const strict = await runCli(['import', big, '--strict', '--data', join(dir, 'data-strict')]);
  assert.equal(strict.code, 1);
  assert.match(strict.stderr, /file ends inside block 2 .*\(--strict: nothing was imported\)\n$/);
  assert.deepEqual((await stored(join(dir, 'data-strict'))).totals, { flows: 0, packets: 0, bytes: 0 });
});

test('nfcapd: a 1.6 extension map naming an extension nfdump 1.6 does not define rejects its records, one line each', async (t) => {
  const flows = v1Flows();
  const file = nffileV1(flows);
  // Map 0 (the IPv4 flows with a router address) lists extension 20 (a MAC pair): make it 30, a reserved id.
  const at = file.indexOf(Buffer.from([20, 0, 21, 0, 22, 0]));
  assert.ok(at > 0);
  file.writeUInt16LE(30, at);
  const path = join(tempDir(t), 'nfcapd.unknown-ext');
  writeFileSync(path, file);
  const r = await readAll(nfcapdFormat, path);
  const map0 = flows.filter((f, i) => i % 5 !== 0 && f.exporterIPAddress !== '0.0.0.0');
  assert.equal(r.rejects.length, map0.length);
  assert.equal(r.flows.length, flows.length - map0.length);
  assert.deepEqual(
    new Set(r.rejects.map((x) => x.message)),
    new Set([
      'block 1: extension map 0 names extension 30, which nfdump 1.6 does not define: its records cannot be read',
    ]),
  );
  // Record numbers count every record of the file: the exporter record and three maps come first.
  assert.equal(
    r.rejects[0]!.where,
    4 + flows.findIndex((f, i) => i % 5 !== 0 && f.exporterIPAddress !== '0.0.0.0') + 1,
  );
  const strict = await runCli(['import', path, '--strict', '--data', join(tempDir(t), 'data')]);
  assert.equal(strict.code, 1);
  assert.match(
    strict.stderr,
    /nfcapd\.unknown-ext:\d+: block 1: extension map 0 names extension 30, .*\(--strict: nothing was imported\)\n$/,
  );
});

test('nfcapd: records that do not fit their block are rejected with the rest of the block, and a V3 element too short is one rejected record', async (t) => {
  if (!requireTool(t, 'nfcapd')) return;
  const files = await captures();
  const src = readFileSync(files.get('uncompressed')!);
  const dir = tempDir(t);
  const records = src.readUInt32LE(40);
  // The first record of block 1 starts at 52: find the first V3 record (type 11) and its generic-flow element.
  let o = 52;
  while (src.readUInt16LE(o) !== 11) o += src.readUInt16LE(o + 2);
  const before = o - 52 === 0 ? 0 : countRecords(src, 52, o);
  const short = Buffer.from(src);
  short.writeUInt16LE(20, o + 12 + 2); // element 1's length: 20 bytes, its body 16 (< 48)
  const bad = join(dir, 'nfcapd.short-element');
  writeFileSync(bad, short);
  const r = await readAll(nfcapdFormat, bad);
  assert.equal(r.rejects.length >= 1, true);
  assert.match(
    r.rejects[0]!.message,
    /^block 1: V3 record: element 1 \(type 1, 20 bytes\)|^block 1: V3 record: element type 1 has 16 bytes, at least 48 expected$/,
  );
  assert.equal(r.rejects[0]!.where, before + 1);
  const size = Buffer.from(src);
  size.writeUInt16LE(2, o + 2); // a record shorter than a record header
  const cut = join(dir, 'nfcapd.huge-record');
  writeFileSync(cut, size);
  const r2 = await readAll(nfcapdFormat, cut);
  assert.equal(r2.flows.length, 0);
  assert.deepEqual(r2.rejects, [
    {
      where: before + 1,
      message: `block 1: record of 2 bytes does not fit the block (${records - before} records of the block not read)`,
    },
  ]);
});

/** Records (of one type, if given) from byte `from` to `to` of an uncompressed nfcapd file. */
function countRecords(b: Buffer, from: number, to: number, type?: number): number {
  let n = 0;
  for (let o = from; o < to; o += b.readUInt16LE(o + 2))
    if (type === undefined || b.readUInt16LE(o) === type) n++;
  return n;
}

test('nfcapd: the block decoders read nothing outside their input and write nothing past their limit, whatever the bytes', () => {
  const out = new Uint8Array(4096);
  for (const decode of [lz4Block, lzo1x]) {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 600 }), (bytes) => {
        try {
          const n = decode(bytes, out);
          return n >= 0 && n <= out.length;
        } catch (e) {
          return e instanceof CodecError;
        }
      }),
      { numRuns: 3000 },
    );
  }
  // A run: a match overlapping its own output (offset 1) repeats the last byte.
  const run = new Uint8Array(20);
  assert.equal(lz4Block(Uint8Array.from([0x1f, 0x61, 1, 0, 0]), run), 20);
  assert.deepEqual([...run], Array(20).fill(0x61));
  assert.throws(
    () => lz4Block(Uint8Array.from([0x1f, 0x61, 2, 0]), run),
    /match offset 2 points before the block/,
  );
  assert.throws(() => lzo1x(Uint8Array.from([0x15, 1, 2, 3, 4]), run), /stream ends inside an instruction/);
});

test('nfcapd: --commit-flows splits a native import into commits, and running it again stores nothing twice', async (t) => {
  if (!requireTool(t, 'nfcapd')) return;
  const dir = tempDir(t);
  // 40000 flows: three batches of at most 16,384 flows, each a commit of its own with --commit-flows 1000.
  const file = await captureWithNfcapd(encodeNetflowV5(sampleV5Flows(40000, 9)), dir, ['-z']);
  const info = await nfdumpInfo(file);
  assert.equal(info['Flows'], 40000);
  const data = join(dir, 'data');
  const args = ['import', file, '--commit-flows', '1000', '--data', data];
  const r = await runCli(args);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, summaryLine(info));
  assert.match(r.stdout, /stored in 3 commits\n$/);
  const again = await runCli(args);
  assert.equal(again.code, 0, again.stderr);
  assert.match(
    again.stdout,
    /^imported 0 flows .*; 40,000 flows already stored by an earlier run of this import\n$/,
  );
  assert.deepEqual((await stored(data)).totals, {
    flows: 40000,
    packets: info['Packets'],
    bytes: info['Bytes'],
  });
});

test('nfcapd: ZSTD blocks (nfdump 1.7.2 and later; Debian 1.7.1 cannot write them, so an nfcapd file is recompressed here)', async (t) => {
  if (!requireTool(t, 'nfcapd')) return;
  if (!hasZstd()) {
    t.skip(`Node ${process.version} has no Zstandard`);
    return;
  }
  const src = readFileSync((await captures()).get('uncompressed')!);
  const blocks = src.readUInt32LE(36);
  const parts: Buffer[] = [Buffer.from(src.subarray(0, 40))];
  parts[0]![16] = 4; // ZSTD
  let o = 40;
  for (let k = 0; k < blocks; k++) {
    const size = src.readUInt32LE(o + 4);
    const z = (zlib as unknown as { zstdCompressSync(b: Uint8Array): Buffer }).zstdCompressSync(
      src.subarray(o + 12, o + 12 + size),
    );
    const h = Buffer.from(src.subarray(o, o + 12));
    h.writeUInt32LE(z.length, 4);
    parts.push(h, z);
    o += 12 + size;
  }
  parts[0]!.writeUInt32LE(0, 24); // the appendix is left out: no offset, no blocks
  parts[0]!.writeUInt16LE(0, 18);
  const path = join(tempDir(t), 'nfcapd.zstd');
  writeFileSync(path, Buffer.concat(parts));
  const r = await readAll(nfcapdFormat, path);
  assert.deepEqual(r.rejects, []);
  const sent = FLOWS().map((f) => ({ ...f, exporterIPAddress: '127.0.0.1' }));
  assert.deepEqual(r.flows.sort(bySource), sent.sort(bySource));
  // The same bytes said to be ZSTD but not: one line naming the block.
  const bad = Buffer.from(src);
  bad[16] = 4;
  writeFileSync(path, bad);
  const r2 = await readAll(nfcapdFormat, path);
  assert.equal(r2.flows.length, 0);
  assert.match(
    r2.rejects[0]!.message,
    /^block 1 \(at byte 40\): cannot be decompressed as ZSTD \(ZSTD: .+\)$/,
  );
});

test('nfcapd: a block of a type that holds no flow records (nfdump 1.5) is one rejected line, not flows lost in silence', async (t) => {
  const file = nffileV1(v1Flows());
  file.writeUInt16LE(1, 276 + 8); // the block's type: 1 (nfdump 1.5) instead of 2
  const path = join(tempDir(t), 'nfcapd.type1');
  writeFileSync(path, file);
  const r = await readAll(nfcapdFormat, path);
  assert.equal(r.flows.length, 0);
  assert.deepEqual(r.rejects, [
    {
      where: 1,
      message: 'block 1 is of type 1, which holds no flow records (nfdump reads types 2 and 3): passed over',
    },
  ]);
});

test('nfcapd: a bzip2 block that expands past the block size stops at the limit', (t) => {
  if (!requireTool(t, 'bzip2')) return;
  const zeros = execFileSync('bzip2', ['-c'], { input: Buffer.alloc(6 * 1024 * 1024) });
  assert.ok(zeros.length < 1000, 'six MiB of zeros compress to a few hundred bytes');
  const out = new Uint8Array(5 * 1024 * 1024);
  assert.throws(() => bzip2(zeros, out), {
    name: 'CodecError',
    message: 'bzip2: block decodes to more than the block size',
  });
  const text = Buffer.from('flows '.repeat(1000));
  const n = bzip2(execFileSync('bzip2', ['-c'], { input: text }), out);
  assert.equal(Buffer.from(out.subarray(0, n)).toString(), text.toString());
  assert.throws(() => bzip2(Buffer.from('BZh9 not really'), out), {
    name: 'CodecError',
    message: /^bzip2: /,
  });
});
