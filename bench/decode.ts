/**
 * @module Decode rate on one core, records per second, for NetFlow v5, v9,
 * IPFIX and sFlow v5 on synthetic datagrams, beside a naive baseline in the
 * same run (one object per record, read with Buffer.readUInt*), as
 * decoders are often written. Writes bench/results/decode.json.
 *
 * Run: `npm run build && node dist/bench/decode.js [seconds per case]`
 */

import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, platform, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DecoderState, decodePacket, decodeSflow } from '../src/decode/index.js';
import { FlowBatch } from '../src/flow/batch.js';
import { emptyRecord } from '../src/flow/record.js';
import {
  Bytes,
  frame,
  ipfixMessage,
  type Spec,
  set,
  sflowDatagram,
  sflowFlowSample,
  sflowRawHeader,
  templates,
  v9Packet,
  v9Templates,
} from '../src/testing/datagrams.js';
import { encodeNetflowV5 } from '../src/testing/nfcapd.js';

const SECONDS = Number(process.argv[2] ?? 2);
const EXPORTER = [0, 0, 0xffff, 0xc0000201] as const;
const T0 = 1_700_000_000;

/** A typical router template: addresses, ports, protocol, flags, ToS, interfaces, AS, next hop, counters, times. */
const FIELDS: Spec[] = [
  [8, 4],
  [12, 4],
  [15, 4],
  [7, 2],
  [11, 2],
  [4, 1],
  [6, 1],
  [5, 1],
  [10, 4],
  [14, 4],
  [16, 4],
  [17, 4],
  [2, 8],
  [1, 8],
  [22, 4],
  [21, 4],
  [61, 1],
  [9, 1],
  [13, 1],
];
const REC_LEN = FIELDS.reduce((n, f) => n + f[1], 0);

function records(n: number, seed: number): Uint8Array {
  const b = new Bytes();
  for (let k = 0; k < n; k++) {
    b.u32(0x0a000000 + seed * 97 + k)
      .u32(0xc0a80000 + k)
      .u32(0x0a0000fe)
      .u16(1024 + k)
      .u16(443)
      .u8(6)
      .u8(0x1b)
      .u8(0);
    b.u32(3)
      .u32(4)
      .u32(64512)
      .u32(15169)
      .u64(10 + k)
      .u64(1500 * (10 + k))
      .u32(1000)
      .u32(2000)
      .u8(0)
      .u8(24)
      .u8(24);
  }
  return b.build();
}

const PER_PACKET = Math.floor(1400 / REC_LEN);

function v9Packets(): Uint8Array[] {
  const out = [v9Packet({ sysUptime: 5000, unixSecs: T0 }, [v9Templates([256, FIELDS])])];
  for (let p = 0; p < 64; p++)
    out.push(v9Packet({ sysUptime: 5000, unixSecs: T0, seq: p + 1 }, [set(256, records(PER_PACKET, p))]));
  return out;
}

function ipfixPackets(): Uint8Array[] {
  const out = [ipfixMessage({ exportSecs: T0 }, [templates([256, FIELDS])])];
  for (let p = 0; p < 64; p++)
    out.push(ipfixMessage({ exportSecs: T0, seq: p * PER_PACKET }, [set(256, records(PER_PACKET, p))]));
  return out;
}

function v5Packets(): Uint8Array[] {
  const r = {
    ...emptyRecord(),
    sourceIPAddress: '10.0.0.1',
    destinationIPAddress: '192.168.0.1',
    protocolIdentifier: 6,
  };
  const recs = Array.from({ length: 30 * 64 }, (_, k) => ({
    ...r,
    sourceTransportPort: 1024 + (k % 60000),
    destinationTransportPort: 443,
    packetDeltaCount: 10,
    octetDeltaCount: 15000,
    flowStartMilliseconds: T0 * 1000,
    flowEndMilliseconds: T0 * 1000 + 500,
  }));
  return encodeNetflowV5(recs).map((b) => new Uint8Array(b));
}

function sflowPackets(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let p = 0; p < 64; p++) {
    const samples = Array.from({ length: 8 }, (_, k) =>
      sflowFlowSample({
        seq: p * 8 + k,
        sourceIndex: 3,
        rate: 1024,
        pool: 1024 * (p * 8 + k),
        input: 3,
        output: 4,
        records: [
          sflowRawHeader(
            frame({ src: '10.1.1.1', dst: '10.2.2.2', proto: 6, sport: 1024 + k, dport: 443, payload: 64 }),
          ),
        ],
      }),
    );
    out.push(sflowDatagram({ agent: '10.0.0.1', seq: p, uptime: 1000 }, samples));
  }
  return out;
}

/** Decodes the packets over and over for SECONDS; returns records per second. */
function measure(
  packets: Uint8Array[],
  decode: (p: Uint8Array, out: FlowBatch) => number,
  warm = true,
): number {
  const out = new FlowBatch(65536);
  let recs = 0;
  const pass = () => {
    for (const p of packets) {
      recs += decode(p, out);
      if (out.length > 60000) out.clear();
    }
  };
  if (warm) for (let k = 0; k < 200; k++) pass();
  recs = 0;
  const start = process.hrtime.bigint();
  const stop = start + BigInt(Math.round(SECONDS * 1e9));
  let now = start;
  while (now < stop) {
    for (let k = 0; k < 20; k++) pass();
    now = process.hrtime.bigint();
  }
  return recs / (Number(now - start) / 1e9);
}

// ---- the naive baseline: one object per record, Buffer reads, a field map per template ----

type Obj = Record<string, number | string>;
const NAMES: Record<number, string> = {
  1: 'octets',
  2: 'packets',
  4: 'proto',
  5: 'tos',
  6: 'flags',
  7: 'sport',
  8: 'src',
  10: 'inIf',
  11: 'dport',
  12: 'dst',
  14: 'outIf',
  15: 'nexthop',
  16: 'srcAs',
  17: 'dstAs',
  21: 'last',
  22: 'first',
  61: 'dir',
};
let sink = 0;
const naiveTemplates = new Map<number, [number, number][]>();

function naiveRead(b: Buffer, o: number, len: number): number {
  return len === 8 ? Number(b.readBigUInt64BE(o)) : b.readUIntBE(o, len);
}

function naiveSets(b: Buffer, pos: number, tplSet: number): number {
  let n = 0;
  while (pos + 4 <= b.length) {
    const id = b.readUInt16BE(pos);
    const len = b.readUInt16BE(pos + 2);
    if (id === tplSet) {
      const tid = b.readUInt16BE(pos + 4);
      const count = b.readUInt16BE(pos + 6);
      const fields: [number, number][] = [];
      for (let k = 0; k < count; k++)
        fields.push([b.readUInt16BE(pos + 8 + 4 * k), b.readUInt16BE(pos + 10 + 4 * k)]);
      naiveTemplates.set(tid, fields);
    } else if (id >= 256) {
      const fields = naiveTemplates.get(id)!;
      for (let p = pos + 4; p + REC_LEN <= pos + len; ) {
        const rec: Obj = {};
        for (const [ie, flen] of fields) {
          const name = NAMES[ie] ?? `f${ie}`;
          rec[name] =
            flen === 4 && (ie === 8 || ie === 12 || ie === 15)
              ? b.subarray(p, p + 4).join('.')
              : naiveRead(b, p, flen);
          p += flen;
        }
        sink += rec['packets'] as number;
        n++;
      }
    }
    pos += len;
  }
  return n;
}

function naiveV5(b: Buffer): number {
  const count = b.readUInt16BE(2);
  for (let k = 0; k < count; k++) {
    const o = 24 + 48 * k;
    const rec: Obj = {
      src: b.subarray(o, o + 4).join('.'),
      dst: b.subarray(o + 4, o + 8).join('.'),
      nexthop: b.subarray(o + 8, o + 12).join('.'),
      inIf: b.readUInt16BE(o + 12),
      outIf: b.readUInt16BE(o + 14),
      packets: b.readUInt32BE(o + 16),
      octets: b.readUInt32BE(o + 20),
      first: b.readUInt32BE(o + 24),
      last: b.readUInt32BE(o + 28),
      sport: b.readUInt16BE(o + 32),
      dport: b.readUInt16BE(o + 34),
      flags: b.readUInt8(o + 37),
      proto: b.readUInt8(o + 38),
      tos: b.readUInt8(o + 39),
      srcAs: b.readUInt16BE(o + 40),
      dstAs: b.readUInt16BE(o + 42),
    };
    sink += rec['packets'] as number;
  }
  return count;
}

function naiveSflow(b: Buffer): number {
  let p = 28;
  const n = b.readUInt32BE(24);
  for (let s = 0; s < n; s++) {
    const len = b.readUInt32BE(p + 4);
    const body = p + 8;
    const rate = b.readUInt32BE(body + 8);
    const h = body + 32 + 8 + 16; // the first record's raw header
    const ipAt = h + 14; // untagged Ethernet
    const rec: Obj = {
      rate,
      src: b.subarray(ipAt + 12, ipAt + 16).join('.'),
      dst: b.subarray(ipAt + 16, ipAt + 20).join('.'),
      proto: b.readUInt8(ipAt + 9),
      len: b.readUInt16BE(ipAt + 2),
      sport: b.readUInt16BE(ipAt + 20),
      dport: b.readUInt16BE(ipAt + 22),
    };
    sink += rec['rate'] as number;
    p = body + len;
  }
  return n;
}

const cases = [
  { name: 'netflow-v5', packets: v5Packets(), naive: (p: Buffer) => naiveV5(p) },
  { name: 'netflow-v9', packets: v9Packets(), naive: (p: Buffer) => naiveSets(p, 20, 0) },
  { name: 'ipfix', packets: ipfixPackets(), naive: (p: Buffer) => naiveSets(p, 16, 2) },
  { name: 'sflow-v5', packets: sflowPackets(), naive: (p: Buffer) => naiveSflow(p) },
];

const results = cases.map((c) => {
  // Every datagram carries the same receive time: no records-per-second budget, or it would run out.
  const state = new DecoderState({ maxRecordsPerSecond: Number.POSITIVE_INFINITY });
  const decode =
    c.name === 'sflow-v5'
      ? (p: Uint8Array, out: FlowBatch) => decodeSflow(state, p, T0 * 1000, out).records
      : (p: Uint8Array, out: FlowBatch) => decodePacket(state, EXPORTER, p, T0 * 1000, out).records;
  const flowhunt = measure(c.packets, decode);
  const bufs = c.packets.map((p) => Buffer.from(p));
  const naive = measure(bufs, (p) => c.naive(p as Buffer));
  const recordsPerPacket = c.name === 'sflow-v5' ? 8 : c.name === 'netflow-v5' ? 30 : PER_PACKET;
  const row = {
    protocol: c.name,
    recordsPerDatagram: recordsPerPacket,
    flowhuntRecordsPerSecond: Math.round(flowhunt),
    naiveRecordsPerSecond: Math.round(naive),
    speedup: Number((flowhunt / naive).toFixed(2)),
  };
  process.stdout.write(
    `${c.name.padEnd(11)} flowhunt ${(flowhunt / 1e6).toFixed(2).padStart(6)} M rec/s   naive ${(naive / 1e6).toFixed(2).padStart(6)} M rec/s   x${row.speedup}\n`,
  );
  return row;
});
if (sink === -1) process.stdout.write('');

const cpu = cpus()[0];
const report = {
  benchmark: 'decode',
  command: `node dist/bench/decode.js ${SECONDS}`,
  date: new Date().toISOString(),
  machine: {
    cpu: cpu?.model ?? 'unknown',
    cores: cpus().length,
    memoryBytes: totalmem(),
    node: process.version,
    os: `${platform()} ${release()}`,
  },
  note: 'one core (this process, main thread); synthetic datagrams: v5 30 records, v9/IPFIX a 19-field router template, sFlow 8 flow samples with raw IPv4/TCP headers; naive = one object per record with Buffer.readUInt*',
  results,
};
const out = join(dirname(fileURLToPath(import.meta.url)), '../../bench/results/decode.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
process.stdout.write(`wrote ${out}\n`);
