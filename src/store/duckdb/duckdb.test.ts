import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { FlowBatch } from '../../flow/batch.js';
import { tempDir } from '../../testing/helpers.js';
import { runStoreContract, sampleFlows } from '../store.case.js';
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
