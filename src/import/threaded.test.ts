import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DuckFlowStore } from '../store/duckdb/index.js';
import { readPcapPayloads } from '../testing/datagrams.js';
import { fixture, tempDir } from '../testing/helpers.js';
import { formatByName, type ImportSink } from './format.js';
import { ImportError, importFiles, parseTimeZone } from './index.js';
import { prestartReader, readFile, readThreaded } from './threaded.js';

type Event = unknown[];

/** A sink that writes down every call, in order. */
function recorder(): { sink: ImportSink; events: Event[] } {
  const events: Event[] = [];
  return {
    events,
    sink: {
      batch: (b) => void events.push(['batch', b.records()]),
      reject: (where, message) => void events.push(['reject', where, message]),
      skip: (where, reason) => void events.push(['skip', where, reason]),
      progress: (bytes) => void events.push(['progress', bytes]),
    },
  };
}

/** The test files: every kind of reader, with bad input in some. */
function files(dir: string): { format: string; path: string }[] {
  const csv = readFileSync(fixture(import.meta.url, 'nfdump-1.7.1.csv'), 'utf8').split('\n');
  csv.splice(5, 0, 'not,a,flow', `${csv[3]!.replace(/,ICMP,/, ',NOPE,')}`);
  const badCsv = join(dir, 'bad.csv');
  writeFileSync(badCsv, csv.join('\n'));
  const capture = fixture(import.meta.url, '../../decode/testdata/ipfix_test_mikrotik.pcap');
  const ipfix = Buffer.concat(readPcapPayloads(readFileSync(capture)).map((p) => p.payload));
  const cut = join(dir, 'cut.ipfix');
  writeFileSync(cut, ipfix.subarray(0, ipfix.length - 1)); // the last message truncated
  return [
    { format: 'nfdump-csv', path: badCsv },
    { format: 'binetflow', path: fixture(import.meta.url, 'ctu-style.binetflow') },
    { format: 'zeek', path: fixture(import.meta.url, 'zeek-conn.log') },
    { format: 'jsonl', path: fixture(import.meta.url, 'flows.jsonl') },
    { format: 'pcap', path: capture },
    { format: 'ipfix', path: cut },
  ];
}

test('threaded read: every format hands the sink the same batches, rejections, skips and progress, in the same order', async (t) => {
  const dir = tempDir(t);
  let rejects = 0;
  let flows = 0;
  for (const f of files(dir)) {
    const here = recorder();
    await formatByName(f.format)!.read(f.path, here.sink, { tz: parseTimeZone('Europe/Prague')! });
    const there = recorder();
    await readThreaded({ format: f.format, path: f.path, tz: 'Europe/Prague' }, there.sink);
    assert.deepEqual(there.events, here.events, f.format);
    rejects += here.events.filter((e) => e[0] === 'reject').length;
    flows += here.events.reduce((a, e) => a + (e[0] === 'batch' ? (e[1] as unknown[]).length : 0), 0);
  }
  // The comparison covers flows and bad input: 2 bad CSV lines, the truncated IPFIX message.
  assert.ok(flows > 100, `${flows} flows`);
  assert.ok(rejects >= 3, `${rejects} rejections`);
});

test('threaded read: a thread started ahead takes the next read, and reads the same as a thread started for it', async (t) => {
  const dir = tempDir(t);
  for (const f of files(dir).slice(0, 3)) {
    const fresh = recorder();
    await readThreaded({ format: f.format, path: f.path, tz: 'Europe/Prague' }, fresh.sink);
    prestartReader();
    prestartReader(); // a second call keeps the one thread
    const ahead = recorder();
    await readThreaded({ format: f.format, path: f.path, tz: 'Europe/Prague' }, ahead.sink);
    assert.deepEqual(ahead.events, fresh.events, f.format);
    assert.ok(fresh.events.length > 0);
  }
});

test('threaded read: a thread started ahead and never used does not keep the process alive', () => {
  const url = new URL('./threaded.js', import.meta.url).href;
  const r = spawnSync(
    process.execPath,
    ['--input-type=module', '-e', `const m = await import(${JSON.stringify(url)}); m.prestartReader();`],
    { encoding: 'utf8', timeout: 20_000 },
  );
  assert.equal(r.error, undefined, 'it ended by itself');
  assert.equal(r.status, 0, r.stderr);
});

test("threaded read: a sink's throw ends the read with that error; a reader's I/O error keeps its code", async (t) => {
  const dir = tempDir(t);
  const f = files(dir)[0]!;
  const stop = new Error('enough');
  let batches = 0;
  await assert.rejects(
    readThreaded(
      { format: f.format, path: f.path },
      {
        batch: () => {
          batches++;
        },
        reject: () => {
          throw stop;
        },
      },
    ),
    (e) => e === stop,
  );
  assert.equal(batches, 0); // the first bad line comes before the first batch (40 flows, one batch)
  const missing = join(dir, 'gone.csv');
  const sink = recorder().sink;
  const here = await formatByName('nfdump-csv')!
    .read(missing, sink)
    .catch((e: NodeJS.ErrnoException) => e);
  const there = await readThreaded({ format: 'nfdump-csv', path: missing }, sink).catch(
    (e: NodeJS.ErrnoException) => e,
  );
  assert.ok(here instanceof Error && there instanceof Error);
  assert.equal((there as NodeJS.ErrnoException).code, 'ENOENT');
  assert.equal(there.message, here.message);
});

test('threaded read: readFile reads small files here and large ones in the worker, with the same result', async (t) => {
  const dir = tempDir(t);
  const f = files(dir)[0]!;
  const format = formatByName(f.format)!;
  const a = recorder();
  await readFile(format, f.path, 10, a.sink, {}, { threadMinBytes: 1000 });
  const b = recorder();
  await readFile(format, f.path, 10_000, b.sink, {}, { threadMinBytes: 1000 });
  assert.deepEqual(b.events, a.events);
});

test('import through the worker: the same summary and stored flows; --strict fails the same way, nothing stored', async (t) => {
  const dir = tempDir(t);
  const paths = files(dir).map((f) => f.path);
  const results = [];
  for (const threadMinBytes of [Number.POSITIVE_INFINITY, 0]) {
    const s = await DuckFlowStore.open(join(dir, `data-${threadMinBytes}`));
    // A small buffer: several commits, and the check before the first.
    const summary = await importFiles(s, paths, {
      threadMinBytes,
      bufferRows: 50,
      tz: parseTimeZone('UTC')!,
    });
    await assert.rejects(
      importFiles(s, paths, { threadMinBytes, strict: true, bufferRows: 50, tz: parseTimeZone('UTC')! }),
      (e: Error) => e instanceof ImportError && /--strict: nothing was imported/.test(e.message),
    );
    results.push({
      summary,
      totals: await s.totals({}),
      days: (await s.days()).map((d) => [d.day, d.flows]),
    });
    await s.close();
  }
  assert.ok(results[0]!.summary.commits > 1);
  assert.ok(results[0]!.summary.rejected >= 3);
  assert.deepEqual(results[1], results[0]);
});
