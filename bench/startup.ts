/**
 * @module Start-up time of the CLI (issue #18): wall time of a whole process,
 * best of N, for `flowhunt --version`, `--help`, `days` and a query
 * (`query --limit 1` and `query --stat srcip` on a small DuckDB store, so the
 * query itself is a few milliseconds and the rest is the fixed cost), beside
 * `node -e 0` (the floor every Node program pays) and `nfdump -V` (the peer).
 * Aims: --version and --help under 150 ms, a query under 300 ms. Writes
 * bench/results/startup.json.
 *
 * Run: `npm run build && node dist/bench/startup.js [--runs N] [--bin path/to/flowhunt.js]`
 * (`--bin` measures another build, e.g. an older checkout, for a before/after).
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { arg, ROOT, writeResult } from './machine.js';

const RUNS = arg('runs', 15);
const binAt = process.argv.indexOf('--bin');
const BIN = binAt >= 0 ? process.argv[binAt + 1]! : join(ROOT, 'bin', 'flowhunt.js');

function bestMs(cmd: string, args: string[]): number | null {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    const r = spawnSync(cmd, args, { stdio: 'ignore' });
    const ms = performance.now() - t;
    if (r.error || r.status !== 0) return null;
    best = Math.min(best, ms);
  }
  return Math.round(best * 10) / 10;
}

const dir = mkdtempSync(join(tmpdir(), 'flowhunt-bench-startup-'));
try {
  const data = join(dir, 'data');
  const sim = spawnSync(
    process.execPath,
    [
      BIN,
      'simulate',
      '--scenario',
      'demo',
      '--hours',
      '0.25',
      '--scale',
      '0.01',
      '--out',
      'store',
      '--data',
      data,
    ],
    { stdio: 'ignore' },
  );
  if (sim.status !== 0) throw new Error('simulate failed');
  const node = (args: string[]) => bestMs(process.execPath, args);
  const cli = (args: string[]) => node([BIN, ...args]);
  const cases = {
    'node -e 0': node(['-e', '0']),
    'nfdump -V': bestMs('nfdump', ['-V']),
    'flowhunt --version': cli(['--version']),
    'flowhunt --help': cli(['--help']),
    'flowhunt days': cli(['days', '--data', data]),
    'flowhunt query --limit 1': cli(['query', '--data', data, '--limit', '1']),
    'flowhunt query --stat srcip': cli(['query', '--data', data, '--stat', 'srcip']),
  };
  for (const [k, v] of Object.entries(cases)) process.stderr.write(`${k.padEnd(30)} ${v ?? 'failed'} ms\n`);
  const path = writeResult('startup', {
    runs: RUNS,
    bin: BIN,
    store: 'DuckDB, demo scenario, 15 minutes at scale 0.01',
    aims: { version: 150, help: 150, query: 300 },
    bestMs: cases,
  });
  process.stderr.write(`wrote ${path}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
