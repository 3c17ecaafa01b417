import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DAY_MS, dayOf, FlowBatch } from '../../flow/batch.js';
import { emptyRecord } from '../../flow/record.js';
import { tempDir } from '../../testing/helpers.js';
import { fillDisk, mountTmpfs } from '../../testing/tmpfs.js';
import { StoreError } from '../types.js';
import { DuckFlowStore } from './index.js';

const DAY_A = Date.parse('2025-06-01T12:00:00Z');
const DAY_B = DAY_A + DAY_MS;

/** `n` flows ending at `at(i)`, packets = 1 each, bytes = i (a checksum of which flows were stored). */
/** A 32-bit hash of `i` (murmur3's finalizer): no pattern an encoding can pack. */
function mix(i: number): number {
  let h = Math.imul(i + 1, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function flows(n: number, at: (i: number) => number, base = 0): FlowBatch {
  const b = new FlowBatch(n);
  for (let i = 0; i < n; i++) {
    const te = at(i);
    b.push({
      ...emptyRecord(),
      flowStartMilliseconds: Number.isFinite(te) && te >= 0 ? te : 0,
      flowEndMilliseconds: te,
      sourceIPAddress: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      destinationIPAddress: `192.0.2.${(i * 7) % 250}`,
      // Hashed, not arithmetic: Parquet v2's delta encoding packs a linear sequence to nothing, and the full-disk
      // tests need files that take room.
      sourceTransportPort: mix(i) & 0xffff,
      destinationTransportPort: mix(i) >>> 16,
      protocolIdentifier: 6,
      packetDeltaCount: 1,
      octetDeltaCount: base + i,
    });
  }
  return b;
}

const quiet = { log: () => undefined };

test('dayOf names a day for any number: NaN, negative, beyond what Date holds', () => {
  assert.equal(dayOf(9e15), '9999-12-31');
  assert.equal(dayOf(Number.MAX_VALUE), '9999-12-31');
  assert.equal(dayOf(Number.NaN), '1970-01-01');
  assert.equal(dayOf(-5), '1970-01-01');
  assert.equal(dayOf(DAY_A), '2025-06-01');
});

test('a flow with a time no partition can hold is dropped and counted; the other 19 are stored once, and flushes keep working', async (t) => {
  const d = tempDir(t);
  const s = await DuckFlowStore.open(d, quiet);
  const b = flows(20, (i) => (i === 7 ? 9e15 : DAY_A + i));
  await s.append(b);
  await s.flush();
  // The wedge: each retry every 5 s rewrote the days before the poison (20 flows became 80 rows).
  for (let k = 0; k < 3; k++) await s.flush();
  assert.deepEqual(await s.totals({}), { flows: 19, packets: 19, bytes: 190 - 7 });
  assert.equal(s.writeState().droppedRows, 1);
  assert.equal(s.writeState().stagedRows, 0);
  await s.append(flows(5, (i) => DAY_A + 100 + i, 1000));
  await s.flush();
  assert.equal((await s.totals({})).flows, 24);
  await s.close();
});

test('flows scattered over 300 days: no flush holds more than maxPendingDays days, every flow stored once', async (t) => {
  const d = tempDir(t);
  const s = await DuckFlowStore.open(d, { ...quiet, maxPendingDays: 8 });
  const n = 300;
  const b = flows(n, (i) => DAY_A - i * DAY_MS);
  await s.append(b);
  assert.ok(s.writeState().stagedDays <= 8, `${s.writeState().stagedDays} days staged`);
  await s.flush();
  assert.deepEqual(await s.totals({}), { flows: n, packets: n, bytes: (n * (n - 1)) / 2 });
  assert.equal((await s.days()).length, n);
  await s.close();
});

test('a named batch flushed again (a rerun after a crash between two days) writes only the day it had not written', async (t) => {
  const d = tempDir(t);
  const a = flows(100, (i) => DAY_A + i);
  const both = () => {
    const x = flows(100, (i) => DAY_A + i);
    x.append(flows(50, (i) => DAY_B + i, 100));
    return x;
  };
  // First run: only day A made it (as if killed after the first day's manifest swap).
  const s1 = await DuckFlowStore.open(d, quiet);
  await s1.append(a);
  await s1.flush('imp-X-0');
  await s1.close();
  // Rerun of the same batch, both days: A is found in its manifest and skipped, B is written.
  const s2 = await DuckFlowStore.open(d, quiet);
  await s2.append(both());
  await s2.flush('imp-X-0');
  assert.deepEqual(await s2.totals({}), { flows: 150, packets: 150, bytes: (150 * 149) / 2 });
  // And again: nothing more.
  await s2.append(both());
  await s2.flush('imp-X-0');
  assert.equal((await s2.totals({})).flows, 150);
  const m = JSON.parse(readFileSync(join(d, 'flows', `day=${dayOf(DAY_B)}`, 'manifest.json'), 'utf8'));
  assert.deepEqual(m.batches, ['imp-X-0']);
  // An unnamed flush of the same rows is new data: stored (the id is what makes a rerun idempotent).
  await s2.append(both());
  await s2.flush();
  assert.equal((await s2.totals({})).flows, 300);
  await s2.close();
});

test('leftovers of killed writers are removed when the store opens; listed data is kept', async (t) => {
  const d = tempDir(t);
  const s = await DuckFlowStore.open(d, quiet);
  await s.append(flows(10, (i) => DAY_A + i));
  await s.flush();
  await s.putDocs('reports', '2025-06-01T12-00', [{ a: 1 }]);
  await s.close();
  // A pid that is surely dead: a process that has exited.
  const dead = spawnSync(process.execPath, [
    '-e',
    'process.stdout.write(String(process.pid))',
  ]).stdout.toString();
  const dayDir = join(d, 'flows', `day=${dayOf(DAY_A)}`);
  const junk = [
    join(dayDir, `.part-1-deadbeef.parquet.${dead}.0badc0de.tmp`),
    join(dayDir, `.manifest.json.${dead}.12345678.tmp`),
    join(dayDir, 'part-1-unlisted.parquet'),
    join(d, 'docs', 'reports', `.2025-06-01T12-05.${dead}.abcdef01.tmp`),
  ];
  for (const f of junk) writeFileSync(f, 'x'.repeat(1000));
  const live = join(dayDir, `.part-2-cafe.parquet.${process.pid}.0badc0de.tmp`);
  writeFileSync(live, 'still being written by a live process');
  mkdirSync(join(d, 'flows', '.trash-2020-01-01-00000000', 'x'), { recursive: true });
  // DuckDB's spill directory of a killed store process, and one of a live one.
  const deadSpill = join(d, 'flows', `.spill.${dead}.0badc0de.tmp`);
  const liveSpill = join(d, 'flows', `.spill.${process.pid}.0badc0de.tmp`);
  for (const dir of [deadSpill, liveSpill]) {
    mkdirSync(dir);
    writeFileSync(join(dir, 'duckdb_temp_storage-0.tmp'), 'x'.repeat(1000));
  }
  const s2 = await DuckFlowStore.open(d, quiet);
  assert.deepEqual(s2.swept, { tmpFiles: 4, unlistedFiles: 1, trashDirs: 1 });
  assert.ok(!existsSync(deadSpill), "a killed process's spill directory is removed");
  assert.ok(existsSync(liveSpill), "a live process's spill directory is kept");
  rmSync(liveSpill, { recursive: true });
  for (const f of junk) assert.ok(!existsSync(f), `${f} removed`);
  assert.ok(existsSync(live), "a live process's temporary file is kept");
  assert.ok(!existsSync(join(d, 'flows', '.trash-2020-01-01-00000000')));
  assert.equal((await s2.totals({})).flows, 10);
  assert.deepEqual((await s2.getDocs('reports'))[0]?.docs, [{ a: 1 }]);
  await s2.close();
  rmSync(live);
});

test('a full disk during a flush of two days: 0 flows lost, 0 doubled, one-line error, the rest written once space is freed', async (t) => {
  const mnt = mountTmpfs(t, 8 * 1024 * 1024);
  if (!mnt) return;
  const d = join(mnt, 'data');
  const s = await DuckFlowStore.open(d, quiet);
  // Day A is small; day B is ~0.5 MB of Parquet (its hashed ports compress badly).
  const smallA = flows(200, (i) => DAY_A + i);
  const bigB = flows(120_000, (i) => DAY_B + i * 250, 200);
  const total = 200 + 120_000;
  const bytes = (total * (total - 1)) / 2;
  // Room for day A and its manifest, not for day B.
  const ballast = fillDisk(mnt, 256 * 1024);
  await s.append(smallA);
  await s.append(bigB);
  const err = await s.flush().then(
    () => null,
    (e: Error) => e,
  );
  assert.ok(err instanceof StoreError, `flush failed with a StoreError: ${err}`);
  assert.equal(err.code, 'store_full');
  assert.ok(!err.message.includes('\n'), 'one line');
  assert.match(
    err.message,
    /could not write 1 of 2 days \(2025-06-02: .*No space left on device.*120000 flows stay staged/,
  );
  // Day A is stored, once; day B waits in the stage; no temporary file is left to hold the space.
  assert.deepEqual(await s.totals({}), { flows: 200, packets: 200, bytes: (200 * 199) / 2 });
  assert.equal(s.writeState().stagedRows, 120_000);
  for (const day of readdirSync(join(d, 'flows')).filter((n) => n.startsWith('day=')))
    assert.deepEqual(
      readdirSync(join(d, 'flows', day)).filter((n) => n.endsWith('.tmp')),
      [],
      `no .tmp in ${day}`,
    );
  // Still full: the retry fails again, and still does not write day A twice.
  await assert.rejects(s.flush(), /could not write 1 of 1 days/);
  assert.equal((await s.totals({})).flows, 200);
  rmSync(ballast);
  await s.flush();
  assert.deepEqual(await s.totals({}), { flows: total, packets: total, bytes });
  assert.equal(s.writeState().stagedRows, 0);
  assert.equal(s.writeState().lastError, undefined);
  await s.close();
  const again = await DuckFlowStore.open(d, quiet);
  assert.deepEqual(await again.totals({}), { flows: total, packets: total, bytes });
  await again.close();
});

test('while the disk stays full the stage is bounded: what does not fit is refused with STAGE_FULL, nothing half-staged', async (t) => {
  const mnt = mountTmpfs(t, 4 * 1024 * 1024);
  if (!mnt) return;
  const s = await DuckFlowStore.open(join(mnt, 'data'), { ...quiet, maxPendingRows: 1000 });
  const ballast = fillDisk(mnt, 0);
  // 1000 staged: the flush at the bound fails, the flows stay.
  await s.append(flows(1000, (i) => DAY_A + i));
  assert.equal(s.writeState().stagedRows, 1000);
  await assert.rejects(s.append(flows(10, (i) => DAY_A + 5000 + i, 1000)), (e: Error) => {
    assert.ok(e instanceof StoreError && e.code === 'stage_full', String(e));
    assert.match(e.message, /stage is full \(1000 flows of 1 days waiting\).*10 flows refused/);
    assert.equal((e as { refused?: number }).refused, 10);
    return true;
  });
  assert.equal(s.writeState().stagedRows, 1000);
  rmSync(ballast);
  await s.append(flows(10, (i) => DAY_A + 5000 + i, 1000));
  await s.flush();
  assert.deepEqual(await s.totals({}), { flows: 1010, packets: 1010, bytes: (1010 * 1009) / 2 });
  await s.close();
});
