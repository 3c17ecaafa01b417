import assert from 'node:assert/strict';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DuckFlowStore } from '../store/duckdb/index.js';
import type { FlowStore } from '../store/types.js';
import { fixture, tempDir } from '../testing/helpers.js';
import { ImportError, importFiles, MAX_ERROR_DETAILS, parseTimeZone } from './index.js';

// In the past of any clock that runs these tests: flows ahead of the clock are rejected (ingest.maxAheadHours).
const T0 = Date.parse('2025-11-20T12:00:00Z');

/** JSON lines of `n` flows (one day apart every 400 flows), with `bad` lines replaced by junk. */
function jsonl(n: number, bad: readonly number[] = []): string {
  const lines: string[] = [];
  for (let i = 1; i <= n; i++) {
    lines.push(
      bad.includes(i)
        ? `{"flowEndMilliseconds":"not a time ${i}"}`
        : JSON.stringify({
            flowEndMilliseconds: T0 + Math.floor(i / 400) * 86_400_000 + i,
            sourceIPAddress: `10.0.${i >> 8}.${i & 255}`,
            packetDeltaCount: i,
            octetDeltaCount: 40 * i,
          }),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** A store with something in it already: the nfdump fixture's 40 flows. */
async function storeWithData(dir: string): Promise<FlowStore> {
  const s = await DuckFlowStore.open(dir);
  await importFiles(s, [fixture(import.meta.url, 'nfdump-1.7.1.csv')]);
  return s;
}

async function snapshot(s: FlowStore) {
  return { totals: await s.totals({}), days: await s.days() };
}

test('import: bad lines are skipped and reported with file and line; the rest is stored', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'f.jsonl');
  writeFileSync(file, jsonl(10, [3, 7]));
  const s = await DuckFlowStore.open(join(dir, 'data'));
  const sum = await importFiles(s, [file]);
  assert.equal(sum.flows, 8);
  assert.equal(sum.rejected, 2);
  assert.deepEqual(
    sum.errors.map((e) => [e.file, e.where]),
    [
      [file, 3],
      [file, 7],
    ],
  );
  assert.deepEqual(await s.totals({}), { flows: 8, packets: 55 - 10, bytes: 40 * 45 });
  assert.deepEqual(sum.perFile, [{ file, format: 'jsonl', flows: 8, rejected: 2, skipped: 0 }]);
  assert.equal(sum.commits, 1);
  await s.close();
});

test('import: --strict fails on the first bad line and stores nothing, even past the import buffer', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'f.jsonl');
  // Readers hand over 4096 flows at a time: the buffer fills long before line 9000.
  writeFileSync(file, jsonl(10_000, [9000, 9500]));
  const s = await storeWithData(join(dir, 'data'));
  const before = await snapshot(s);
  await assert.rejects(
    importFiles(s, [file], { strict: true, bufferRows: 5000 }),
    (e: Error) =>
      e instanceof ImportError &&
      e.message ===
        `${file}:9000: flowEndMilliseconds: expected epoch milliseconds or an ISO 8601 time, got "not a time 9000" (--strict: nothing was imported)`,
  );
  assert.deepEqual(await snapshot(s), before);
  await s.close();
  // and on a fresh handle, as the next command would see it
  const again = await DuckFlowStore.open(join(dir, 'data'));
  assert.deepEqual(await snapshot(again), before);
  await again.close();
});

test('import: an import larger than the buffer is stored in several commits, every flow once', async (t) => {
  const dir = tempDir(t);
  const a = join(dir, 'a.jsonl');
  const b = join(dir, 'b.jsonl');
  writeFileSync(a, jsonl(10_000, [10]));
  writeFileSync(b, jsonl(500));
  const s = await DuckFlowStore.open(join(dir, 'data'));
  const progress: number[] = [];
  const sum = await importFiles(s, [a, b], { bufferRows: 5000, onProgress: (p) => progress.push(p.bytes) });
  assert.equal(sum.flows, 10_499);
  assert.equal(sum.rejected, 1);
  // batches of 4096: [4096] [4096] [1807 + b's 500]
  assert.equal(sum.commits, 3);
  const n = (k: number) => (k * (k + 1)) / 2;
  const packets = n(10_000) - 10 + n(500);
  assert.deepEqual(await s.totals({}), { flows: 10_499, packets, bytes: 40 * packets });
  assert.equal(progress.at(-1), statSync(a).size + statSync(b).size);
  await s.close();
});

test('import: a file none of whose lines can be read fails the whole import, nothing stored', async (t) => {
  const dir = tempDir(t);
  const good = join(dir, 'good.jsonl');
  const junk = join(dir, 'junk.jsonl');
  writeFileSync(good, jsonl(1000));
  writeFileSync(junk, '{"no":"time"}\n{"still":"no time"}\n');
  const s = await storeWithData(join(dir, 'data'));
  const before = await snapshot(s);
  for (const bufferRows of [undefined, 100]) {
    await assert.rejects(
      importFiles(s, [good, junk], { bufferRows }),
      (e: Error) =>
        e instanceof ImportError &&
        e.message ===
          `${junk}: no flow could be read as jsonl (2 lines rejected; line 1: no flow time: flowEndMilliseconds or flowStartMilliseconds (or ...Seconds) is required); nothing was imported`,
    );
    assert.deepEqual(await snapshot(s), before);
  }
  await s.close();
});

test('import: every file is checked before any is read', async (t) => {
  const dir = tempDir(t);
  const good = join(dir, 'good.jsonl');
  writeFileSync(good, jsonl(10));
  const s = await storeWithData(join(dir, 'data'));
  const before = await snapshot(s);
  await assert.rejects(importFiles(s, [good, join(dir, 'missing.csv')]), {
    message: `${join(dir, 'missing.csv')}: cannot read (ENOENT: no such file or directory)`,
  });
  await assert.rejects(importFiles(s, [good], { format: 'pcapng-ish' }), {
    message:
      'unknown format "pcapng-ish"; use one of: auto, pcap, nfcapd, ipfix, nfdump-csv, binetflow, zeek, jsonl',
  });
  assert.deepEqual(await snapshot(s), before);
  await s.close();
});

test('import: rejected lines are all counted, their details kept up to a cap', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'f.jsonl');
  const bad = Array.from({ length: 150 }, (_, i) => 2 * i + 2);
  writeFileSync(file, jsonl(400, bad));
  const s = await DuckFlowStore.open(join(dir, 'data'));
  const sum = await importFiles(s, [file]);
  assert.equal(sum.rejected, 150);
  assert.equal(sum.errors.length, MAX_ERROR_DETAILS);
  assert.deepEqual(
    sum.errors.slice(0, 3).map((e) => e.where),
    [2, 4, 6],
  );
  assert.equal(sum.flows, 250);
  await s.close();
});

test('import: times without a zone are read in --tz, and without it the summary warns once, naming the zone used', async (t) => {
  const dir = tempDir(t);
  const a = join(dir, 'a.binetflow');
  const b = join(dir, 'b.binetflow');
  const line = (h: string) =>
    `2011/08/11 ${h}:30:00.000000,0.5,tcp,192.0.2.1,1025,   ->,192.0.2.2,80,S_,0,0,1,60,60,flow=x\n`;
  writeFileSync(a, line('01'));
  writeFileSync(b, line('03'));
  const days = async (name: string, opts: Parameters<typeof importFiles>[2]) => {
    const s = await DuckFlowStore.open(join(dir, name));
    const sum = await importFiles(s, [a, b], opts);
    const d = (await s.days()).map((x) => x.day);
    await s.close();
    return { sum, d };
  };
  const utc = await days('utc', { tz: parseTimeZone('UTC')! });
  assert.deepEqual(utc.sum.warnings, []);
  assert.deepEqual(utc.d, ['2011-08-11']);
  // Prague in August is UTC+2: 01:30 local is 23:30 UTC the day before; 03:30 is 01:30 UTC.
  const prague = await days('prague', { tz: parseTimeZone('Europe/Prague')! });
  assert.deepEqual(prague.sum.warnings, []);
  assert.deepEqual(prague.d, ['2011-08-10', '2011-08-11']);
  const none = await days('none', {});
  assert.equal(none.sum.warnings.length, 1);
  assert.match(
    none.sum.warnings[0]!,
    /^warning: .*a\.binetflow \(and 1 more files\): binetflow times carry no time zone; read as local \(.+\) time — give --tz ZONE/,
  );
  const json = join(dir, 'c.jsonl');
  writeFileSync(json, jsonl(3));
  const s = await DuckFlowStore.open(join(dir, 'jsonl'));
  assert.deepEqual((await importFiles(s, [json])).warnings, [], 'JSON lines carry their zone');
  await s.close();
});
