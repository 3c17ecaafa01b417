import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { FlowBatch } from '../../flow/batch.js';
import { tempDir } from '../../testing/helpers.js';
import { runStoreContract, sampleFlows } from '../../testing/store.case.js';
import { raw } from '../sql.js';
import { DuckFlowStore } from './index.js';

let dir = '';
runStoreContract('duckdb', {
  open: async () => {
    dir = (await import('node:fs')).mkdtempSync(join((await import('node:os')).tmpdir(), 'fh-duck-'));
    return DuckFlowStore.open(dir);
  },
  reopen: async () => DuckFlowStore.open(dir),
});

function batchOf(n: number, offset = 0): FlowBatch {
  const b = new FlowBatch(16);
  const fs = sampleFlows();
  for (let i = 0; i < n; i++) {
    const f = fs[(i + offset) % fs.length]!;
    b.push({ ...f, flowEndMilliseconds: Date.parse('2026-11-20T12:00:00Z') + i + offset });
  }
  return b;
}

test('duckdb: files are written under a temporary name, then listed in the day manifest', async (t) => {
  const d = tempDir(t);
  const s = await DuckFlowStore.open(d);
  await s.append(batchOf(100));
  await s.flush();
  await s.close();
  const dayDir = join(d, 'flows', 'day=2026-11-20');
  const names = readdirSync(dayDir);
  const parquet = names.filter((n) => n.endsWith('.parquet'));
  assert.equal(parquet.length, 1);
  assert.ok(!names.some((n) => n.endsWith('.tmp')), 'no temporary file left behind');
  const m = JSON.parse(readFileSync(join(dayDir, 'manifest.json'), 'utf8'));
  assert.deepEqual(
    m.files.map((f: { name: string; rows: number }) => [f.name, f.rows]),
    [[parquet[0], 100]],
  );
});

test('duckdb: many small flushes are compacted without losing or doubling a flow', async (t) => {
  const d = tempDir(t);
  const s = await DuckFlowStore.open(d, { compactAfterFiles: 4, retireGraceMs: 0 });
  let total = 0;
  for (let i = 0; i < 10; i++) {
    await s.append(batchOf(37, total));
    total += 37;
    await s.flush();
    assert.equal((await s.totals({})).flows, total);
  }
  const days = await s.days();
  assert.equal(days[0]!.flows, total);
  assert.ok(days[0]!.files < 4, `compacted to ${days[0]!.files} files`);
  await s.close();
  const left = readdirSync(join(d, 'flows', 'day=2026-11-20')).filter((n) => n.endsWith('.parquet'));
  assert.equal(left.length, days[0]!.files, 'retired files are deleted after the grace period');
});

test('duckdb: append flushes by itself past maxPendingRows, bounding memory', async (t) => {
  const d = tempDir(t);
  const s = await DuckFlowStore.open(d, { maxPendingRows: 50 });
  await s.append(batchOf(60));
  const r = await DuckFlowStore.open(d);
  assert.equal((await r.totals({})).flows, 60);
  await r.close();
  await s.close();
});

test('duckdb: a reader in another handle never sees a half-written or doubled day during compaction', async (t) => {
  const d = tempDir(t);
  const w = await DuckFlowStore.open(d, { compactAfterFiles: 3, retireGraceMs: 60_000 });
  const r = await DuckFlowStore.open(d);
  let total = 0;
  for (let i = 0; i < 9; i++) {
    await w.append(batchOf(11, total));
    total += 11;
    await w.flush();
    assert.equal((await r.totals({})).flows, total);
  }
  await r.close();
  await w.close();
});

test('duckdb: batches without labels store every label as NULL, labelled ones keep theirs, over many data chunks', async (t) => {
  const d = tempDir(t);
  const s = await DuckFlowStore.open(d);
  const base = sampleFlows()[1]!;
  const make = (n: number, offset: number, label: (i: number) => string | null) => {
    const b = new FlowBatch(16);
    for (let i = 0; i < n; i++)
      b.push({
        ...base,
        sourceTransportPort: i % 60000,
        flowEndMilliseconds: Date.parse('2026-11-20T12:00:00Z') + offset + i,
        label: label(i),
      });
    return b;
  };
  const plain = make(5001, 0, () => null); // 2048 + 2048 + 905 rows: the last chunk is not a whole number of bytes of mask
  assert.equal(plain.label, null);
  await s.append(plain);
  await s.append(make(4100, 10_000, (i) => (i % 3 === 0 ? `l${i % 7}` : null)));
  await s.append(make(7, 20_000, () => null));
  await s.flush();
  const got = await s.list({}, 100_000);
  await s.close();
  assert.equal(got.length, 5001 + 4100 + 7);
  const labels = new Map<string, number>();
  for (const f of got) labels.set(String(f.label), (labels.get(String(f.label)) ?? 0) + 1);
  const labelled = Math.ceil(4100 / 3);
  assert.equal(labels.get('null'), 5001 + 7 + 4100 - labelled);
  assert.equal(
    [...labels.entries()].filter(([k]) => k !== 'null').reduce((a, [, n]) => a + n, 0),
    labelled,
  );
  // Every other column is what was appended, labelled or not.
  const byEnd = new Map(got.map((f) => [f.flowEndMilliseconds, f]));
  const f = byEnd.get(Date.parse('2026-11-20T12:00:00Z') + 10_000 + 4098)!;
  assert.deepEqual(f, {
    ...base,
    sourceTransportPort: 4098,
    flowEndMilliseconds: f.flowEndMilliseconds,
    label: 'l3',
  });
  assert.equal(byEnd.get(Date.parse('2026-11-20T12:00:00Z') + 5000)!.label, null);
});

test('duckdb: each day is written as one file in end-time order, every column kept with its row', async (t) => {
  const d = tempDir(t);
  const s = await DuckFlowStore.open(d);
  const base = sampleFlows()[0]!;
  const day0 = Date.parse('2026-11-20T00:00:00Z');
  const DAY = 86_400_000;
  // 9,000 flows over two days, their end times shuffled; a flow's port and label say which it is.
  const order = [...Array(9000).keys()].map((k) => ({ k, r: (k * 7919) % 9000 }));
  const te = (k: number) => day0 + (k % 2) * DAY + Math.floor(k / 2) * 9_001; // day 2 past 2^16 ms: two radix passes
  for (let start = 0; start < order.length; start += 2500) {
    const b = new FlowBatch(16);
    for (const { r } of order.slice(start, start + 2500))
      b.push({
        ...base,
        flowEndMilliseconds: te(r),
        sourceTransportPort: r % 65536,
        octetDeltaCount: r * 3,
        label: r % 5 === 0 ? `k${r}` : null,
      });
    await s.append(b);
  }
  await s.flush();
  for (const [i, day] of ['2026-11-20', '2026-11-21'].entries()) {
    const dir = join(d, 'flows', `day=${day}`);
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    assert.equal(m.files.length, 1);
    const path = join(dir, m.files[0].name).replaceAll("'", "''");
    const rows = await s.queryFlows({}, () =>
      raw(
        `SELECT te, sport, bytes, label FROM read_parquet('${path}', file_row_number = true) ORDER BY file_row_number`,
      ),
    );
    const want = order
      .map(({ k }) => k)
      .filter((k) => k % 2 === i)
      .sort((a, b) => a - b);
    assert.equal(rows.length, want.length);
    assert.deepEqual(
      rows.map((r) => [r['te'], r['sport'], r['bytes'], r['label']]),
      want.map((k) => [te(k), k % 65536, k * 3, k % 5 === 0 ? `k${k}` : null]),
      `${day}: in time order, each row whole`,
    );
    assert.deepEqual(
      [m.files[0].rows, m.files[0].minTe, m.files[0].maxTe],
      [want.length, te(want[0]!), te(want.at(-1)!)],
    );
  }
  await s.close();
});

test('duckdb: memoryLimit is the engine memory_limit; what it spills stays in the data directory and goes at close', async (t) => {
  const d = tempDir(t);
  const s = await DuckFlowStore.open(d, { memoryLimit: '300MB' });
  let spill = '';
  try {
    const [row] = await s.queryFlows({}, () =>
      raw("SELECT current_setting('memory_limit') AS m, current_setting('temp_directory') AS t"),
    );
    // DuckDB prints the limit in its own units: 300 MB is 286.1 MiB.
    assert.equal(row!['m'], '286.1 MiB');
    spill = String(row!['t']);
    assert.match(
      spill,
      new RegExp(
        `^${d.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/flows/\\.spill\\.${process.pid}\\.[0-9a-f]{8}\\.tmp$`,
      ),
    );
    // A sort larger than the limit spills there (and succeeds).
    await s.queryFlows({}, () =>
      raw('SELECT count(*) FROM (SELECT i, md5(i::VARCHAR) h FROM range(4000000) t(i) ORDER BY h)'),
    );
    assert.ok(existsSync(spill), 'the sort spilled into it');
  } finally {
    await s.close();
  }
  assert.ok(!existsSync(spill), 'the spill directory is removed at close');
});
