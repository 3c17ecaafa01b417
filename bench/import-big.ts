/**
 * @module Benchmark: memory of `flowhunt import` on a 2 GB nfcapd file.
 *
 * One million flows go as NetFlow v5 to a real nfcapd; its data blocks are
 * then written 20 times over into one file of about 2 GB (20 M flows, the
 * same hour of one day each time), which `flowhunt import` reads natively
 * with its default import buffer. The import's peak RSS says whether its
 * memory is bounded by the buffer or grows with the file.
 * With `--ipfix N`, the file is instead an IPFIX file (RFC 5655) of N
 * distinct flows over 20 hours of one day (30 M flows: about 2 GB), written
 * by the simulator's encoder; results go to `import-big-ipfix.json`. With
 * `--store-memory SIZE` the import runs with `storeMemoryLimit: SIZE`. With `--csv N`, the file is
 * `nfdump -o csv` of N distinct flows over 20 hours of one day, sent to a real nfcapd (6 M flows: about
 * 2 GB; 8 M flows make the day compact once); results go to `import-big-csv.json`.
 * Run: node dist/bench/import-big.js [--flows N] [--times K] [--ipfix N | --csv N] [--store-memory 1GB]
 */

import { execFileSync } from 'node:child_process';
import {
  closeSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExportEncoder, WIRE_FORMATS } from '../src/simulate/export/index.js';
import { encodeNetflowV5, sendUdp, startNfcapd } from '../src/testing/nfcapd.js';
import { type ImportRun, importRun } from './import-run.js';
import { arg, writeResult } from './machine.js';
import { synthFlows } from './synth.js';

const flows = arg('flows', 1_000_000);
const times = arg('times', 20);
const ipfixFlows = arg('ipfix', 0);
const csvFlows = arg('csv', 0);
const memAt = process.argv.indexOf('--store-memory');
const storeMemory = memAt >= 0 ? process.argv[memAt + 1] : undefined;
const dir = mkdtempSync(join(tmpdir(), 'fh-bench-big-'));
const load = () => loadavg().map((x) => Math.round(x * 100) / 100);
const loadBefore = load();
const config = storeMemory ? join(dir, 'config.yaml') : undefined;
if (config) writeFileSync(config, `storeMemoryLimit: ${storeMemory}\n`);
const configArgs = config ? ['--config', config] : [];
/** `n` synthetic flows ending over [t0, t0 + spanMs), sent as NetFlow v5 to a real nfcapd: its file. */
async function viaNfcapd(n: number, t0: number, spanMs: number): Promise<string> {
  const nf = await startNfcapd(dir);
  await synthFlows(
    n,
    t0,
    t0 + spanMs,
    3,
    async (b) => {
      await sendUdp(nf.port, encodeNetflowV5(b.records()), '127.0.0.1', 50);
    },
    100_000,
  );
  return nf.stop();
}
/** Writes the result of importing `file` as `name`, and says it. */
function record(name: string, file: string, note: string, run: ImportRun): void {
  const path = writeResult(name, {
    loadAverage: { before: loadBefore, after: load() },
    fileBytes: statSync(file).size,
    flows: run.flows,
    note,
    ...(storeMemory ? { storeMemoryLimit: storeMemory } : {}),
    seconds: Math.round(run.seconds * 1000) / 1000,
    flowsPerSecond: Math.round(run.flows / run.seconds),
    cpuSeconds: run.cpuSeconds,
    maxRssMiB: run.maxRssMiB,
  });
  process.stdout.write(
    `import ${run.flows} flows from ${statSync(file).size} bytes in ${run.seconds.toFixed(1)} s, peak RSS ${run.maxRssMiB} MiB -> ${path}\n`,
  );
}
try {
  if (ipfixFlows > 0) {
    const t0 = Date.parse('2026-11-20T00:00:00Z');
    const file = join(dir, 'flows.ipfix');
    const fd = openSync(file, 'w');
    const enc = new ExportEncoder(WIRE_FORMATS.ipfix);
    const write = (p: Buffer) => void writeSync(fd, p);
    await synthFlows(ipfixFlows, t0, t0 + 20 * 3_600_000, 3, async (b) => enc.encode(b, write), 100_000);
    enc.flush(write);
    closeSync(fd);
    const run = importRun([file, '--data', join(dir, 'data'), ...configArgs]);
    record(
      'import-big-ipfix',
      file,
      'distinct flows over 20 hours of one day: the store compacts that day as it grows',
      run,
    );
  } else if (csvFlows > 0) {
    const nfFile = await viaNfcapd(csvFlows, Date.parse('2026-11-20T00:00:00Z'), 20 * 3_600_000);
    const file = join(dir, 'flows.csv');
    const fd = openSync(file, 'w');
    execFileSync('nfdump', ['-r', nfFile, '-o', 'csv', '-q'], { stdio: ['ignore', fd, 'inherit'] });
    closeSync(fd);
    rmSync(nfFile);
    const run = importRun([file, '--data', join(dir, 'data'), '--tz', 'UTC', ...configArgs]);
    record(
      'import-big-csv',
      file,
      'nfdump -o csv of distinct flows over 20 hours of one day: from 16 files of it on (some 7 M flows) the store compacts that day',
      run,
    );
  } else {
    const src = readFileSync(await viaNfcapd(flows, Date.parse('2026-11-20T10:00:00Z'), 3_600_000));
    // The layout-2 header, then the data blocks `times` over; no appendix.
    const blocks = src.readUInt32LE(36);
    const parts: Buffer[] = [];
    let o = 40;
    for (let k = 0; k < blocks; k++) {
      const size = src.readUInt32LE(o + 4);
      parts.push(src.subarray(o, o + 12 + size));
      o += 12 + size;
    }
    const head = Buffer.from(src.subarray(0, 40));
    head.writeUInt16LE(0, 18);
    head.writeUInt32LE(0, 24);
    head.writeUInt32LE(0, 28);
    head.writeUInt32LE(blocks * times, 36);
    const big = join(dir, 'nfcapd.big');
    const fd = openSync(big, 'w');
    writeSync(fd, head);
    for (let r = 0; r < times; r++) for (const p of parts) writeSync(fd, p);
    closeSync(fd);
    const run = importRun([big, '--data', join(dir, 'data'), ...configArgs]);
    record(
      'import-big',
      big,
      'every flow in the same hour of one day: the store compacts that day as it grows',
      run,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
