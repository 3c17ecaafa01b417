import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { FlowBatch } from '../flow/batch.js';
import { fixture, tempDir } from '../testing/helpers.js';
import { readAll } from '../testing/import.js';
import { parseTimeZone } from './index.js';
import { nfdumpCsvFormat, nfdumpCsvParser } from './nfdump-csv.js';
import { scannerMissing } from './nfdump-csv-scan.js';

/** The plain lines of the committed `nfdump -o csv` output (nfdump 1.7.1, no summary). */
function plainLines(): string[] {
  const lines = readFileSync(fixture(import.meta.url, 'nfdump-1.7.1.csv'), 'utf8').split('\n');
  return lines.slice(1, lines.indexOf('Summary')).filter((l) => l !== '');
}

/** Reads `text` as the text reader drives a parser over one chunk: runs, and a line at a time where a run stops. */
function drive(text: string, tz: string) {
  const p = nfdumpCsvParser({ tz: parseTimeZone(tz)! });
  const buf = p.readBuffer!;
  const n = buf.write(text, 'latin1');
  assert.equal(n, Buffer.byteLength(text, 'latin1'), 'the test text fits one chunk');
  const out = new FlowBatch(1);
  // The first line as text (as the reader does), to set the columns and the memo.
  let pos = buf.indexOf(10) + 1;
  p.line(buf.toString('latin1', 0, pos - 1), 1, out);
  let byRun = 0;
  for (;;) {
    const before = out.length;
    pos = p.run!(buf, pos, n, 4096, out, 4096);
    byRun += out.length - before;
    const lf = p.lineAt!(buf, pos, n, out);
    if (lf < 0) break;
    pos = lf + 1;
  }
  assert.equal(pos, n, 'every line read');
  return { flows: out.records(), byRun };
}

/** The same lines read one at a time as text. */
function asText(lines: string[], tz: string) {
  const p = nfdumpCsvParser({ tz: parseTimeZone(tz)! });
  const out = new FlowBatch(1);
  const rejects: { where: number; message: string }[] = [];
  lines.forEach((l, i) => {
    const r = p.line(l, i + 1, out);
    if (r && 'reject' in r) rejects.push({ where: i + 1, message: r.reject });
  });
  return { flows: out.records(), rejects };
}

test('nfdump-csv scan: the WebAssembly reader is built', () => {
  assert.equal(scannerMissing(), '');
});

/**
 * `n` lines as on a network, from the fixture's: no next hop (the fixture's lines each have their own), mostly
 * TCP, UDP and ICMP (some as numbers); one line in ten keeps the fixture's protocol name (IGMP, XTP, ...),
 * which only the JavaScript reader knows. Times from `times`, in turn.
 */
function networkLines(n: number, times: readonly (readonly [string, string])[]): string[] {
  const plain = plainLines();
  const common = ['TCP', 'UDP', 'TCP', 'ICMP', '6', '17', 'TCP', 'UDP', '047'];
  return Array.from({ length: n }, (_, k) => {
    const f = plain[k % plain.length]!.split(',');
    [f[0], f[1]] = times[k % times.length]!;
    f[23] = '0.0.0.0';
    if (k % 10 !== 9) f[7] = common[k % common.length]!;
    return f.join(',');
  });
}

test('nfdump-csv scan: runs of plain lines read in WebAssembly give the flows of reading each line as text, across minutes, a DST change and memo changes', () => {
  // Minutes go by, one line's times in two minutes, and the hour Prague's clocks go back (02:00-03:00 twice,
  // 25 October 2026) and the one they skip (29 March 2026): every minute's instant is worked out in JavaScript.
  const times: [string, string][] = [];
  for (let m = 0; m < 70; m++) {
    const mm = String(m % 60).padStart(2, '0');
    const hh = String(1 + Math.floor(m / 60)).padStart(2, '0');
    times.push([`2026-10-25 ${hh}:${mm}:58`, `2026-10-25 ${hh}:${mm}:59`]);
    times.push([`2026-10-25 ${hh}:${mm}:59`, `2026-10-25 ${hh}:${String((m + 1) % 60).padStart(2, '0')}:00`]);
  }
  times.push(['2026-03-29 02:30:00', '2026-03-29 02:30:05'], ['2026-03-29 01:59:60', '2026-03-29 03:00:00']);
  const lines = networkLines(650, times);
  // A new next hop now and then: the memo changes, the run stops there, and goes on with the new one.
  for (let k = 100; k < lines.length; k += 100) {
    const f = lines[k]!.split(',');
    f[23] = `10.0.${k >> 8}.${k & 255}`;
    lines[k] = f.join(',');
  }
  const want = asText(lines, 'Europe/Prague');
  assert.deepEqual(want.rejects, []);
  const got = drive(`${lines.join('\n')}\n`, 'Europe/Prague');
  assert.deepEqual(got.flows, want.flows);
  // Most lines by the run: the rest are the first, those whose memo changed, and the protocol names.
  assert.ok(got.byRun >= lines.length * 0.85, `${got.byRun} of ${lines.length} lines by the scanner`);
});

/** Field values at the edges of what each field reads as (see plainLine), and just past them. */
const EDGES = [
  ...['999999999999999', '1000000000000000', '9007199254740991', '9007199254740993', '0000000000000001'],
  ...['65535', '65536', '255', '256', '4294967295', '4294967296', '', ' 1', '1 ', '-1', '+1', '1e3'],
  ...['1.2345', '0.123', '0.12', '0.', '.5', '123456789012.5', '1234567890123', '8.0', '3.10', '0x1b'],
  ...['255.255.255.255', '256.1.1.1', '1.2.3', '1.2.3.4.5', '01.002.3.4', '0001.2.3.4', '::1', '2001:db8::7'],
  ...[
    '2026-11-20 10:00:60',
    '2026-11-20 10:00:61',
    '2026-02-30 10:00:00',
    '2026-11-20 10:00',
    '1969-12-31 23:59:59',
  ],
  ...['2026-11-20 10:00:00.123', '2026-11-20 24:00:00', '2026-11-20 10:60:00', '2026/11/20 10:00:00'],
  ...['TCP', 'UDP', 'ICMP', 'ICMP6', 'tcp', 'TCPX', 'UD', '0', '255', '256', 'GRE', 'ESP'],
  ...['........', 'CEUAPRSF', '.A..S', 'X', '..A .S.', 'I', 'E', 'B'],
];

test('nfdump-csv scan: each field read set to each edge value reads as the text reader reads it', async (t) => {
  // Lines the scanner reads (not the protocol names only JavaScript knows), each edited in one field.
  const plain = networkLines(40, [['2026-11-20 10:00:59', '2026-11-20 10:01:00']]).filter(
    (_, k) => k % 10 !== 9,
  );
  const lines: string[] = [];
  for (let field = 0; field <= 24; field++)
    for (const [v, value] of EDGES.entries()) {
      const f = plain[(field + v) % plain.length]!.split(',');
      f[field] = value;
      lines.push(f.join(','), plain[v % plain.length]!); // and a plain line: the run goes on after it
    }
  const path = join(tempDir(t), 'flows.csv');
  writeFileSync(path, `${lines.join('\n')}\n`);
  const want = asText(lines, 'UTC');
  const got = await readAll(nfdumpCsvFormat, path, { tz: parseTimeZone('UTC')! });
  assert.ok(want.rejects.length > 500 && want.flows.length > 2000, 'edges on both sides');
  assert.deepEqual(got.rejects, want.rejects);
  assert.deepEqual(got.flows, want.flows);
});

test('nfdump-csv scan: damaged lines read in one pass give the flows and rejections of reading each line as text', async (t) => {
  const plain = networkLines(100, [
    ['2026-11-20 10:00:59', '2026-11-20 10:01:00'],
    ['2026-11-20 10:01:07', '2026-11-20 10:01:09'],
  ]);
  const dir = tempDir(t);
  // A byte of each kind a field can hold, and a few that no field does.
  const bytes = '0123456789.,:- AEPRSFUCx\r\t';
  const edit = fc.record({
    line: fc.nat(plain.length - 1),
    at: fc.oneof(fc.nat(140), fc.nat(400)), // mostly in the fields read
    what: fc.oneof(
      fc.record({ put: fc.constantFrom(...bytes) }),
      fc.record({ cut: fc.integer({ min: 1, max: 3 }) }),
      fc.record({ insert: fc.stringMatching(/^[0-9.,:]{1,20}$/) }),
      fc.record({
        field: fc.nat(47),
        value: fc.oneof(fc.constantFrom(...EDGES), fc.stringMatching(/^[0-9.:x -]{0,8}$/)),
      }),
    ),
  });
  await fc.assert(
    fc.asyncProperty(fc.array(edit, { minLength: 1, maxLength: 40 }), async (edits) => {
      const lines = Array.from({ length: 300 }, (_, k) => plain[k % plain.length]!);
      for (const e of edits) {
        const k = (e.line * 7) % lines.length;
        const l = lines[k]!;
        const i = e.at % (l.length + 1);
        const w = e.what;
        if ('field' in w) {
          const f = l.split(',');
          f[w.field] = w.value;
          lines[k] = f.join(',');
          continue;
        }
        lines[k] =
          'put' in w
            ? l.slice(0, i) + w.put + l.slice(i + 1)
            : 'cut' in w
              ? l.slice(0, i) + l.slice(i + w.cut)
              : l.slice(0, i) + w.insert + l.slice(i);
      }
      const path = join(dir, 'flows.csv');
      writeFileSync(path, `${lines.join('\n')}\n`, 'latin1');
      const want = asText(
        lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l)),
        'UTC',
      );
      const got = await readAll(nfdumpCsvFormat, path, { tz: parseTimeZone('UTC')! });
      assert.deepEqual(got.rejects, want.rejects);
      assert.deepEqual(got.flows, want.flows);
    }),
    { numRuns: 200 },
  );
});
