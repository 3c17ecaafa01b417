/**
 * @module Simulator throughput: flows generated per second, flows encoded
 * per second (NetFlow v9, IPFIX), and flows sent over UDP per second with
 * generation and encoding in the loop, counted by a UDP sink in another
 * process of the same run (what arrives, not what was sent). Writes
 * bench/results/simulate.json.
 *
 * Run: `npm run build && node dist/bench/simulate.js [scale] [minutes]`
 */

import { fork } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, platform, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExportEncoder, WIRE_FORMATS } from '../src/simulate/export/index.js';
import { UdpSender } from '../src/simulate/output/udp.js';
import { createSimulation } from '../src/simulate/simulation.js';

const SCALE = Number(process.argv[2] ?? 40);
const MINUTES = Number(process.argv[3] ?? 20);
/** Peak hours of the `baseline` scenario (afternoon, local time): the busiest minutes. */
const FROM = Date.UTC(2026, 10, 20, 6);

/** The sink: counts datagrams and the data records in them (v9 and IPFIX). */
function sink(): void {
  const s = createSocket('udp4');
  let packets = 0;
  let flows = 0;
  const recLen = new Map<number, number>();
  s.on('message', (m: Buffer) => {
    packets++;
    const version = m.readUInt16BE(0);
    let off = version === 9 ? 20 : 16;
    while (off + 4 <= m.length) {
      const id = m.readUInt16BE(off);
      const len = m.readUInt16BE(off + 2);
      if (len < 4) break;
      if (id === 0 || id === 2) {
        // Template set: learn each template's record length.
        let o = off + 4;
        while (o + 4 <= off + len) {
          const tid = m.readUInt16BE(o);
          const n = m.readUInt16BE(o + 2);
          let l = 0;
          for (let k = 0; k < n; k++) l += m.readUInt16BE(o + 4 + k * 4 + 2);
          recLen.set(tid, l);
          o += 4 + n * 4;
        }
      } else if (id >= 256) {
        const l = recLen.get(id);
        if (l) flows += Math.floor((len - 4) / l);
      }
      off += len;
    }
  });
  s.bind(0, '127.0.0.1', () => {
    s.setRecvBufferSize(8 * 1024 * 1024);
    process.send!({ port: s.address().port });
  });
  process.on('message', (msg: { cmd: string }) => {
    if (msg.cmd === 'count') process.send!({ packets, flows });
    if (msg.cmd === 'reset') {
      packets = 0;
      flows = 0;
      process.send!({ ok: true });
    }
    if (msg.cmd === 'exit') s.close(() => process.exit(0));
  });
}

function ask<T>(child: ReturnType<typeof fork>, cmd: string): Promise<T> {
  return new Promise((r) => {
    child.once('message', (m) => r(m as T));
    child.send({ cmd });
  });
}

function sim() {
  return createSimulation({ scenario: 'baseline', seed: 1, from: FROM, hours: MINUTES / 60, scale: SCALE });
}

async function main(): Promise<void> {
  // Generation alone (building the population is timed apart: it happens once per run).
  let t = performance.now();
  const first = sim();
  const buildSeconds = (performance.now() - t) / 1000;
  t = performance.now();
  let flows = 0;
  for (const b of first.batches({ reuse: true })) flows += b.length;
  const genSeconds = (performance.now() - t) / 1000;
  const generation = {
    flows,
    buildSeconds: round(buildSeconds),
    seconds: round(genSeconds),
    flowsPerSecond: Math.round(flows / genSeconds),
  };
  console.log('generation', generation);

  // Generation and encoding.
  const encoding: Record<string, unknown>[] = [];
  for (const format of ['v9', 'ipfix'] as const) {
    const enc = new ExportEncoder(WIRE_FORMATS[format]);
    let packets = 0;
    const count = () => {
      packets++;
    };
    const run = sim();
    t = performance.now();
    for (const b of run.batches({ reuse: true })) enc.encode(b, count);
    enc.flush(count);
    const s = (performance.now() - t) / 1000;
    encoding.push({
      format,
      flows,
      packets,
      flowsPerPacket: round(flows / packets),
      flowsPerSecond: Math.round(flows / s),
    });
    console.log('generate+encode', encoding[encoding.length - 1]);
  }

  // Generation, encoding and UDP, to a sink in another process.
  const child = fork(fileURLToPath(import.meta.url), ['--sink'], { stdio: 'inherit' });
  const { port } = await new Promise<{ port: number }>((r) =>
    child.once('message', (m) => r(m as { port: number })),
  );
  const udp: Record<string, unknown>[] = [];
  for (const [format, rate] of [
    ['v9', 500_000],
    ['ipfix', 500_000],
    ['v9', 0],
    ['ipfix', 0],
  ] as const) {
    await ask(child, 'reset');
    const sender = new UdpSender({ host: '127.0.0.1', port, format, rate });
    const run = sim();
    await sender.open();
    for (const b of run.batches({ reuse: true })) await sender.send(b);
    await sender.flush();
    const r = sender.report();
    await sender.close();
    await new Promise((res) => setTimeout(res, 300));
    const got = await ask<{ packets: number; flows: number }>(child, 'count');
    const row = {
      format,
      targetRate: rate === 0 ? 'unlimited' : rate,
      sentFlows: r.flows,
      sentPackets: r.packets,
      seconds: round(r.seconds),
      sentFlowsPerSecond: Math.round(r.rate),
      receivedFlows: got.flows,
      receivedPackets: got.packets,
      receivedFlowsPerSecond: Math.round(got.flows / r.seconds),
      loss: round(1 - got.flows / r.flows, 4),
    };
    udp.push(row);
    console.log('udp', row);
  }
  child.send({ cmd: 'exit' });

  const out = {
    benchmark: 'simulate',
    command: `node dist/bench/simulate.js ${SCALE} ${MINUTES}`,
    date: new Date().toISOString(),
    machine: {
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      memoryBytes: totalmem(),
      node: process.version,
      os: `${platform()} ${release()}`,
    },
    note: `scenario baseline (legitimate traffic only, the bulk of a real day; a short run of another scenario compresses all its attacks into it), seed 1, scale ${SCALE}, ${MINUTES} simulated minutes from ${new Date(FROM).toISOString()} (peak hours); one process generates, encodes and sends (main thread), the sink is a second process on the same machine counting the data records that arrive; packets ≤ 1400 bytes`,
    generation,
    encoding,
    udp,
  };
  const here = dirname(fileURLToPath(import.meta.url));
  const dir = join(here, '../../bench/results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'simulate.json'), `${JSON.stringify(out, null, 2)}\n`);
}

function round(v: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

if (process.argv.includes('--sink')) sink();
else await main();
