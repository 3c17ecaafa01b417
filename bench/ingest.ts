/**
 * @module Benchmark: the highest lossless ingest rate, UDP to stored flows,
 * for `flowhunt serve` receiving on one socket (main thread, decoding in the
 * workers), for `flowhunt serve` receiving on one socket per worker
 * (SO_REUSEPORT, where the runtime has it), and for nfcapd, on the same
 * replayed stream (the simulator's IPFIX export packets, paced by a token
 * bucket) in one run. The stream comes from several exporters (source
 * ports), as the kernel spreads a shared port's datagrams by sender.
 * Lossless: every flow sent is stored (flowhunt: the store's totals after a
 * clean SIGTERM; nfcapd: `nfdump -I` of its file).
 * Run: node dist/bench/ingest.js [--flows N] [--workers N] [--exporters N]
 */

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { reusePortAvailable } from '../src/collect/reuseport.js';
import { FlowBatch } from '../src/flow/batch.js';
import { UdpSender } from '../src/simulate/output/udp.js';
import { createSimulation } from '../src/simulate/simulation.js';
import { DuckFlowStore } from '../src/store/duckdb/index.js';
import { nfdumpInfo, startNfcapd } from '../src/testing/nfcapd.js';
import { startServe } from '../src/testing/serve.js';
import { arg, writeResult } from './machine.js';

const want = arg('flows', 1_000_000);
const workers = arg('workers', 2);
const exporters = arg('exporters', 8);
const rates = [200_000, 300_000, 400_000, 500_000, 600_000, 800_000];

// The stream: the first `want` flows of a busy scenario, dealt to the exporters in slices of 4,096
// flows, kept in memory so only sending is timed.
const streams: FlowBatch[] = Array.from({ length: exporters }, () => new FlowBatch(4096));
let total = 0;
for (const b of createSimulation({ scenario: 'baseline', seed: 1, scale: 40, hours: 2 }).batches()) {
  for (let i = 0; i < b.length && total < want; i++, total++)
    streams[Math.floor(total / 4096) % exporters]!.push(b.record(i));
  if (total >= want) break;
}

interface Run {
  sent: number;
  stored: number;
  /** Flows per second the sender achieved (below `rate` when it could not keep up). */
  sentRate: number;
}

/** Sends the stream from `exporters` sockets, `rate` in total. */
async function send(port: number, rate: number): Promise<{ sent: number; sentRate: number }> {
  const senders = Array.from(
    { length: exporters },
    () => new UdpSender({ host: '127.0.0.1', port, format: 'ipfix', rate: rate / exporters }),
  );
  const t = performance.now();
  await Promise.all(
    senders.map(async (s, i) => {
      await s.open();
      await s.send(streams[i]!);
      await s.flush();
      await s.close();
    }),
  );
  const sent = senders.reduce((a, s) => a + s.flows, 0);
  return { sent, sentRate: Math.round(sent / ((performance.now() - t) / 1000)) };
}

async function flowhunt(rate: number, dir: string, perWorker: boolean): Promise<Run> {
  const data = join(dir, `fh-${rate}-${perWorker ? 'per-worker' : 'one'}`);
  const cfg = `${data}.yaml`;
  writeFileSync(cfg, `collect:\n  socketPerWorker: ${perWorker}\n`);
  const served = await startServe([
    ...['--data', data, '--config', cfg, '--sflow', '', '--role', 'collector'],
    ...['--workers', String(workers)],
  ]);
  const { sent, sentRate } = await send(served.netflowPort, rate);
  await new Promise((r) => setTimeout(r, 1000));
  await served.stop();
  const s = await DuckFlowStore.open(data);
  const stored = (await s.totals({})).flows;
  await s.close();
  rmSync(data, { recursive: true, force: true });
  return { sent, stored, sentRate };
}

async function nfcapd(rate: number, dir: string): Promise<Run> {
  const d = mkdtempSync(join(dir, 'nf-'));
  const n = await startNfcapd(d);
  const { sent, sentRate } = await send(n.port, rate);
  const info = await nfdumpInfo(await n.stop());
  rmSync(d, { recursive: true, force: true });
  return { sent, stored: info['Flows'] ?? 0, sentRate };
}

/** The highest sending rate achieved with every flow stored (0 if none). */
function bestLossless(runs: (Run | null)[]): number {
  return Math.max(0, ...runs.filter((r): r is Run => !!r && r.stored === r.sent).map((r) => r.sentRate));
}

const dir = mkdtempSync(join(tmpdir(), 'fh-bench-ingest-'));
try {
  let haveNfcapd = true;
  try {
    execFileSync('nfcapd', ['-V'], { stdio: 'ignore' });
  } catch {
    haveNfcapd = false;
  }
  // Other processes' CPU use changes every figure here on a small machine: record it.
  const loadBefore = loadavg();
  const perWorker = await reusePortAvailable();
  const runs: { rate: number; oneSocket: Run; socketPerWorker: Run | null; nfcapd: Run | null }[] = [];
  for (const rate of rates) {
    const one = await flowhunt(rate, dir, false);
    const per = perWorker ? await flowhunt(rate, dir, true) : null;
    const nf = haveNfcapd ? await nfcapd(rate, dir) : null;
    runs.push({ rate, oneSocket: one, socketPerWorker: per, nfcapd: nf });
    const show = (name: string, r: Run | null) =>
      r ? `, ${name} ${r.stored}/${r.sent} (sent at ${r.sentRate}/s)` : '';
    process.stdout.write(
      `rate ${rate}${show('one socket', one)}${show('socket per worker', per)}${show('nfcapd', nf)}\n`,
    );
  }
  const best = {
    flowhuntOneSocket: bestLossless(runs.map((r) => r.oneSocket)),
    flowhuntSocketPerWorker: perWorker ? bestLossless(runs.map((r) => r.socketPerWorker)) : null,
    nfcapd: haveNfcapd ? bestLossless(runs.map((r) => r.nfcapd)) : null,
  };
  const path = writeResult('ingest', {
    flows: total,
    format: `IPFIX over loopback UDP, ${exporters} exporters (source ports)`,
    workers,
    loadAverage: { before: loadBefore, after: loadavg() },
    runs,
    highestLosslessRate: best,
    note:
      `flowhunt serve --role collector --workers ${workers} (DuckDB store), once with collect.socketPerWorker: false ` +
      '(the main thread reads one socket, the workers decode) and once with one socket per worker ' +
      `(${perWorker ? 'SO_REUSEPORT' : 'not run: this runtime has no dgram reusePort'}); ` +
      `rates asked: ${rates.join(', ')}; highestLosslessRate is the rate the sender achieved in the fastest lossless run`,
  });
  process.stdout.write(`highest lossless: ${JSON.stringify(best)} flows/s -> ${path}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
