/**
 * @module Benchmark: the highest lossless ingest rate, UDP to stored flows,
 * for `flowhunt serve` receiving on one socket (main thread, decoding in the
 * workers), for `flowhunt serve` receiving on one socket per worker
 * (SO_REUSEPORT, where the runtime has it), and for nfcapd, on the same
 * replayed stream (the simulator's IPFIX export packets, paced by a token
 * bucket) in one run. The stream comes from several exporters (source
 * ports), as the kernel spreads a shared port's datagrams by sender.
 * Lossless: every flow sent is stored (flowhunt: the store's totals after a
 * clean SIGTERM; nfcapd: `nfdump -I` of its file). The packets are encoded
 * before any run, so the sender's pace is not bounded by encoding, and the
 * rates go up to 2 M flows/s; a target that lost flows at two rates in a
 * row is not asked the higher ones.
 *
 * Then each stage of flowhunt's path alone, on the same packets, for where
 * the ceiling comes from: the receive path (a bare socket on the main
 * thread, counting datagrams: the highest lossless rate), decoding (one
 * core, flows/s), and batching into the store (DuckDB append and flush,
 * flows/s and CPU µs per flow).
 * Run: node dist/bench/ingest.js [--flows N] [--workers N] [--exporters N]
 */

import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPacketDecoder } from '../src/collect/decoder.js';
import { KIND_NETFLOW } from '../src/collect/framing.js';
import { reusePortAvailable } from '../src/collect/reuseport.js';
import { parseAddress } from '../src/flow/address.js';
import { FlowBatch } from '../src/flow/batch.js';
import { type EncodedPackets, UdpSender } from '../src/simulate/output/udp.js';
import { createSimulation } from '../src/simulate/simulation.js';
import { DuckFlowStore } from '../src/store/duckdb/index.js';
import { nfdumpInfo, startNfcapd } from '../src/testing/nfcapd.js';
import { startServe } from '../src/testing/serve.js';
import { arg, writeResult } from './machine.js';

const want = arg('flows', 1_000_000);
const workers = arg('workers', 2);
const exporters = arg('exporters', 8);
const rates = [200_000, 300_000, 400_000, 500_000, 600_000, 800_000, 1_000_000, 1_500_000, 2_000_000];

// The stream: the first `want` flows of a busy scenario, dealt to the exporters in slices of 4,096
// flows, kept in memory so only sending is timed. Its two hours end now: live collection rejects
// flows older than ingest.liveMaxAgeDays as stale.
const streams: FlowBatch[] = Array.from({ length: exporters }, () => new FlowBatch(4096));
let total = 0;
const from = Date.now() - 2 * 3_600_000;
for (const b of createSimulation({ scenario: 'baseline', seed: 1, scale: 40, hours: 2, from }).batches()) {
  for (let i = 0; i < b.length && total < want; i++, total++)
    streams[Math.floor(total / 4096) % exporters]!.push(b.record(i));
  if (total >= want) break;
}
const encoded: EncodedPackets[] = streams.map((b) => UdpSender.encode(b, { format: 'ipfix' }));
const packetCount = encoded.reduce((a, e) => a + e.packets.length, 0);

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
      await s.sendEncoded(encoded[i]!);
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

/** The receive path alone: a bare main-thread socket (the collector's 32 MB buffer) counting datagrams. */
async function receiveOnly(rate: number): Promise<Run> {
  const sock = createSocket('udp4');
  let got = 0;
  sock.on('message', () => got++);
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  sock.setRecvBufferSize(32 * 1024 * 1024);
  const { sent, sentRate } = await send((sock.address() as AddressInfo).port, rate);
  await new Promise((r) => setTimeout(r, 500));
  sock.close();
  // Datagrams to flows: every packet of the stream carries its known number of flows; a lost one, the average.
  return { sent, stored: got === packetCount ? sent : Math.floor((got / packetCount) * sent), sentRate };
}

/** Decoding alone on this core (the work of one worker): best of 3 passes, flows/s. */
function decodeOnly(): { flowsPerSecond: number; batches: FlowBatch[] } {
  const exporter = parseAddress('127.0.0.1')!;
  let best = 0;
  let batches: FlowBatch[] = [];
  for (let pass = 0; pass < 3; pass++) {
    const decoder = createPacketDecoder();
    const out: FlowBatch[] = [];
    let b = new FlowBatch(8192);
    let n = 0;
    const t = performance.now();
    for (const e of encoded)
      for (const p of e.packets) {
        decoder.decode(KIND_NETFLOW, exporter, p, 0, b);
        if (b.length >= 8192) {
          n += b.length;
          out.push(b);
          b = new FlowBatch(8192);
        }
      }
    n += b.length;
    out.push(b);
    best = Math.max(best, n / ((performance.now() - t) / 1000));
    batches = out;
  }
  return { flowsPerSecond: Math.round(best), batches };
}

/** Batching into the store alone: the decoded batches appended to DuckDB and flushed, flows/s and CPU. */
async function storeOnly(batches: FlowBatch[], dir: string) {
  const data = join(dir, 'store-only');
  const store = await DuckFlowStore.open(data);
  const cpu = process.cpuUsage();
  const t = performance.now();
  let n = 0;
  for (const b of batches) {
    await store.append(b);
    n += b.length;
  }
  await store.flush();
  const s = (performance.now() - t) / 1000;
  const used = process.cpuUsage(cpu);
  const stored = (await store.totals({})).flows;
  await store.close();
  rmSync(data, { recursive: true, force: true });
  if (stored !== n) throw new Error(`store stage: ${stored} of ${n} flows stored`);
  return {
    flows: n,
    flowsPerSecond: Math.round(n / s),
    cpuMicrosecondsPerFlow: Math.round(((used.user + used.system) / n) * 100) / 100,
  };
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
  const targets = {
    receiveOnly: (rate: number) => receiveOnly(rate),
    oneSocket: (rate: number) => flowhunt(rate, dir, false),
    socketPerWorker: perWorker ? (rate: number) => flowhunt(rate, dir, true) : null,
    nfcapd: haveNfcapd ? (rate: number) => nfcapd(rate, dir) : null,
  };
  type Name = keyof typeof targets;
  const lossy: Record<Name, number> = { receiveOnly: 0, oneSocket: 0, socketPerWorker: 0, nfcapd: 0 };
  const runs: ({ rate: number } & Partial<Record<Name, Run | null>>)[] = [];
  for (const rate of rates) {
    const row: { rate: number } & Partial<Record<Name, Run | null>> = { rate };
    let line = `rate ${rate}`;
    for (const name of Object.keys(targets) as Name[]) {
      const run = targets[name];
      // Not run (null): not available here, or lost flows at the two rates below.
      if (!run || lossy[name] >= 2) {
        row[name] = null;
        continue;
      }
      const r = await run(rate);
      row[name] = r;
      lossy[name] = r.stored === r.sent ? 0 : lossy[name] + 1;
      line += `, ${name} ${r.stored}/${r.sent} (sent at ${r.sentRate}/s)`;
    }
    runs.push(row);
    process.stdout.write(`${line}\n`);
  }
  const best = {
    receiveOnly: bestLossless(runs.map((r) => r.receiveOnly ?? null)),
    flowhuntOneSocket: bestLossless(runs.map((r) => r.oneSocket ?? null)),
    flowhuntSocketPerWorker: perWorker ? bestLossless(runs.map((r) => r.socketPerWorker ?? null)) : null,
    nfcapd: haveNfcapd ? bestLossless(runs.map((r) => r.nfcapd ?? null)) : null,
  };
  // Each stage alone, on the same packets.
  const decoded = decodeOnly();
  const stages = {
    receiveLosslessFlowsPerSecond: best.receiveOnly,
    decodeFlowsPerSecondOneCore: decoded.flowsPerSecond,
    store: await storeOnly(decoded.batches, dir),
    note: 'receive: a bare main-thread socket counting datagrams (no decode, no store), the highest lossless rate; decode: createPacketDecoder on this thread, best of 3 passes over every packet; store: the decoded batches appended to a DuckDB store and flushed (sorted zstd Parquet), CPU of this process (DuckDB threads included)',
  };
  process.stdout.write(`stages: ${JSON.stringify(stages)}\n`);
  const path = writeResult('ingest', {
    flows: total,
    format: `IPFIX over loopback UDP, ${exporters} exporters (source ports)`,
    workers,
    loadAverage: { before: loadBefore, after: loadavg() },
    packets: packetCount,
    runs,
    highestLosslessRate: best,
    stages,
    note:
      `flowhunt serve --role collector --workers ${workers} (DuckDB store), once with collect.socketPerWorker: false ` +
      '(the main thread reads one socket, the workers decode) and once with one socket per worker ' +
      `(${perWorker ? 'SO_REUSEPORT' : 'not run: this runtime has no dgram reusePort'}); ` +
      `rates asked: ${rates.join(', ')} (packets encoded before the runs; a target that lost flows at two rates in a row is not asked higher ones: null); ` +
      'receiveOnly: a bare socket counting datagrams; highestLosslessRate is the rate the sender achieved in the fastest lossless run',
  });
  process.stdout.write(`highest lossless: ${JSON.stringify(best)} flows/s -> ${path}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
