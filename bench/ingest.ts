/**
 * @module Benchmark: the highest lossless ingest rate, UDP to stored flows,
 * for `flowhunt serve` and for nfcapd, on the same replayed stream (the
 * simulator's IPFIX export packets, paced by a token bucket) in one run.
 * Lossless: every flow sent is stored (flowhunt: the store's totals after a
 * clean SIGTERM; nfcapd: `nfdump -I` of its file).
 * Run: node dist/bench/ingest.js [--flows N]
 */

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FlowBatch } from '../src/flow/batch.js';
import { UdpSender } from '../src/simulate/output/udp.js';
import { createSimulation } from '../src/simulate/simulation.js';
import { DuckFlowStore } from '../src/store/duckdb/index.js';
import { nfdumpInfo, startNfcapd } from '../src/testing/nfcapd.js';
import { startServe } from '../src/testing/serve.js';
import { arg, writeResult } from './machine.js';

const want = arg('flows', 1_000_000);
const rates = [100_000, 200_000, 300_000, 400_000, 500_000];

// The stream: the first `want` flows of a busy scenario, kept in memory so only sending is timed.
const batches: FlowBatch[] = [];
let total = 0;
for (const b of createSimulation({ scenario: 'baseline', seed: 1, scale: 40, hours: 2 }).batches()) {
  if (total >= want) break;
  if (b.length) {
    batches.push(b);
    total += b.length;
  }
}

async function send(port: number, rate: number): Promise<number> {
  const s = new UdpSender({ host: '127.0.0.1', port, format: 'ipfix', rate });
  await s.open();
  for (const b of batches) await s.send(b);
  await s.flush();
  const flows = s.flows;
  await s.close();
  return flows;
}

async function flowhunt(rate: number, dir: string): Promise<{ sent: number; stored: number }> {
  const data = join(dir, `fh-${rate}`);
  const served = await startServe(['--data', data, '--sflow', '', '--role', 'collector']);
  const sent = await send(served.netflowPort, rate);
  await new Promise((r) => setTimeout(r, 1000));
  await served.stop();
  const s = await DuckFlowStore.open(data);
  const stored = (await s.totals({})).flows;
  await s.close();
  return { sent, stored };
}

async function nfcapd(rate: number, dir: string): Promise<{ sent: number; stored: number }> {
  const d = mkdtempSync(join(dir, 'nf-'));
  const n = await startNfcapd(d);
  const sent = await send(n.port, rate);
  const info = await nfdumpInfo(await n.stop());
  return { sent, stored: info['Flows'] ?? 0 };
}

const dir = mkdtempSync(join(tmpdir(), 'fh-bench-ingest-'));
try {
  let haveNfcapd = true;
  try {
    execFileSync('nfcapd', ['-V'], { stdio: 'ignore' });
  } catch {
    haveNfcapd = false;
  }
  const runs: Record<string, unknown>[] = [];
  let bestFh = 0;
  let bestNf = 0;
  for (const rate of rates) {
    const fh = await flowhunt(rate, dir);
    const nf = haveNfcapd ? await nfcapd(rate, dir) : null;
    if (fh.stored === fh.sent) bestFh = Math.max(bestFh, rate);
    if (nf && nf.stored === nf.sent) bestNf = Math.max(bestNf, rate);
    runs.push({ rate, flowhunt: fh, nfcapd: nf });
    process.stdout.write(
      `rate ${rate}: flowhunt ${fh.stored}/${fh.sent}${nf ? `, nfcapd ${nf.stored}/${nf.sent}` : ''}\n`,
    );
  }
  const path = writeResult('ingest', {
    flows: total,
    format: 'IPFIX over loopback UDP, one exporter',
    runs,
    highestLosslessRate: { flowhunt: bestFh, nfcapd: haveNfcapd ? bestNf : null },
    note:
      'flowhunt serve --role collector (1 decoding worker, DuckDB store); rates tried: ' + rates.join(', '),
  });
  process.stdout.write(`highest lossless: flowhunt ${bestFh} flows/s, nfcapd ${bestNf} flows/s -> ${path}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
