/**
 * @module Benchmark: where an import's microseconds per flow go, stage by
 * stage, for one file (an nfdump CSV or an IPFIX file; give it one).
 *
 * Stages, each timed alone in this process, CPU (user + system of every
 * thread, from `process.cpuUsage`) and wall, per flow:
 * - `read`: the format's reader (parse and batch), nothing stored;
 * - `stageAndOrder`: per commit of `--commit` flows (the import's buffer),
 *   the batches held by day, each day merged and its order by end time found
 *   (`stage.ts`);
 * - the Parquet write of each day through the table function over the held
 *   rows (`scan.ts`): in time order (what the store does), as they came, and
 *   with other codecs; and, to compare, the same rows filled into a DuckDB
 *   table and written from it by DuckDB alone;
 * - for an nfdump CSV, DuckDB's own `read_csv` of the file into Parquet.
 * The whole `flowhunt import` of the same file is timed too (`import-run.ts`).
 * The previous result of the same format is kept in the new one as `before`.
 * Run: node dist/bench/import-stages.js FILE [--commit 500000] [--threads N]
 */

import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
} from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { DAY_MS, type FlowBatch } from '../src/flow/batch.js';
import { sqlType, storageColumns } from '../src/flow/schema.js';
import { detectFormat } from '../src/import/format.js';
import { parseTimeZone } from '../src/import/times.js';
import { StagedScan } from '../src/store/duckdb/scan.js';
import { type OrderedDay, Stage } from '../src/store/duckdb/stage.js';
import { importRun } from './import-run.js';
import { arg, ROOT, writeResult } from './machine.js';

const file = process.argv[2];
if (!file || file.startsWith('--')) throw new Error('usage: import-stages.js FILE [--commit N]');
const commitRows = arg('commit', 500_000);
const threads = arg('threads', 0);
const load = () => loadavg().map((x) => Math.round(x * 100) / 100);
const loadBefore = load();
const dir = mkdtempSync(join(tmpdir(), 'fh-bench-stages-'));

/** CPU µs (all threads) and wall µs of `fn`. */
async function measure(fn: () => Promise<void> | void): Promise<{ cpuUs: number; wallUs: number }> {
  const c = process.cpuUsage();
  const t = performance.now();
  await fn();
  const d = process.cpuUsage(c);
  return { cpuUs: d.user + d.system, wallUs: (performance.now() - t) * 1000 };
}

const perFlow = (m: { cpuUs: number; wallUs: number }, n: number) => ({
  cpuUsPerFlow: Math.round((m.cpuUs / n) * 1000) / 1000,
  wallUsPerFlow: Math.round((m.wallUs / n) * 1000) / 1000,
});

try {
  const head = Buffer.alloc(65536);
  const fd = openSync(file, 'r');
  readSync(fd, head, 0, head.length, 0);
  closeSync(fd);
  const format = detectFormat(head, file);
  if (!format) throw new Error(`${file}: no known format`);
  const batches: FlowBatch[] = [];
  let flows = 0;
  const tz = parseTimeZone('UTC')!;
  const read = await measure(() =>
    format.read(
      file,
      {
        batch: (b) => {
          batches.push(b);
          flows += b.length;
        },
        reject: (where, msg) => {
          throw new Error(`${file}:${where}: ${msg}`);
        },
      },
      { tz },
    ),
  );

  const config: Record<string, string> = {};
  if (threads > 0) config['threads'] = String(threads);
  const db = await DuckDBInstance.create(':memory:', config);
  const conn = await db.connect();
  const cols = storageColumns()
    .map((c) => `${c.name} ${sqlType(c.def.kind, 'duckdb')}`)
    .join(', ');
  await conn.run(`CREATE TABLE empty_flows (${cols})`);
  const types = (await conn.runAndReadAll('SELECT * FROM empty_flows LIMIT 0')).columnTypes();
  const scan = new StagedScan(conn, types);

  // One commit at a time, as an import does: stage `commitRows`, then write them.
  const sum: Record<string, { cpuUs: number; wallUs: number }> = {};
  const add = (k: string, m: { cpuUs: number; wallUs: number }) => {
    const s = sum[k] ?? { cpuUs: 0, wallUs: 0 };
    sum[k] = s;
    s.cpuUs += m.cpuUs;
    s.wallUs += m.wallUs;
  };
  /** Each write of the staged rows: in time order (the store's) or as they came, and the codec. */
  const WRITES: Record<string, { sorted: boolean; codec: string }> = {
    parquetSortedZstdV2: { sorted: true, codec: 'COMPRESSION zstd, PARQUET_VERSION v2' },
    parquetUnsortedZstdV2: { sorted: false, codec: 'COMPRESSION zstd, PARQUET_VERSION v2' },
    parquetSortedZstdV1: { sorted: true, codec: 'COMPRESSION zstd' },
    parquetSortedZstdV2Level1: {
      sorted: true,
      codec: 'COMPRESSION zstd, COMPRESSION_LEVEL 1, PARQUET_VERSION v2',
    },
    parquetSortedSnappyV2: { sorted: true, codec: 'COMPRESSION snappy, PARQUET_VERSION v2' },
    parquetSortedLz4V2: { sorted: true, codec: 'COMPRESSION lz4_raw, PARQUET_VERSION v2' },
    parquetSortedUncompressedV2: { sorted: true, codec: 'COMPRESSION uncompressed, PARQUET_VERSION v2' },
  };
  let bi = 0;
  let commits = 0;
  let bytes: Record<string, number> = {};
  while (bi < batches.length) {
    let rows = 0;
    const mine: FlowBatch[] = [];
    while (bi < batches.length && rows < commitRows) {
      mine.push(batches[bi]!);
      rows += batches[bi++]!.length;
    }
    // What the store's append and flush do before the write: hold by day, merge the day, find its time order.
    const stage = new Stage((te) => Math.floor(te / DAY_MS));
    let ordered: OrderedDay[] = [];
    add(
      'stageAndOrder',
      await measure(() => {
        for (const b of mine) stage.add(b, 0, b.length);
        ordered = stage.days().map((d) => stage.ordered(d)!);
      }),
    );
    for (const [k, w] of Object.entries(WRITES)) {
      for (const [i, o] of ordered.entries()) {
        const out = join(dir, `${k}-${commits}-${i}.parquet`);
        const offer = scan.offer(o.batch, w.sorted ? o.perm : null);
        add(
          k,
          await measure(async () => {
            await conn.run(
              `COPY (SELECT * FROM ${offer.sql}) TO '${out}' (FORMAT parquet, ${w.codec}, ROW_GROUP_SIZE 122880)`,
            );
          }),
        );
        scan.withdraw(offer.token);
        bytes[k] = (bytes[k] ?? 0) + statSync(out).size;
        rmSync(out);
      }
    }
    // The other way in, for comparison: the same rows, in time order, into a DuckDB table (what filling a table
    // costs), then written by DuckDB alone from it with all its threads (what its writer can do from a native source).
    for (const [i, o] of ordered.entries()) {
      const offer = scan.offer(o.batch, o.perm);
      add(
        'viaTableFill',
        await measure(async () => {
          await conn.run(`CREATE OR REPLACE TEMP TABLE filled AS SELECT * FROM ${offer.sql}`);
        }),
      );
      scan.withdraw(offer.token);
      const out = join(dir, `table-${commits}-${i}.parquet`);
      add(
        'viaTableParquetZstdV2',
        await measure(async () => {
          await conn.run(
            `COPY filled TO '${out}' (FORMAT parquet, COMPRESSION zstd, PARQUET_VERSION v2, ROW_GROUP_SIZE 122880)`,
          );
        }),
      );
      rmSync(out);
    }
    commits++;
  }
  // A C++ reader of the same text, for a CSV file: DuckDB's own read_csv (every field as text, all threads) into
  // Parquet, nothing converted: what a native CSV path would start from.
  let duckdbReadCsv: Record<string, number> | undefined;
  if (format.name === 'nfdump-csv') {
    const out = join(dir, 'read-csv.parquet');
    const m = await measure(async () => {
      await conn.run(
        `COPY (SELECT * FROM read_csv('${file}', header = false, all_varchar = true)) TO '${out}' (FORMAT parquet, COMPRESSION zstd, PARQUET_VERSION v2)`,
      );
    });
    duckdbReadCsv = { ...perFlow(m, flows), linesPerSecond: Math.round(flows / (m.wallUs / 1e6)) };
    rmSync(out);
  }
  conn.closeSync();
  db.closeSync();
  bytes = Object.fromEntries(Object.entries(bytes).map(([k, v]) => [k, Math.round((v / flows) * 100) / 100]));

  const whole = importRun([file, '--data', join(dir, 'data'), '--tz', 'UTC']);
  const stages = Object.fromEntries(Object.entries(sum).map(([k, m]) => [k, perFlow(m, flows)]));
  const result = {
    loadAverage: { before: loadBefore, after: load() },
    file,
    format: format.name,
    fileBytes: statSync(file).size,
    flows,
    commitRows,
    commits,
    duckdbThreads: threads || 'default (all cores)',
    note: 'µs per flow, each stage alone in this process; CPU is every thread of the process. The store does: stageAndOrder + parquetSortedZstdV2 per commit (the rows held in this process by day, merged and ordered by end time, then read by DuckDB through a table function into the Parquet file, one chunk at a time: one thread). viaTableFill + viaTableParquetZstdV2: the same rows through a DuckDB table instead (its writer then uses every thread)',
    read: perFlow(read, flows),
    stages,
    parquetBytesPerFlow: bytes,
    ...(duckdbReadCsv ? { duckdbReadCsv } : {}),
    wholeImport: {
      seconds: Math.round(whole.seconds * 1000) / 1000,
      flowsPerSecond: Math.round(whole.flows / whole.seconds),
      cpuUsPerFlow:
        whole.cpuSeconds === null ? null : Math.round((whole.cpuSeconds / whole.flows) * 1e9) / 1000,
      maxRssMiB: whole.maxRssMiB,
    },
  };
  const name = `import-stages-${format.name}`;
  // The last run's figures stay as `before` (its own `before` dropped: one step back is kept).
  const last = join(ROOT, 'bench', 'results', `${name}.json`);
  const before = existsSync(last)
    ? (({ before: _, ...prev }) => prev)(JSON.parse(readFileSync(last, 'utf8')) as Record<string, unknown>)
    : undefined;
  const path = writeResult(name, { ...result, ...(before ? { before } : {}) });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n-> ${path}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
