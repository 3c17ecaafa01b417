/**
 * @module Benchmark: import rate and bytes per stored flow, and a filter +
 * top-N query side by side with nfdump over the same flows.
 *
 * The flows are sent as NetFlow v5 to a real nfcapd; its file is what nfdump
 * reads, and `nfdump -o csv` of it is what flowhunt imports — so both tools
 * answer over exactly the same flows.
 * Run: node dist/bench/import-query.js [--flows N]
 */

import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckFlowStore } from '../src/store/duckdb/index.js';
import { encodeNetflowV5, nfdumpInfo, sendUdp, startNfcapd } from '../src/testing/nfcapd.js';
import { arg, ROOT, writeResult } from './machine.js';
import { synthFlows } from './synth.js';

const flows = arg('flows', 3_000_000);
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
try {
  const nf = await startNfcapd(dir);
  const t0 = Date.parse('2026-11-20T10:00:00Z');
  await synthFlows(
    flows,
    t0,
    t0 + 3_600_000,
    3,
    async (b) => {
      await sendUdp(nf.port, encodeNetflowV5(b.records()), '127.0.0.1', 50);
    },
    100_000,
  );
  const file = await nf.stop();
  const info = await nfdumpInfo(file);
  const csv = join(dir, 'flows.csv');
  const fd = openSync(csv, 'w');
  const dump = time(() =>
    execFileSync('nfdump', ['-r', file, '-o', 'csv', '-q'], { stdio: ['ignore', fd, 'inherit'] }),
  );
  closeSync(fd);
  const data = join(dir, 'data');
  const imp = time(() => flowhunt(['import', csv, '--data', data, '--json']));
  const summary = JSON.parse(imp.v as string) as { flows: number };
  const s = await DuckFlowStore.open(data);
  const days = await s.days();
  await s.close();
  const onDisk = days.reduce((a, d) => a + d.bytesOnDisk, 0);
  const filter = 'proto tcp and dst port 22 or src net 140.112.0.0/16';
  const best = (fn: () => unknown) => Math.min(...[0, 1, 2].map(() => time(fn).ms));
  const fhQuery = best(() =>
    flowhunt(['query', filter, '--stat', 'srcip/flows', '--top', '10', '--json', '--data', data]),
  );
  const nfQuery = best(() =>
    execFileSync('nfdump', ['-r', file, '-s', 'srcip/flows', '-n', '10', '-q', filter], {
      maxBuffer: 1 << 28,
    }),
  );
  const fhRows = JSON.parse(
    flowhunt(['query', filter, '--stat', 'srcip/flows', '--top', '10', '--json', '--data', data]),
  ).rows.map((r: { key: string; flows: number }) => `${r.key} ${r.flows}`);
  const path = writeResult('import-query', {
    flows: info['Flows'],
    nfcapdFileBytes: statSync(file).size,
    import: {
      flowsImported: summary.flows,
      seconds: imp.ms / 1000,
      flowsPerSecond: Math.round(summary.flows / (imp.ms / 1000)),
      csvBytes: statSync(csv).size,
      nfdumpCsvExportSeconds: dump.ms / 1000,
    },
    storage: {
      parquetBytes: onDisk,
      bytesPerFlow: Math.round((onDisk / summary.flows) * 100) / 100,
      nfcapdBytesPerFlow: Math.round((statSync(file).size / (info['Flows'] ?? 1)) * 100) / 100,
    },
    query: {
      filter,
      stat: 'srcip/flows',
      top: 10,
      flowhuntMs: fhQuery,
      nfdumpMs: nfQuery,
      note: 'best of 3, each a whole process (flowhunt includes Node start-up and opening DuckDB)',
      flowhuntTop: fhRows,
    },
  });
  process.stdout.write(
    `import ${summary.flows} flows in ${imp.ms / 1000} s (${Math.round(summary.flows / (imp.ms / 1000))}/s), ${Math.round((onDisk / summary.flows) * 100) / 100} B/flow; query flowhunt ${fhQuery} ms vs nfdump ${nfQuery} ms -> ${path}\n`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
