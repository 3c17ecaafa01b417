import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { FlowBatch } from '../flow/batch.js';
import type { FlowRecord } from '../flow/record.js';
import { DuckFlowStore } from '../store/duckdb/index.js';
import { fixture, requireTool, runCli, tempDir } from '../testing/helpers.js';
import { assertSameV5Flow, readAll, sampleV5Flows } from '../testing/import.js';
import { captureWithNfcapd, encodeNetflowV5, nfdump } from '../testing/nfcapd.js';
import { importFiles, parseTimeZone } from './index.js';
import { nfdumpCsvFormat, nfdumpCsvParser } from './nfdump-csv.js';

/** Counts as `flowhunt import` prints them (grouped, en-US). */
const fmtNum = (n: number) => n.toLocaleString('en-US');

// nfdump prints local times and flowhunt reads them as local times: pin the zone for both.
process.env['TZ'] = 'UTC';

const execFileP = promisify(execFile);
const FIXTURE = 'nfdump-1.7.1.csv';
const FIXTURE_FLOWS = () => sampleV5Flows(40, 7);

/** One nfcapd capture of a few thousand flows, shared by the tests that need nfdump. */
let shared: Promise<{ flows: FlowRecord[]; file: string }> | undefined;
let captureDir: string | undefined;
after(() => {
  if (captureDir) rmSync(captureDir, { recursive: true, force: true });
});
function capture() {
  shared ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowhunt-nfcapd-'));
    captureDir = dir;
    const flows = sampleV5Flows(3000, 42);
    return { flows, file: await captureWithNfcapd(encodeNetflowV5(flows), dir) };
  })();
  return shared;
}

async function nfdumpTotals(file: string): Promise<{ flows: number; packets: number; bytes: number }> {
  const info = await nfdump(['-I', '-r', file]);
  const get = (k: string) => Number(new RegExp(`^${k}: (\\d+)$`, 'm').exec(info)?.[1]);
  return { flows: get('Flows'), packets: get('Packets'), bytes: get('Bytes') };
}

async function stored(dataDir: string): Promise<{ totals: unknown; flows: FlowRecord[] }> {
  const s = await DuckFlowStore.open(dataDir);
  try {
    return { totals: await s.totals({}), flows: await s.list({}, 1_000_000) };
  } finally {
    await s.close();
  }
}

function assertAllSame(got: FlowRecord[], sent: FlowRecord[]): void {
  assert.equal(got.length, sent.length);
  const bySrc = new Map(sent.map((f) => [f.sourceIPAddress, f]));
  for (const g of got) assertSameV5Flow(g, bySrc.get(g.sourceIPAddress)!);
}

test('nfdump-csv: flowhunt import of `nfdump -o csv` stores what nfdump -I counts, flow for flow', async (t) => {
  if (!requireTool(t, 'nfcapd')) return;
  const { flows, file } = await capture();
  const dir = tempDir(t);
  const csv = join(dir, 'flows.csv');
  writeFileSync(csv, await nfdump(['-r', file, '-o', 'csv']));
  const r = await runCli(['import', csv, '--data', join(dir, 'data')]);
  assert.equal(r.code, 0, r.stderr);
  const want = await nfdumpTotals(file);
  assert.equal(want.flows, 3000);
  assert.match(
    r.stdout,
    new RegExp(
      `^imported ${fmtNum(want.flows)} flows \\(${fmtNum(want.packets)} packets, ${fmtNum(want.bytes)} bytes\\) from 1 file; 0 lines rejected\\n$`,
    ),
  );
  const got = await stored(join(dir, 'data'));
  assert.deepEqual(got.totals, want);
  assertAllSame(got.flows, flows);
});

test('nfdump-csv: the same CSV without its header line imports the same', async (t) => {
  if (!requireTool(t, 'nfcapd')) return;
  const { flows, file } = await capture();
  const dir = tempDir(t);
  const csv = join(dir, 'noheader.csv');
  const text = await nfdump(['-r', file, '-o', 'csv']);
  assert.match(text, /^ts,te,td,sa,da,/);
  writeFileSync(csv, text.slice(text.indexOf('\n') + 1)); // the trailing Summary lines stay
  const r = await runCli(['import', csv, '--data', join(dir, 'data'), '--format', 'nfdump-csv']);
  assert.equal(r.code, 0, r.stderr);
  const got = await stored(join(dir, 'data'));
  assert.deepEqual(got.totals, await nfdumpTotals(file));
  assertAllSame(got.flows, flows);
});

test('nfdump-csv: times are local times, read in the TZ nfdump printed them in', async (t) => {
  if (!requireTool(t, 'nfcapd')) return;
  const { flows, file } = await capture();
  const dir = tempDir(t);
  const csv = join(dir, 'taipei.csv');
  const env = { ...process.env, TZ: 'Asia/Taipei' };
  const { stdout } = await execFileP('nfdump', ['-q', '-r', file, '-o', 'csv'], { env, maxBuffer: 64 << 20 });
  assert.notEqual(stdout.slice(0, 19), (await nfdump(['-q', '-r', file, '-o', 'csv'])).slice(0, 19));
  writeFileSync(csv, stdout);
  const r = await runCli(['import', csv, '--data', join(dir, 'data')], { env: { TZ: 'Asia/Taipei' } });
  assert.equal(r.code, 0, r.stderr);
  assertAllSame((await stored(join(dir, 'data'))).flows, flows);
});

test('nfdump-csv: CSV printed in another zone reads back exactly with that zone as tz, on a UTC host', async (t) => {
  if (!requireTool(t, 'nfcapd')) return;
  const { flows, file } = await capture();
  const dir = tempDir(t);
  const csv = join(dir, 'taipei.csv');
  const env = { ...process.env, TZ: 'Asia/Taipei' };
  const { stdout } = await execFileP('nfdump', ['-q', '-r', file, '-o', 'csv'], { env, maxBuffer: 64 << 20 });
  writeFileSync(csv, stdout);
  const store = await DuckFlowStore.open(join(dir, 'data'));
  const s = await importFiles(store, [csv], { tz: parseTimeZone('Asia/Taipei')! });
  await store.close();
  assert.deepEqual(s.warnings, []);
  assertAllSame((await stored(join(dir, 'data'))).flows, flows);
  // The same file read as this host's (UTC) times lands 8 hours late, and says how it was read.
  const wrong = await DuckFlowStore.open(join(dir, 'wrong'));
  const w = await importFiles(wrong, [csv]);
  const first = (await wrong.list({}, 1))[0]!;
  await wrong.close();
  assert.match(w.warnings[0]!, /nfdump-csv times carry no time zone; read as local \(UTC\) time/);
  const sent = flows.find((f) => f.sourceIPAddress === first.sourceIPAddress)!;
  assert.equal(
    Math.floor(first.flowEndMilliseconds / 1000) - Math.floor(sent.flowEndMilliseconds / 1000),
    8 * 3600,
  );
});

test('nfdump-csv: the committed fixture reads back as the flows it was made from', async (t) => {
  const path = fixture(import.meta.url, FIXTURE);
  const dir = tempDir(t);
  const store = await DuckFlowStore.open(dir);
  const s = await importFiles(store, [path]);
  const totals = await store.totals({});
  const got = await store.list({}, 1000);
  await store.close();
  // nfdump's own summary, at the end of the file: flows,bytes,packets,...
  const [flows, bytes, packets] = readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .at(-1)!
    .split(',')
    .map(Number);
  assert.deepEqual(totals, { flows, packets, bytes });
  assert.equal(s.flows, 40);
  assert.equal(s.rejected, 0);
  assertAllSame(got, FIXTURE_FLOWS());
});

test('nfdump-csv: the committed fixture is what nfdump prints for its flows (set FLOWHUNT_UPDATE_FIXTURES=1 to remake it)', async (t) => {
  if (!requireTool(t, 'nfcapd')) return;
  const file = await captureWithNfcapd(encodeNetflowV5(FIXTURE_FLOWS()), tempDir(t));
  const now = await nfdump(['-r', file, '-o', 'csv']);
  const path = fixture(import.meta.url, FIXTURE);
  if (process.env['FLOWHUNT_UPDATE_FIXTURES'] === '1') writeFileSync(path, now);
  // `tr` (last column) is when nfcapd received the flow: it differs on every run.
  const strip = (s: string) =>
    s.split('\n').map((l) => (/^\d{4}-/.test(l) ? l.slice(0, l.lastIndexOf(',')) : l));
  assert.deepEqual(strip(now), strip(readFileSync(path, 'utf8')));
});

test('nfdump-csv: whole-second times keep the exact duration and the end in the printed second', async (t) => {
  const path = join(tempDir(t), 'x.csv');
  const line = (ts: string, te: string, td: string) =>
    `${ts},${te},${td},10.0.0.1,10.0.0.2,1,2,TCP,......S.,0,0,1,40,0,0,0,0,0,0,0,0,0,0,0.0.0.0,0.0.0.0,0,0,00:00:00:00:00:00,00:00:00:00:00:00,00:00:00:00:00:00,00:00:00:00:00:00,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,    0.000,    0.000,    0.000,192.0.2.9,0/0,1,2026-11-20 12:00:09.000`;
  writeFileSync(
    path,
    [
      line('2026-11-20 12:00:01', '2026-11-20 12:00:02', '0.002'), // really .999 → 2.001
      line('2026-11-20 12:00:00', '2026-11-20 12:00:05', '5.333'),
      line('2026-11-20 23:59:59', '2026-11-21 00:00:00', '0.500'),
    ].join('\n'),
  );
  const r = await readAll(nfdumpCsvFormat, path);
  const at = (s: string) => Date.parse(`${s}Z`);
  assert.deepEqual(
    r.flows.map((f) => [f.flowStartMilliseconds, f.flowEndMilliseconds]),
    [
      [at('2026-11-20T12:00:01.998'), at('2026-11-20T12:00:02.000')],
      [at('2026-11-20T12:00:00.000'), at('2026-11-20T12:00:05.333')],
      [at('2026-11-20T23:59:59.500'), at('2026-11-21T00:00:00.000')],
    ],
  );
  assert.equal(r.flows[0]!.exporterIPAddress, '192.0.2.9');
});

test('nfdump-csv: a named header (newer nfdump), millisecond times, IPv6 and hex flags read by column name', async (t) => {
  const path = join(tempDir(t), 'named.csv');
  writeFileSync(
    path,
    [
      'firstSeen,lastSeen,duration,proto,srcAddr,srcPort,dstAddr,dstPort,flags,packets,bytes,input,output,srcAS,dstAS,routerIP',
      '2026-11-20 12:00:00.123,2026-11-20 12:00:01.456,1.333,6,2001:db8::1,443,2001:db8:0:0:0:0:0:2,51000,0x1b,7,900,3,4,65001,65002,2001:db8::fe',
      '2026-11-20 12:00:02.000,2026-11-20 12:00:02.000,0.000,ICMP6,fe80::1,0,ff02::1,34560,........,1,64,0,0,0,0,10.1.1.1',
    ].join('\n'),
  );
  const r = await readAll(nfdumpCsvFormat, path);
  assert.deepEqual(r.rejects, []);
  const f = r.flows[0]!;
  assert.deepEqual(
    [f.flowStartMilliseconds, f.flowEndMilliseconds, f.sourceIPAddress, f.destinationIPAddress],
    [
      Date.parse('2026-11-20T12:00:00.123Z'),
      Date.parse('2026-11-20T12:00:01.456Z'),
      '2001:db8::1',
      '2001:db8::2',
    ],
  );
  assert.deepEqual(
    [
      f.protocolIdentifier,
      f.tcpControlBits,
      f.packetDeltaCount,
      f.octetDeltaCount,
      f.ingressInterface,
      f.egressInterface,
    ],
    [6, 0x1b, 7, 900, 3, 4],
  );
  assert.deepEqual(
    [f.bgpSourceAsNumber, f.bgpDestinationAsNumber, f.exporterIPAddress],
    [65001, 65002, '2001:db8::fe'],
  );
  assert.deepEqual([r.flows[1]!.protocolIdentifier, r.flows[1]!.destinationTransportPort], [58, 34560]);
});

test('nfdump-csv: bad lines are rejected with their line number and what is wrong', async (t) => {
  const good = readFileSync(fixture(import.meta.url, FIXTURE), 'utf8').split('\n');
  const path = join(tempDir(t), 'bad.csv');
  const bad = (i: number, col: number, v: string) => {
    const f = good[i]!.split(',');
    f[col] = v;
    return f.join(',');
  };
  writeFileSync(
    path,
    [
      good[0], // header
      good[1],
      bad(2, 3, '2001:62..e0:fed5'), // line 3: abbreviated IPv6 (nfdump's non-CSV formats)
      bad(3, 7, 'NOPE'), // line 4
      '2026-11-20 12:00:00,2026-11-20 12:00:01,1.000,10.0.0.1', // line 5
      bad(5, 11, '1.2 M'), // line 6: a scaled number
      bad(6, 0, '2026-13-01 00:00:00'), // line 7
      good[7],
    ].join('\n'),
  );
  const r = await readAll(nfdumpCsvFormat, path);
  assert.equal(r.flows.length, 2);
  assert.deepEqual(r.rejects, [
    {
      where: 3,
      message:
        'source address "2001:62..e0:fed5" is not an IP address (nfdump abbreviates IPv6 addresses in this format; use -o csv or -6)',
    },
    { where: 4, message: 'protocol (pr) "NOPE" is not valid' },
    { where: 5, message: 'expected 48 comma-separated fields, found 4' },
    { where: 6, message: 'packet count (ipkt) "1.2 M" is not valid' },
    { where: 7, message: 'first-seen time (ts) "2026-13-01 00:00:00" is not valid' },
  ]);
});

test('nfdump-csv: sniffs its header or a header-less first line, and nothing else', () => {
  const sniff = (s: string) => nfdumpCsvFormat.sniff(Buffer.from(s), 'x');
  const fx = readFileSync(fixture(import.meta.url, FIXTURE), 'utf8').split('\n');
  assert.equal(sniff(fx.join('\n')), true);
  assert.equal(sniff(`\n${fx.slice(1).join('\n')}`), true);
  assert.equal(
    sniff(
      'StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,Label\n',
    ),
    false,
  );
  assert.equal(sniff('{"sourceIPAddress":"10.0.0.1"}\n'), false);
  assert.equal(sniff('\x00\x01\x02'), false);
});

test('nfdump-csv: the byte reader reads every plain line as the text reader does, and leaves every other line to it', () => {
  const lines = readFileSync(fixture(import.meta.url, FIXTURE), 'utf8').split('\n');
  const header = lines[0]!;
  const plain = lines.slice(1, lines.indexOf('Summary')).filter((l) => l !== '');
  assert.equal(plain.length, 40);
  const set = (i: number, changes: Record<number, string>) => {
    const f = plain[i]!.split(',');
    for (const [col, v] of Object.entries(changes)) f[Number(col)] = v;
    return f.join(',');
  };
  // Columns: 0 ts, 1 te, 2 td, 3 sa, 4 da, 5 sp, 6 dp, 7 pr, 8 flg, 10 stos, 11 ipkt, 12 ibyt, 22 dir, 23 nh, 44 ra.
  const readByBytes = [
    ...plain,
    set(0, { 3: '2001:db8::1', 4: 'fe80::1' }), // IPv6
    set(1, { 5: '3.1', 7: 'ICMP' }), // ICMP type.code
    set(2, { 22: 'I' }),
    set(3, { 22: 'E', 7: '6' }),
    set(4, { 2: '12' }),
    set(5, { 2: '12.5' }),
    set(6, { 1: '2026-11-21 00:00:00', 0: '2026-11-20 23:59:59', 2: '0.400' }), // across midnight
    set(7, { 0: '2026-11-20 10:00:60', 1: '2026-11-20 10:01:00' }), // a leap second as printed
    set(8, { 12: '999999999999999' }), // 15 digits
    set(9, { 7: 'GRE', 8: '........' }),
    set(10, { 8: '0x12' }), // hex flags
    // Flags and protocols read from the bytes (letters and dots; TCP, UDP, ICMP) or through their text.
    set(11, { 8: 'CEUAPRSF' }),
    set(12, { 7: 'UDP', 8: '...A....' }),
    set(13, { 7: 'ICMP', 8: '' }),
    set(14, { 7: 'tcp', 8: '0x02' }),
    set(15, { 7: 'ESP' }),
  ];
  // Read by the text reader alone: the same flow the slow way, or a rejection.
  const readAsText = [
    set(0, { 0: '2026-11-20 22:20:14.123' }), // milliseconds
    set(2, { 2: '0.0005' }),
    set(3, { 11: ' 24' }), // a padded number
    set(4, { 12: '9999999999999999' }), // 16 digits
    set(5, { 3: '10.0.0.256' }),
    set(6, { 1: '2026-02-30 10:00:00' }),
    set(7, { 7: 'NOPE' }),
    set(8, { 11: '' }),
    set(9, { 22: 'X' }),
    '2026-11-20 12:00:00,2026-11-20 12:00:01,1.000,10.0.0.1',
    set(10, { 8: '.A.Z' }), // not a flag letter
    set(11, { 7: 'TCPX' }),
  ];
  for (const tz of [parseTimeZone('UTC')!, parseTimeZone('Europe/Prague')!]) {
    const byText = nfdumpCsvParser({ tz });
    const byBytes = nfdumpCsvParser({ tz });
    for (const p of [byText, byBytes]) assert.equal(p.line(header, 1, new FlowBatch(1)), undefined);
    const read = (line: string) => {
      const a = new FlowBatch(1);
      const outcome = byText.line(line, 2, a);
      const b = new FlowBatch(1);
      const buf = Buffer.from(`x${line}y`); // the line inside a larger buffer, as in a chunk
      const fast = byBytes.bytes!(buf, 1, buf.length - 1, b);
      return { outcome, text: a.records(), fast, bytes: b.records() };
    };
    for (const line of readByBytes) {
      const r = read(line);
      assert.equal(r.outcome, undefined, line);
      assert.equal(r.fast, true, line);
      assert.equal(r.text.length, 1, line);
      assert.deepEqual(r.bytes, r.text, line);
    }
    for (const line of readAsText) {
      const r = read(line);
      assert.equal(r.fast, false, line);
      assert.deepEqual(r.bytes, [], line); // a declined line leaves the batch as it was
    }
    // The ones that are flows read as flows (by the text reader, as before).
    assert.deepEqual(
      readAsText.map((l) => read(l).text.length),
      [1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    );
  }
});

/**
 * Lines for the one-pass reader (lineAt): the fixture's flows and variants
 * of them, in an order that makes it compare the unread columns smk..exid
 * with those of the line before (the same bytes, or bytes that differ in
 * one place).
 */
function onePassLines(): string[] {
  const lines = readFileSync(fixture(import.meta.url, FIXTURE), 'utf8').split('\n');
  const plain = lines.slice(1, lines.indexOf('Summary')).filter((l) => l !== '');
  const set = (i: number, changes: Record<number, string>) => {
    const f = plain[i]!.split(',');
    for (const [col, v] of Object.entries(changes)) f[Number(col)] = v;
    return f.join(',');
  };
  const fields = (i: number, edit: (f: string[]) => void) => {
    const f = plain[i]!.split(',');
    edit(f);
    return f.join(',');
  };
  return [
    ...plain,
    // Each differs from the line before it in the one place said.
    plain[3]!, // the same line again: smk..exid as in the memo
    set(3, { 22: '1' }), // dir
    set(3, { 22: '1', 23: '10.1.2.3' }), // nh
    set(3, { 22: '1', 23: '10.1.2.3', 44: '10.9.9.9' }), // ra
    set(3, { 22: '1', 23: '10.1.2.3', 44: '10.9.9.9', 43: '    1.000' }), // al, the last column skipped
    set(3, { 22: '1', 23: '10.1.2.3', 44: '10.9.9.9', 43: '    1.000', 46: '2' }), // exid
    set(3, { 22: '1', 23: '10.1.2.3', 44: '10.9.9.99', 43: '    1.000', 46: '2' }), // ra, one byte longer
    set(3, { 22: '1', 23: '10.1.2.3', 44: '10.9.9.9', 43: '    1.000', 46: '2' }), // ... and back
    // ra differs in its last byte only, with the bytes before it shifted by 0 to 15: the
    // difference falls in every part of the compare (16-byte blocks, words, last bytes).
    ...Array.from({ length: 16 }, (_, pad) => [
      set(3, { 43: `${' '.repeat(pad)}0.000`, 44: '10.9.9.9' }),
      set(3, { 43: `${' '.repeat(pad)}0.000`, 44: '10.9.9.8' }),
    ]).flat(),
    // A line with the memo's bytes but one: exid runs into tr (47 fields), the comma
    // missing falling in each part of the compare.
    ...Array.from({ length: 4 }, (_, pad) => [
      set(3, { 43: `${' '.repeat(pad)}0.000` }),
      fields(3, (f) => {
        f[43] = `${' '.repeat(pad)}0.000`;
        f.splice(46, 2, `${f[46]}${f[47]}`);
      }),
    ]).flat(),
    set(3, { 44: '2001:db8::7' }), // ra IPv6
    set(3, { 44: '2001:db8::7' }), // ... again, from the memo
    set(3, { 44: '2001:db8::8' }), // ... the last byte of it
    set(3, { 23: 'fe80::1', 44: '::ffff:10.0.0.9' }), // nh and ra IPv6
    set(3, { 23: 'fe80::1', 44: '::ffff:10.0.0.9' }),
    set(4, { 19: 'x', 27: 'not a MAC', 35: '?', 41: 'slow' }), // bad values in columns not read do not matter
    set(4, { 0: '2026-11-20 22:20:14.500' }), // milliseconds: the text reader
    set(4, { 1: '2026-11-20 22:21:00' }), // another minute
    set(4, { 1: '2026-11-20 22:21:61' }), // no such second
    set(4, { 1: '2026-11-20 21:23x56' }), // the minute of ts (so from the cache), then not `:`
    set(4, { 1: '2026-11-20 21:23:5x' }),
    set(4, { 11: '12x' }), // a bad count: rejected by the text reader
    set(4, { 23: '10.0.0' }), // a bad next hop
    set(4, { 44: '10.0.0.1.2' }), // a bad exporter
    set(4, { 5: '8.0', 7: 'ICMP' }),
    set(4, { 7: '47', 8: '0x1b' }),
    set(4, { 22: 'E' }),
    set(4, { 3: '010.000.000.001' }), // leading zeros, as address() reads them
    set(4, { 3: '1.2.3.4.' }),
    set(4, { 3: '1.2.3.1000' }), // a part of 4 digits
    set(4, { 4: '1000.2.3.4' }),
    set(4, { 23: '1.2.3.0255' }),
    set(4, { 44: '1.2.3.256' }),
    fields(5, (f) => f.splice(30, 1)), // 47 fields: one fewer in the middle
    fields(5, (f) => f.splice(30, 0, '0')), // 49 fields: ra is field 44, not the 4th from the end
    fields(5, (f) => f.splice(44, 0, '10.44.44.44')), // 49 fields, field 44 a different address
    fields(5, (f) => f.splice(30)), // 30 fields: the count of the skipped ones must stop at the line's end
    fields(5, (f) => f.splice(42)), // 42 fields: counting on into the next line would end at its sa
    plain[5]!,
    fields(5, (f) => f.splice(44)), // 44 fields: no ra
    fields(5, (f) => f.splice(46)), // 46 fields: nothing after eng
    fields(5, (f) => f.splice(47)), // 47 fields: no tr
    fields(5, (f) => (f[47] = '')), // an empty tr
    fields(5, (f) => f.push('extra', '1')), // 50 fields
    plain[6]!,
    plain[6]!,
  ];
}

test('nfdump-csv: the one-pass reader (lineAt) reads a line as the text reader does, finds its end, or leaves it', () => {
  const lines = onePassLines();
  for (const tz of [parseTimeZone('UTC')!, parseTimeZone('Europe/Prague')!]) {
    for (const eol of ['\n', '\r\n']) {
      const byText = nfdumpCsvParser({ tz });
      const onePass = nfdumpCsvParser({ tz });
      const buf = Buffer.from(`x${lines.join(eol)}${eol}`);
      let pos = 1;
      let fast = 0;
      for (const line of lines) {
        const a = new FlowBatch(1);
        const outcome = byText.line(line, 2, a);
        const b = new FlowBatch(1);
        const lf = onePass.lineAt!(buf, pos, buf.length, b);
        const next = buf.indexOf('\n', pos);
        if (lf >= 0) {
          fast++;
          assert.equal(lf, next, line);
          assert.equal(outcome, undefined, line);
          assert.deepEqual(b.records(), a.records(), line);
        } else {
          assert.equal(b.length, 0, line); // a line left to the others leaves the batch as it was
          // It is still read as the text reader reads it.
          const c = new FlowBatch(1);
          const end = buf[next - 1] === 13 ? next - 1 : next;
          if (!onePass.bytes!(buf, pos, end, c)) assert.deepEqual(onePass.line(line, 2, c), outcome, line);
          assert.deepEqual(c.records(), a.records(), line);
        }
        pos = next + 1;
      }
      assert.ok(fast >= 90, `${fast} lines read in one pass`);
      // No line feed before the limit: left alone.
      assert.equal(onePass.lineAt!(buf, 1, buf.indexOf('\n') - 1, new FlowBatch(1)), -1);
    }
  }
  // The lines that read and those that do not, as the text reader says.
  const rejects = (l: string) => {
    const p = nfdumpCsvParser({ tz: parseTimeZone('UTC')! });
    return p.line(l, 1, new FlowBatch(1));
  };
  assert.deepEqual(
    lines.map(rejects).filter((r) => r !== undefined),
    [
      ...new Array(4).fill({ reject: 'expected 48 comma-separated fields, found 47' }), // exid runs into tr
      { reject: 'last-seen time (te) "2026-11-20 22:21:61" is not valid' },
      { reject: 'last-seen time (te) "2026-11-20 21:23x56" is not valid' },
      { reject: 'last-seen time (te) "2026-11-20 21:23:5x" is not valid' },
      { reject: 'packet count (ipkt) "12x" is not valid' },
      { reject: 'next-hop (nh) address "10.0.0" is not an IP address' },
      { reject: 'exporter (ra) address "10.0.0.1.2" is not an IP address' },
      { reject: 'source address "1.2.3.4." is not an IP address' },
      { reject: 'source address "1.2.3.1000" is not an IP address' },
      { reject: 'destination address "1000.2.3.4" is not an IP address' },
      { reject: 'next-hop (nh) address "1.2.3.0255" is not an IP address' },
      { reject: 'exporter (ra) address "1.2.3.256" is not an IP address' },
      { reject: 'expected 48 comma-separated fields, found 47' }, // one fewer in the middle
      { reject: 'exporter (ra) address "0.000" is not an IP address' }, // field 44 of 49 is al's value
      { reject: 'expected 48 comma-separated fields, found 30' },
      { reject: 'expected 48 comma-separated fields, found 42' },
      { reject: 'expected 48 comma-separated fields, found 44' },
      { reject: 'expected 48 comma-separated fields, found 46' },
      { reject: 'expected 48 comma-separated fields, found 47' },
    ],
  );
});

test('nfdump-csv: a file read in one pass gives the flows and rejections of reading each line as text', async (t) => {
  const lines = onePassLines();
  const header = readFileSync(fixture(import.meta.url, FIXTURE), 'utf8').split('\n')[0]!;
  // Enough lines for several 256 KiB chunks, some ended by CRLF; with and without the header.
  const body: string[] = [];
  for (let k = 0; body.length < 4000; k++)
    body.push(...lines.map((l, i) => ((i + k) % 7 === 0 ? `${l}\r` : l)));
  const tz = parseTimeZone('Asia/Taipei')!;
  for (const withHeader of [true, false]) {
    const all = withHeader ? [header, ...body] : body;
    const path = join(tempDir(t), 'flows.csv');
    writeFileSync(path, `${all.join('\n')}\n`);
    const want = { flows: [] as FlowRecord[], rejects: [] as { where: number; message: string }[] };
    const p = nfdumpCsvParser({ tz });
    const batch = new FlowBatch(1);
    all.forEach((raw, i) => {
      const r = p.line(raw.endsWith('\r') ? raw.slice(0, -1) : raw, i + 1, batch);
      if (r && 'reject' in r) want.rejects.push({ where: i + 1, message: r.reject });
    });
    want.flows = batch.records();
    const got = await readAll(nfdumpCsvFormat, path, { tz });
    assert.equal(got.flows.length, want.flows.length);
    assert.deepEqual(got.rejects, want.rejects);
    assert.deepEqual(got.flows, want.flows);
  }
});
