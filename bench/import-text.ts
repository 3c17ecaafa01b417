/**
 * @module Read rate of the Argus and Zeek text readers on one core, lines
 * and flow records per second, parsing only (no store): CTU-13 binetflow
 * (one record a line), `ra` TSV with per-direction counters and Zeek
 * conn.log TSV and JSON (two records a line). Synthetic files, written to a
 * temporary directory; best of three reads. Writes
 * bench/results/import-text.json.
 *
 * Run: `npm run build && node dist/bench/import-text.js [lines]`
 */

import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { binetflowFormat } from '../src/import/binetflow.js';
import type { ImportFormat } from '../src/import/format.js';
import { parseTimeZone } from '../src/import/times.js';
import { zeekFormat } from '../src/import/zeek.js';
import { writeResult } from './machine.js';

const LINES = Number(process.argv[2] ?? 300_000);
const pad = (n: number, w: number) => String(n).padStart(w, '0');
const host = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
const ctuTime = (i: number) =>
  `2011/08/10 ${pad(9 + ((i >> 18) % 10), 2)}:${pad((i >> 12) % 60, 2)}:${pad((i >> 6) % 60, 2)}.${pad(i % 1e6, 6)}`;

const CASES: { name: string; format: ImportFormat; head: string; line: (i: number) => string }[] = [
  {
    name: 'binetflow-ctu',
    format: binetflowFormat,
    head: 'StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,Label',
    line: (i) =>
      `${ctuTime(i)},3.124052,tcp,${host(i)},${1024 + (i % 60000)},   ->,203.0.113.80,80,FSPA_FSPA,0,0,12,5174,1079,flow=From-Botnet-V99-TCP-Established-HTTP`,
  },
  {
    name: 'binetflow-ra-tsv',
    format: binetflowFormat,
    head: 'StartTime\tDur\tProto\tSrcAddr\tSport\tDir\tDstAddr\tDport\tState\tsTos\tdTos\tSrcPkts\tDstPkts\tSrcBytes\tDstBytes',
    line: (i) =>
      `${ctuTime(i)}\t2.250000\ttcp\t${host(i)}\t${1024 + (i % 60000)}\t   ->\t203.0.113.80\t443\tCON\t0\t0\t10\t8\t1200\t6000`,
  },
  {
    name: 'zeek-tsv',
    format: zeekFormat,
    head:
      '#separator \\x09\n#path\tconn\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\t' +
      'resp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents',
    line: (i) =>
      `${1300475167 + (i >> 4)}.${pad(i % 1e6, 6)}\tC${i}\t${host(i)}\t${1024 + (i % 60000)}\t203.0.113.80\t80\ttcp\thttp\t0.254115\t77\t295\tSF\t-\t-\t0\tShADadFf\t6\t397\t4\t511\t-`,
  },
  {
    name: 'zeek-json',
    format: zeekFormat,
    head: '',
    line: (i) =>
      `{"ts":${1300475167 + (i >> 4)}.${pad(i % 1e6, 6)},"uid":"C${i}","id.orig_h":"${host(i)}","id.orig_p":${1024 + (i % 60000)},"id.resp_h":"203.0.113.80","id.resp_p":80,"proto":"tcp","service":"http","duration":0.254115,"orig_bytes":77,"resp_bytes":295,"conn_state":"SF","missed_bytes":0,"history":"ShADadFf","orig_pkts":6,"orig_ip_bytes":397,"resp_pkts":4,"resp_ip_bytes":511}`,
  },
];

async function readOnce(format: ImportFormat, path: string): Promise<{ seconds: number; records: number }> {
  let records = 0;
  const t = process.hrtime.bigint();
  await format.read(
    path,
    {
      batch: (b) => {
        records += b.length;
      },
      reject: (where, message) => {
        throw new Error(`${path}:${where}: ${message}`);
      },
    },
    { tz: parseTimeZone('Europe/Prague')! },
  );
  return { seconds: Number(process.hrtime.bigint() - t) / 1e9, records };
}

const loadBefore = loadavg()[0];
const dir = mkdtempSync(join(tmpdir(), 'flowhunt-bench-text-'));
const results: Record<string, unknown>[] = [];
try {
  for (const c of CASES) {
    const path = join(dir, c.name);
    const body: string[] = c.head ? [c.head] : [];
    for (let i = 0; i < LINES; i++) body.push(c.line(i));
    writeFileSync(path, `${body.join('\n')}\n`);
    let best = { seconds: Number.POSITIVE_INFINITY, records: 0 };
    for (let k = 0; k < 3; k++) {
      const r = await readOnce(c.format, path);
      if (r.seconds < best.seconds) best = r;
    }
    const row = {
      case: c.name,
      lines: LINES,
      records: best.records,
      fileBytes: statSync(path).size,
      seconds: Math.round(best.seconds * 1000) / 1000,
      linesPerSecond: Math.round(LINES / best.seconds),
      recordsPerSecond: Math.round(best.records / best.seconds),
    };
    results.push(row);
    process.stderr.write(`${JSON.stringify(row)}\n`);
    rmSync(path);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const out = writeResult('import-text', {
  note: 'parsing only (no store), one core, best of 3 reads of each synthetic file',
  // The machine is shared: the 1-minute load average before and after, for reading the figures.
  loadAverage1m: [loadBefore, loadavg()[0]].map((x) => Math.round(x! * 100) / 100),
  results,
});
process.stderr.write(`wrote ${out}\n`);
