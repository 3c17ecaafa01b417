import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DuckFlowStore } from '../store/duckdb/index.js';
import { openStore } from '../store/open.js';
import { startCluster } from '../testing/clickhouse.js';
import { ROOT, requireTool, runCli, tempDir } from '../testing/helpers.js';
import { sampleV5Flows } from '../testing/import.js';
import { captureWithNfcapd, encodeNetflowV5, nfdumpInfo } from '../testing/nfcapd.js';
import { fillDisk, mountTmpfs } from '../testing/tmpfs.js';
import { fmtNum } from './common.js';

const T0 = Date.parse('2025-03-01T00:00:00Z');

/** JSON lines of `n` flows over `days` days; flow i has i+1 packets, so the packet sum tells which were stored. */
/** A 32-bit hash of `i` (murmur3's finalizer): ports no Parquet encoding packs, so the full-disk test's files take room. */
function mix(i: number): number {
  let h = Math.imul(i + 1, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function writeFlows(path: string, n: number, days = 3): { flows: number; packets: number } {
  const lines: string[] = [];
  const span = days * 86_400_000;
  for (let i = 0; i < n; i++) {
    lines.push(
      JSON.stringify({
        flowEndMilliseconds: T0 + Math.floor((i * span) / n),
        sourceIPAddress: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
        destinationIPAddress: '192.0.2.9',
        sourceTransportPort: mix(i) & 0xffff,
        destinationTransportPort: mix(i) >>> 16,
        protocolIdentifier: 6,
        packetDeltaCount: i + 1,
        octetDeltaCount: 40 * (i + 1),
      }),
    );
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
  return { flows: n, packets: (n * (n + 1)) / 2 };
}

async function totals(data: string) {
  const s = await DuckFlowStore.open(data, { log: () => undefined });
  try {
    const t = await s.totals({});
    return { flows: t.flows, packets: t.packets };
  } finally {
    await s.close();
  }
}

/** Commits recorded so far by the import writing into `data` (its progress document). */
function commitsRecorded(data: string): number {
  const dir = join(data, 'docs', 'imports');
  if (!existsSync(dir)) return 0;
  let n = 0;
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.jsonl')))
    n += readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean).length;
  return n;
}

/**
 * Starts `flowhunt import`; `reached` resolves true once `recorded()` says it
 * has recorded `commits` commits, or false if it exits first.
 */
function importUntil(args: string[], recorded: () => number | Promise<number>, commits: number, everyMs = 5) {
  const p = spawn(process.execPath, [join(ROOT, 'bin/flowhunt.js'), 'import', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  p.stderr.on('data', (d) => {
    stderr += d;
  });
  p.stdout.resume();
  let gone = false;
  const exited = new Promise<number | null>((r) => p.on('close', (code) => r(code))).finally(() => {
    gone = true;
  });
  const reached = (async () => {
    while (!gone) {
      if ((await recorded()) >= commits) return true;
      await new Promise((r) => setTimeout(r, everyMs));
    }
    return false;
  })();
  return { p, reached, exited, stderr: () => stderr };
}

const noStack = (text: string) => assert.doesNotMatch(text, /\n\s+at /, `no stack trace: ${text}`);

test('a 2-line JSON-lines import with one far-future line: the good line is stored once, the other rejected with a clear line', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'poison.jsonl');
  writeFileSync(
    file,
    `${JSON.stringify({ flowEndMilliseconds: T0, sourceIPAddress: '10.0.0.1', packetDeltaCount: 3, octetDeltaCount: 120 })}\n${JSON.stringify({ flowEndMilliseconds: 9e15, sourceIPAddress: '10.0.0.2', packetDeltaCount: 5, octetDeltaCount: 200 })}\n`,
  );
  const data = join(dir, 'data');
  const r = await runCli(['import', file, '--data', data]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.equal(
    r.stdout,
    `imported 1 flow (3 packets, 120 bytes) from 1 file; 0 lines rejected; 1 flow rejected for an implausible time (future: 1)\n${file}: flow 2: end time 9000000000000000 is more than ingest.maxAheadHours ahead of this machine's clock (future)\n`,
  );
  assert.deepEqual(await totals(data), { flows: 1, packets: 3 });
  // The same command again: nothing stored twice, and it says why.
  const again = await runCli(['import', file, '--data', data]);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stderr, `flowhunt: resuming: 1 flows of ${file} already stored\n`);
  assert.match(
    again.stdout,
    /^imported 0 flows .*; 1 flow already stored by an earlier run of this import\n/,
  );
  assert.deepEqual(await totals(data), { flows: 1, packets: 3 });
});

test('kill -9 during a large import, then the same command: it resumes, 0 flows doubled, the exact total', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'big.jsonl');
  const want = writeFlows(file, 120_000);
  const data = join(dir, 'data');
  const args = [file, '--data', data, '--commit-flows', '10000'];
  const run = importUntil(args, () => commitsRecorded(data), 3);
  assert.ok(await run.reached, `the import ended before its third commit: ${run.stderr()}`);
  run.p.kill('SIGKILL');
  await run.exited;
  const partial = await totals(data);
  // Commits of 8,192 (readers hand over 4,096 flows at a time, 3 of which pass 10,000).
  assert.ok(
    partial.flows >= 3 * 8192 && partial.flows < want.flows,
    `${partial.flows} stored before the kill`,
  );
  const r = await runCli(['import', ...args]);
  assert.equal(r.code, 0, r.stderr);
  const m = /^flowhunt: resuming: (\d+) flows of (\S+) already stored\n$/.exec(r.stderr);
  assert.ok(m, r.stderr);
  assert.equal(m[2], file);
  const resumed = Number(m[1]);
  assert.equal(resumed % 8192, 0, 'whole commits');
  assert.ok(resumed >= 3 * 8192 && resumed <= partial.flows, `${resumed} resumed of ${partial.flows} stored`);
  assert.match(
    r.stdout,
    new RegExp(
      `^imported ${fmtNum(want.flows - resumed)} flows .*; ${fmtNum(resumed)} flows already stored by an earlier run of this import\n`,
    ),
  );
  assert.deepEqual(await totals(data), want);
  // No temporary file of the killed process is left.
  for (const day of readdirSync(join(data, 'flows')).filter((n) => n.startsWith('day=')))
    assert.deepEqual(
      readdirSync(join(data, 'flows', day)).filter((n) => n.endsWith('.tmp')),
      [],
    );
});

test('kill -9 during a native nfcapd import, then the same command: every flow once, as nfdump -I counts them', async (t) => {
  if (!requireTool(t, 'nfcapd')) return;
  const dir = tempDir(t);
  const file = await captureWithNfcapd(encodeNetflowV5(sampleV5Flows(60_000, 11)), dir);
  const info = await nfdumpInfo(file);
  assert.equal(info['Flows'], 60_000);
  const data = join(dir, 'data');
  const args = [file, '--data', data, '--commit-flows', '5000'];
  const run = importUntil(args, () => commitsRecorded(data), 2);
  assert.ok(await run.reached, `the import ended before its second commit: ${run.stderr()}`);
  run.p.kill('SIGKILL');
  await run.exited;
  const partial = await totals(data);
  // Commits of 4,096 flows: the reader hands over 4,096 at a time, and two pass 5,000.
  assert.ok(partial.flows >= 2 * 4096 && partial.flows < 60_000, `${partial.flows} stored before the kill`);
  const r = await runCli(['import', ...args]);
  assert.equal(r.code, 0, r.stderr);
  const m = /^flowhunt: resuming: (\d+) flows of (\S+) already stored\n$/.exec(r.stderr);
  assert.ok(m, r.stderr);
  assert.equal(Number(m[1]) % 4096, 0, 'whole commits');
  assert.ok(Number(m[1]) >= 2 * 4096 && Number(m[1]) <= partial.flows);
  assert.deepEqual(await totals(data), { flows: 60_000, packets: info['Packets'] });
});

test('SIGTERM during an import: one line saying what is stored; the rerun completes it exactly', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'big.jsonl');
  const want = writeFlows(file, 60_000);
  const data = join(dir, 'data');
  const args = [file, '--data', data, '--commit-flows', '5000'];
  const run = importUntil(args, () => commitsRecorded(data), 2);
  assert.ok(await run.reached, `the import ended before its second commit: ${run.stderr()}`);
  run.p.kill('SIGTERM');
  const code = await run.exited;
  assert.equal(code, 1);
  const line = run.stderr();
  noStack(line);
  const m =
    /^flowhunt: import stopped \(SIGTERM\); (\d+) flows of this import are stored \((\S+) flows 1-(\d+), \1 of them by this run in \d+ commits\); run the same command again to continue without duplicates\n$/.exec(
      line,
    );
  assert.ok(m, line);
  assert.equal(m[2], file);
  const stored = Number(m[1]);
  assert.equal(Number(m[3]), stored);
  assert.equal((await totals(data)).flows, stored);
  const r = await runCli(['import', ...args]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, `flowhunt: resuming: ${stored} flows of ${file} already stored\n`);
  assert.deepEqual(await totals(data), want);
});

test('an import that fills the disk says in one line what it committed; after space is freed the rerun completes it exactly', async (t) => {
  const mnt = mountTmpfs(t, 16 * 1024 * 1024);
  if (!mnt) return;
  const dir = tempDir(t);
  const file = join(dir, 'big.jsonl');
  const want = writeFlows(file, 200_000, 2);
  const data = join(mnt, 'data');
  const args = [file, '--data', data, '--commit-flows', '20000'];
  // A first small import creates the store; then leave room for a few commits only.
  const seed = join(dir, 'seed.jsonl');
  writeFileSync(seed, `${JSON.stringify({ flowEndMilliseconds: T0, packetDeltaCount: 1 })}\n`);
  assert.equal((await runCli(['import', seed, '--data', data])).code, 0);
  const ballast = fillDisk(mnt, 448 * 1024);
  const r = await runCli(['import', ...args]);
  assert.equal(r.code, 1, r.stdout);
  noStack(r.stderr);
  assert.equal(r.stderr.split('\n').filter(Boolean).length, 1, r.stderr);
  const m =
    /^flowhunt: cannot write to the store \(\d{4}-\d{2}-\d{2}: .*No space left on device.*\); (\d+) flows of this import are stored \((\S+) flows 1-(\d+)(?:, and (\d+) flows of commit \d+)?, \d+ of them by this run in \d+ commits\); run the same command again to continue without duplicates\n$/.exec(
      r.stderr,
    );
  assert.ok(m, r.stderr);
  assert.equal(m[2], file);
  const stored = Number(m[1]);
  // Whole commits, and the days of the failed commit that were written before the disk filled.
  assert.equal(stored, Number(m[3]) + Number(m[4] ?? 0));
  assert.ok(stored > 0 && stored < want.flows && Number(m[3]) % 16_384 === 0, `${stored} stored`);
  rmSync(ballast);
  assert.deepEqual(await totals(data), { flows: stored + 1, packets: (stored * (stored + 1)) / 2 + 1 });
  const again = await runCli(['import', ...args]);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stderr, `flowhunt: resuming: ${stored} flows of ${file} already stored\n`);
  assert.deepEqual(await totals(data), { flows: want.flows + 1, packets: want.packets + 1 });
});

test('on ClickHouse: an import stopped by SIGTERM and run again stores every flow once (commits recorded as documents)', async (t) => {
  if (!requireTool(t, 'clickhouse-server')) return;
  const cluster = await startCluster();
  t.after(() => cluster.stop());
  const dir = tempDir(t);
  const file = join(dir, 'big.jsonl');
  const want = writeFlows(file, 60_000);
  const args = [file, '--store', cluster.url, '--data', join(dir, 'data'), '--commit-flows', '5000'];
  const s = await openStore(cluster.url);
  t.after(() => s.close());
  const recorded = async () => (await s.getDocs('imports'))[0]?.docs.length ?? 0;
  const run = importUntil(args, recorded, 2, 50);
  assert.ok(await run.reached, run.stderr());
  run.p.kill('SIGTERM');
  assert.equal(await run.exited, 1, run.stderr());
  const stderr = run.stderr();
  const m = /^flowhunt: import stopped \(SIGTERM\); (\d+) flows of this import are stored/.exec(stderr);
  assert.ok(m, stderr);
  const stored = Number(m[1]);
  const before = await s.totals({});
  assert.equal(before.flows, stored);
  const r = await runCli(['import', ...args]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, `flowhunt: resuming: ${stored} flows of ${file} already stored\n`);
  const after = await s.totals({});
  assert.deepEqual({ flows: after.flows, packets: after.packets }, want);
});
