/**
 * @module Benchmark: import rate and bytes per stored flow, and a filter +
 * top-N query side by side with nfdump over the same flows.
 *
 * The flows are sent as NetFlow v5 to a real nfcapd; its file is what nfdump
 * reads, and what flowhunt imports three ways: the nfcapd file natively,
 * `nfdump -o csv` of it, and an IPFIX file (RFC 5655) of the same flows —
 * so both tools answer over exactly the same flows. Each import is a whole
 * `flowhunt import` process (peak memory with it), the fastest of 3; `readers` times each
 * format's reader alone, with nothing stored, to show where the time goes.
 *
 * The questions (`QUESTIONS`) are then asked of one day and of seven days
 * of the same traffic: six more nfcapd files of the same flows, a day later
 * each, which nfdump reads as a directory (`-R`) and flowhunt imports into
 * one store of seven days. Each answer (totals and top rows) is compared
 * with nfdump's; the times are whole processes, best of 3.
 * Run: node dist/bench/import-query.js [--flows N] [--days 7] [--import-runs 3] [--before DIR [--before-commit C]]
 */

import { execFileSync, spawnSync } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatByName } from '../src/import/format.js';
import { blockOnReads } from '../src/import/read-chunk.js';
import { ExportEncoder, WIRE_FORMATS } from '../src/simulate/export/index.js';
import { DuckFlowStore } from '../src/store/duckdb/index.js';
import {
  type Answer,
  encodeNetflowV5,
  nfdumpInfo,
  parseNfdumpCsv,
  sendUdp,
  startNfcapd,
} from '../src/testing/nfcapd.js';
import { type ImportRun, importRun } from './import-run.js';
import { arg, ROOT, writeResult } from './machine.js';
import { synthFlows } from './synth.js';

const flows = arg('flows', 3_000_000);
const beforeAt = process.argv.indexOf('--before');
const beforeRoot = beforeAt >= 0 ? process.argv[beforeAt + 1] : undefined;
/** `--before-commit C`: the commit DIR was built from, when DIR is no git checkout (a `git archive`). */
const beforeCommitAt = process.argv.indexOf('--before-commit');
const beforeCommit = beforeCommitAt >= 0 ? process.argv[beforeCommitAt + 1] : undefined;
const weekDays = arg('days', 7);
/** Whole import processes a file, the fastest kept: one run on two shared cores varies by 5-10 %. */
const IMPORT_RUNS = arg('import-runs', 3);
const DAY_MS = 86_400_000;

/** The questions of issue #18, each a filter and a top-10 statistic, to both tools. */
const QUESTIONS = [
  {
    name: 'filter, top-10 srcip',
    filter: 'proto tcp and dst port 22 or src net 140.112.0.0/16',
    stat: 'srcip/flows',
  },
  {
    name: 'exact flow shape, top-10 srcip',
    filter: 'dst port 1433 and packets 3 and bytes 152',
    stat: 'srcip/flows',
  },
  { name: 'all flows, top-10 srcip', filter: 'any', stat: 'srcip/flows' },
] as const;
const dir = mkdtempSync(join(tmpdir(), 'fh-bench-iq-'));
const flowhunt = (args: string[]) =>
  execFileSync(process.execPath, [join(ROOT, 'bin/flowhunt.js'), ...args], {
    encoding: 'utf8',
    maxBuffer: 2 ** 30,
  });
const time = (fn: () => unknown) => {
  const t = performance.now();
  const v = fn();
  return { ms: Math.round(performance.now() - t), v };
};
/** A format's reader alone over a file, nothing stored: flows/s. */
async function readerRate(
  format: string,
  path: string,
): Promise<{ seconds: number; flowsPerSecond: number }> {
  let n = 0;
  const t = performance.now();
  await formatByName(format)!.read(path, {
    batch: (b) => {
      n += b.length;
    },
    reject: () => undefined,
  });
  const seconds = (performance.now() - t) / 1000;
  return { seconds: Math.round(seconds * 1000) / 1000, flowsPerSecond: Math.round(n / seconds) };
}

/** Sends the same synthetic flows as the first file, `shift` ms later, through a new nfcapd; its file. */
async function nfcapdFile(workDir: string, t0: number, shift: number): Promise<string> {
  mkdirSync(workDir, { recursive: true });
  const nf = await startNfcapd(workDir);
  await synthFlows(
    flows,
    t0 + shift,
    t0 + shift + 3_600_000,
    3,
    async (b) => {
      await sendUdp(nf.port, encodeNetflowV5(b.records()), '127.0.0.1', 50);
    },
    100_000,
  );
  return nf.stop();
}

/** The top rows and totals agree: the same totals, the same ordering values, the same rows above a tie at the cut. */
function sameAnswer(ours: Answer, ref: Answer): boolean {
  const t = (a: Answer) => [a.total.flows, a.total.packets, a.total.bytes].join(' ');
  if (t(ours) !== t(ref)) return false;
  if (ours.rows.map((r) => r.flows).join() !== ref.rows.map((r) => r.flows).join()) return false;
  const cut = ref.rows.at(-1)?.flows ?? 0;
  const line = (a: Answer) =>
    a.rows
      .filter((r) => r.flows > cut)
      .map((r) => `${r.key} ${r.flows} ${r.packets} ${r.bytes}`)
      .sort()
      .join('\n');
  return line(ours) === line(ref);
}

const loadBefore = loadavg().map((x) => Math.round(x * 100) / 100);
try {
  const nf = await startNfcapd(dir);
  const t0 = Date.parse('2026-11-20T10:00:00Z');
  const ipfix = join(dir, 'flows.ipfix');
  const ipfixFd = openSync(ipfix, 'w');
  const enc = new ExportEncoder(WIRE_FORMATS.ipfix);
  const write = (p: Buffer) => {
    writeSync(ipfixFd, p);
  };
  await synthFlows(
    flows,
    t0,
    t0 + 3_600_000,
    3,
    async (b) => {
      await sendUdp(nf.port, encodeNetflowV5(b.records()), '127.0.0.1', 50);
      enc.encode(b, write);
    },
    100_000,
  );
  enc.flush(write);
  closeSync(ipfixFd);
  const file = await nf.stop();
  const info = await nfdumpInfo(file);
  const csv = join(dir, 'flows.csv');
  const fd = openSync(csv, 'w');
  const dump = time(() =>
    execFileSync('nfdump', ['-r', file, '-o', 'csv', '-q'], { stdio: ['ignore', fd, 'inherit'] }),
  );
  closeSync(fd);
  const nfRead = time(() => execFileSync('nfdump', ['-r', file, '-q', '-o', 'null'], { maxBuffer: 1 << 28 }));
  const data = join(dir, 'data');
  // Each import best of IMPORT_RUNS whole processes, each into a new store; with --before, its build's
  // import of the same file runs right after each of ours, so drift in the machine's speed falls on both.
  const targets = [
    { name: 'csv', file: csv, keep: data },
    { name: 'nfcapd', file, keep: join(dir, 'data-nfcapd') },
    { name: 'ipfix', file: ipfix, keep: join(dir, 'data-ipfix') },
  ] as const;
  const runsOf: Record<string, ImportRun[]> = { csv: [], nfcapd: [], ipfix: [] };
  const beforeRunsOf: Record<string, ImportRun[]> = { csv: [], nfcapd: [], ipfix: [] };
  for (let k = 0; k < IMPORT_RUNS; k++)
    for (const t of targets) {
      const into = k === 0 ? t.keep : join(dir, `again-${t.name}`);
      rmSync(into, { recursive: true, force: true });
      runsOf[t.name]!.push(importRun([t.file, '--data', into]));
      if (beforeRoot) {
        const b = join(dir, `before-${t.name}`);
        rmSync(b, { recursive: true, force: true });
        beforeRunsOf[t.name]!.push(importRun([t.file, '--data', b], beforeRoot));
      }
    }
  const best = (runs: ImportRun[]) => runs.reduce((a, r) => (r.seconds < a.seconds ? r : a));
  const csvRun = best(runsOf['csv']!);
  const nativeRun = best(runsOf['nfcapd']!);
  const ipfixRun = best(runsOf['ipfix']!);
  const rate = (r: { flows: number; seconds: number }) => Math.round(r.flows / r.seconds);
  const every = (runs: ImportRun[]) => runs.map((r) => Math.round(r.seconds * 1000) / 1000);
  const figures = (runs: ImportRun[]) => {
    const r = best(runs);
    return {
      flowsImported: r.flows,
      seconds: Math.round(r.seconds * 1000) / 1000,
      flowsPerSecond: rate(r),
      cpuSeconds: r.cpuSeconds,
      maxRssMiB: r.maxRssMiB,
      everyRunSeconds: every(runs),
    };
  };
  let before: Record<string, unknown> | undefined;
  if (beforeRoot) {
    const commit = (() => {
      if (beforeCommit) return beforeCommit;
      try {
        return execFileSync('git', ['-C', beforeRoot, 'rev-parse', '--short', 'HEAD'], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'],
        }).trim();
      } catch {
        return undefined;
      }
    })();
    before = {
      note: `the same files imported in this run by the flowhunt of --before (its commit, when it is a git checkout or given by --before-commit), best of ${IMPORT_RUNS}, each run right after ours`,
      root: beforeRoot,
      ...(commit ? { commit } : {}),
      import: figures(beforeRunsOf['csv']!),
      importNfcapd: figures(beforeRunsOf['nfcapd']!),
      importIpfixFile: figures(beforeRunsOf['ipfix']!),
    };
  }
  // As an import reads (the reading thread of read-worker.ts): this process reads nothing else meanwhile.
  blockOnReads();
  const readers = {
    nfcapd: await readerRate('nfcapd', file),
    ipfix: await readerRate('ipfix', ipfix),
    'nfdump-csv': await readerRate('nfdump-csv', csv),
  };
  const s = await DuckFlowStore.open(data);
  const days = await s.days();
  await s.close();
  const onDisk = days.reduce((a, d) => a + d.bytesOnDisk, 0);
  // Seven days of the same traffic: the first file again, and the same flows a day later each.
  const week = join(dir, 'week');
  mkdirSync(week);
  const weekFiles = [join(week, 'nfcapd.day0')];
  copyFileSync(file, weekFiles[0]!);
  for (let d = 1; d < weekDays; d++) {
    const f = await nfcapdFile(join(dir, `nf${d}`), t0, d * DAY_MS);
    weekFiles.push(join(week, `nfcapd.day${d}`));
    renameSync(f, weekFiles[d]!);
  }
  const weekData = join(dir, 'data-week');
  for (const f of weekFiles) importRun([f, '--data', weekData]);
  const weekInfo = await nfdumpInfo(week, '-R');
  const fhArgs = (q: (typeof QUESTIONS)[number], data: string) => [
    'query',
    q.filter,
    '--stat',
    q.stat,
    '--top',
    '10',
    '--json',
    '--data',
    data,
  ];
  const nfArgs = (q: (typeof QUESTIONS)[number], read: string[]) => [
    ...read,
    '-s',
    q.stat,
    '-n',
    '10',
    '-q',
    q.filter,
  ];
  const nfRun = (args: string[]) => execFileSync('nfdump', args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  /** Best of 3 whole processes: wall ms, and CPU ms (user + system, every thread: robust to the load, unlike wall). */
  const measure = (cmd: string, args: string[]) => {
    const runs = [0, 1, 2].map(() => {
      const t = performance.now();
      const r = spawnSync('/usr/bin/time', ['-f', 'cpu %U %S', cmd, ...args], {
        encoding: 'utf8',
        maxBuffer: 1 << 28,
      });
      const ms = performance.now() - t;
      const m = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr ?? '');
      if (r.status !== 0 || !m) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
      return { ms, cpu: (Number(m[1]) + Number(m[2])) * 1000 };
    });
    return {
      ms: Math.round(Math.min(...runs.map((r) => r.ms))),
      cpuMs: Math.round(Math.min(...runs.map((r) => r.cpu))),
    };
  };
  const ask = (scope: { data: string; read: string[] }) =>
    QUESTIONS.map((q) => {
      const ours = JSON.parse(flowhunt(fhArgs(q, scope.data))) as Answer;
      const csv = nfRun([...scope.read, '-s', q.stat, '-n', '10', '-o', 'csv', q.filter]);
      const ref: Answer = csv.startsWith('No matching flows')
        ? { total: { flows: 0, packets: 0, bytes: 0 }, rows: [] }
        : parseNfdumpCsv(csv);
      const fh = measure(process.execPath, [join(ROOT, 'bin/flowhunt.js'), ...fhArgs(q, scope.data)]);
      const nf = measure('nfdump', nfArgs(q, scope.read));
      const [flowhuntMs, nfdumpMs] = [fh.ms, nf.ms];
      return {
        question: q.name,
        filter: q.filter,
        stat: q.stat,
        top: 10,
        flowhuntMs,
        nfdumpMs,
        speedup: Math.round((nfdumpMs / flowhuntMs) * 100) / 100,
        flowhuntCpuMs: fh.cpuMs,
        nfdumpCpuMs: nf.cpuMs,
        matched: ours.total.flows,
        sameAsNfdump: sameAnswer(ours, ref),
        flowhuntTop: ours.rows.map((r) => `${r.key} ${r.flows}`),
      };
    });
  const oneDay = ask({ data: join(dir, 'data-nfcapd'), read: ['-r', file] });
  const sevenDays = ask({ data: weekData, read: ['-R', week] });
  const path = writeResult('import-query', {
    loadAverage: {
      note: '1, 5 and 15 minute load averages before and after the run: the 2 cores are shared, figures vary with it',
      before: loadBefore,
      after: loadavg().map((x) => Math.round(x * 100) / 100),
    },
    flows: info['Flows'],
    nfcapdFileBytes: statSync(file).size,
    importRuns: `each import below is the fastest of ${IMPORT_RUNS} whole \`flowhunt import\` processes, each into a new store (everyRunSeconds: all of them, in order)`,
    import: {
      ...figures(runsOf['csv']!),
      csvBytes: statSync(csv).size,
      nfdumpCsvExportSeconds: dump.ms / 1000,
    },
    importNfcapd: {
      note: 'the nfcapd file itself, read natively (no nfdump)',
      ...figures(runsOf['nfcapd']!),
    },
    importIpfixFile: {
      ...figures(runsOf['ipfix']!),
      ipfixBytes: statSync(ipfix).size,
    },
    ...(before ? { before } : {}),
    nfdumpRead: {
      note: 'nfdump -r FILE -q -o null: nfdump reading every flow of the same file, printing none',
      seconds: nfRead.ms / 1000,
      flowsPerSecond: Math.round((info['Flows'] ?? 0) / (nfRead.ms / 1000)),
    },
    readers: {
      note: "each format's reader alone in this process, reading as an import's reading thread does (blocking reads), nothing stored: the rest of an import's time is the store",
      ...readers,
    },
    storage: {
      parquetBytes: onDisk,
      bytesPerFlow: Math.round((onDisk / csvRun.flows) * 100) / 100,
      nfcapdBytesPerFlow: Math.round((statSync(file).size / (info['Flows'] ?? 1)) * 100) / 100,
    },
    queries: {
      note: 'best of 3, each a whole process (flowhunt includes Node start-up and opening DuckDB): wall ms, and CPU ms (user + system of every thread, from GNU time; DuckDB uses both cores, nfdump one); sameAsNfdump: the totals and top rows equal nfdump -o csv of the same question',
      oneDay: { flows: info['Flows'], answers: oneDay },
      sevenDays: {
        days: weekDays,
        flows: weekInfo['Flows'],
        note: `nfdump -R over the ${weekDays} nfcapd files; flowhunt over the ${weekDays} days of its store (each file imported natively)`,
        answers: sevenDays,
      },
    },
  });
  process.stdout.write(
    `import nfcapd ${rate(nativeRun)}/s, ipfix ${rate(ipfixRun)}/s, nfdump read ${Math.round((info['Flows'] ?? 0) / (nfRead.ms / 1000))}/s; csv: import ${csvRun.flows} flows in ${csvRun.seconds.toFixed(3)} s (${rate(csvRun)}/s), ${Math.round((onDisk / csvRun.flows) * 100) / 100} B/flow; queries (flowhunt/nfdump ms) one day ${oneDay.map((a) => `${a.flowhuntMs}/${a.nfdumpMs}`).join(', ')}, ${weekDays} days ${sevenDays.map((a) => `${a.flowhuntMs}/${a.nfdumpMs}`).join(', ')} -> ${path}\n`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
