/**
 * @module Makes real nfcapd files for tests: flows are encoded as NetFlow v5
 * export packets, sent over loopback to Debian's `nfcapd`, and the file it
 * writes is what `nfdump` reads. The same records can be stored in flowhunt,
 * so both tools answer questions about the very same flows: `nfdump -s`
 * top-N answers are parsed here beside flowhunt's answer to the same
 * question, and compared row for row.
 */

import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseIPv4 } from '../flow/address.js';
import type { FlowRecord } from '../flow/record.js';
import { runCli } from './helpers.js';

const execFileP = promisify(execFile);

const V5_HEADER = 24;
const V5_RECORD = 48;
const V5_MAX = 30;

function v4(text: string): number {
  const v = parseIPv4(text);
  if (v === undefined) throw new Error(`NetFlow v5 carries IPv4 only, not ${text}`);
  return v;
}

/**
 * Encodes records as NetFlow v5 packets (30 records each). Times are carried
 * as sysUptime offsets from an export time just after the last flow, so they
 * survive the round trip to the millisecond.
 */
export function encodeNetflowV5(records: readonly FlowRecord[], firstSequence = 0): Buffer[] {
  const out: Buffer[] = [];
  const exportMs = Math.max(0, ...records.map((r) => r.flowEndMilliseconds)) + 1000;
  const sysUptime = 1_000_000_000;
  let seq = firstSequence;
  for (let p = 0; p < records.length; p += V5_MAX) {
    const chunk = records.slice(p, p + V5_MAX);
    const b = Buffer.alloc(V5_HEADER + chunk.length * V5_RECORD);
    b.writeUInt16BE(5, 0);
    b.writeUInt16BE(chunk.length, 2);
    b.writeUInt32BE(sysUptime, 4);
    b.writeUInt32BE(Math.floor(exportMs / 1000), 8);
    b.writeUInt32BE((exportMs % 1000) * 1_000_000, 12);
    b.writeUInt32BE(seq >>> 0, 16);
    seq += chunk.length;
    chunk.forEach((r, i) => {
      const o = V5_HEADER + i * V5_RECORD;
      b.writeUInt32BE(v4(r.sourceIPAddress), o);
      b.writeUInt32BE(v4(r.destinationIPAddress), o + 4);
      b.writeUInt32BE(v4(r.ipNextHopAddress), o + 8);
      b.writeUInt16BE(r.ingressInterface & 0xffff, o + 12);
      b.writeUInt16BE(r.egressInterface & 0xffff, o + 14);
      b.writeUInt32BE(r.packetDeltaCount >>> 0, o + 16);
      b.writeUInt32BE(r.octetDeltaCount >>> 0, o + 20);
      b.writeUInt32BE(sysUptime - (exportMs - r.flowStartMilliseconds), o + 24);
      b.writeUInt32BE(sysUptime - (exportMs - r.flowEndMilliseconds), o + 28);
      b.writeUInt16BE(r.sourceTransportPort, o + 32);
      b.writeUInt16BE(r.destinationTransportPort, o + 34);
      b.writeUInt8(r.tcpControlBits & 0xff, o + 37);
      b.writeUInt8(r.protocolIdentifier, o + 38);
      b.writeUInt8(r.ipClassOfService, o + 39);
      b.writeUInt16BE(r.bgpSourceAsNumber & 0xffff, o + 40);
      b.writeUInt16BE(r.bgpDestinationAsNumber & 0xffff, o + 42);
    });
    out.push(b);
  }
  return out;
}

export async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/**
 * Sends datagrams to host:port, with a 2 ms pause after every `burst` (≈ 5,000 packets/s
 * by default): gentle enough that a receiver starved of CPU by other tests
 * (nfcapd keeps the system's default socket buffer) does not drop any.
 */
export async function sendUdp(
  port: number,
  packets: readonly Buffer[],
  host = '127.0.0.1',
  burst = 10,
): Promise<void> {
  const s = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  try {
    for (let i = 0; i < packets.length; i++) {
      await new Promise<void>((res, rej) => s.send(packets[i]!, port, host, (e) => (e ? rej(e) : res())));
      if (i % burst === burst - 1) await new Promise((r) => setTimeout(r, 2));
    }
  } finally {
    s.close();
  }
}

export interface RunningNfcapd {
  port: number;
  /** Stops nfcapd (SIGTERM, so it closes its file) and returns the file's path. */
  stop(): Promise<string>;
  /** What nfcapd logged (`-v`: its statistics, sequence errors and bad packets, at the end). */
  log(): string;
}

/**
 * Starts nfcapd on a free loopback port writing into `dir`, with a 4 MB socket
 * buffer (the reference must not be the one that drops), and waits until it
 * listens. `extra` are more nfcapd options (`-z`, `-y`, `-j`: LZO, LZ4, BZ2 blocks).
 */
export async function startNfcapd(dir: string, extra: readonly string[] = []): Promise<RunningNfcapd> {
  const port = await freeUdpPort();
  const args = [
    '-w',
    dir,
    '-b',
    '127.0.0.1',
    '-p',
    String(port),
    '-t',
    '3600',
    '-B',
    '4000000',
    '-v',
    ...extra,
  ];
  const p = spawn('nfcapd', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  p.stdout.on('data', (d) => {
    log += d;
  });
  p.stderr.on('data', (d) => {
    log += d;
  });
  const exited = new Promise<number | null>((r) => p.on('close', r));
  // nfcapd has no readiness signal: wait until its socket is bound.
  for (let i = 0; i < 100; i++) {
    const { stdout } = await execFileP('ss', ['-uanp']).catch(() => ({ stdout: '' }));
    if (stdout.includes(`127.0.0.1:${port}`)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    stop: async () => {
      await new Promise((r) => setTimeout(r, 300));
      p.kill('SIGTERM');
      const code = await exited;
      const files = (await readdir(dir)).filter((f) => /^nfcapd\.\d{12}$/.test(f));
      if (files.length > 1) throw new NfcapdRotated(dir, files);
      if (files.length !== 1) throw new Error(`nfcapd (exit ${code}) wrote ${files.length} files: ${log}`);
      return join(dir, files[0]!);
    },
    log: () => log,
  };
}

/**
 * Runs nfcapd on a loopback port, sends it the packets, stops it and returns
 * the path of the file it wrote.
 */
export async function captureWithNfcapd(
  packets: readonly Buffer[],
  dir: string,
  extra: readonly string[] = [],
): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    const n = await startNfcapd(dir, extra);
    try {
      await sendUdp(n.port, packets);
    } catch (e) {
      await n.stop().catch(() => undefined);
      throw e;
    }
    try {
      return await n.stop();
    } catch (e) {
      // The capture straddled nfcapd's hourly rotation: its flows are in two files. Once more (a
      // capture takes seconds; it cannot straddle the next rotation too).
      if (!(e instanceof NfcapdRotated) || attempt > 0) throw e;
      await Promise.all(e.files.map((f) => rm(join(dir, f), { force: true })));
    }
  }
}

/** nfcapd rotated its file (at the top of the hour, `-t 3600`) while a test ran: several files. */
export class NfcapdRotated extends Error {
  constructor(
    readonly dir: string,
    readonly files: readonly string[],
  ) {
    super(`nfcapd rotated its file during the run: ${files.length} files in ${dir} (${files.join(', ')})`);
  }
}

/** `nfdump -I` of a file (`-R`: of every file under a directory) as numbers: Flows, Packets, Bytes, Sequence failures... */
export async function nfdumpInfo(path: string, read: '-r' | '-R' = '-r'): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const line of (await nfdump(['-I', read, path])).split('\n')) {
    const m = /^([A-Za-z_ ]+):\s*(\d+)\s*$/.exec(line);
    if (m) out[m[1]!.trim()] = Number(m[2]);
  }
  return out;
}

/** Runs nfdump and returns its stdout. */
export async function nfdump(args: readonly string[]): Promise<string> {
  const { stdout } = await execFileP('nfdump', [...args], { maxBuffer: 256 * 1024 * 1024 });
  return stdout;
}

/** One row of a top-N: the key and its totals. */
export interface Row {
  key: string;
  flows: number;
  packets: number;
  bytes: number;
}

/** A top-N answer: the totals over the selected flows and the rows. */
export interface Answer {
  total: { flows: number; packets: number; bytes: number };
  rows: Row[];
}

/** Reads `nfdump -s KEY/ORDER -o csv`: the rows, then a `Summary` block. */
export function parseNfdumpCsv(text: string): Answer {
  const lines = text.split('\n');
  const head = lines[0]!.split(',');
  const col = (names: string[]) => head.findIndex((h) => names.includes(h));
  const [val, fl, pkt, byt] = [col(['val']), col(['fl']), col(['ipkt', 'pkt']), col(['ibyt', 'byt'])];
  assert.ok(val >= 0 && fl >= 0 && pkt >= 0 && byt >= 0, `nfdump csv header: ${lines[0]}`);
  const rows: Row[] = [];
  let i = 1;
  for (; i < lines.length && lines[i] !== ''; i++) {
    const c = lines[i]!.split(',');
    rows.push({ key: c[val]!.trim(), flows: Number(c[fl]), packets: Number(c[pkt]), bytes: Number(c[byt]) });
  }
  const s = lines.indexOf('Summary');
  assert.ok(s > 0, `no Summary in nfdump output:\n${text}`);
  const sh = lines[s + 1]!.split(',');
  const sv = lines[s + 2]!.split(',').map(Number);
  const get = (n: string) => sv[sh.indexOf(n)]!;
  return { total: { flows: get('flows'), packets: get('packets'), bytes: get('bytes') }, rows };
}

/** `nfdump -r FILE -s STAT -n TOP -o csv FILTER`, parsed (TOP 0: every row). */
export async function nfdumpStat(file: string, stat: string, top: number, filter: string): Promise<Answer> {
  return parseNfdumpCsv(await nfdump(['-r', file, '-s', stat, '-n', String(top), '-o', 'csv', filter]));
}

/**
 * Same top-N as nfdump: the same sequence of ordering values, every row
 * exactly as nfdump counts it, and the same keys wherever the order is
 * unambiguous (only a tie at the cut may pick other, equally ranked keys).
 */
export function assertSameTop(ours: Row[], ref: Row[], all: Row[], order: keyof Row, what: string): void {
  assert.deepEqual(
    ours.map((r) => r[order]),
    ref.map((r) => r[order]),
    `${what}: ordering values`,
  );
  const byKey = new Map(all.map((r) => [r.key, r]));
  for (const r of ours) assert.deepEqual(r, byKey.get(r.key), `${what}: row ${r.key}`);
  const cut = ref.at(-1)?.[order];
  const above = (rows: Row[]) =>
    rows
      .filter((r) => r[order]! > cut!)
      .map((r) => r.key)
      .sort();
  assert.deepEqual(above(ours), above(ref), `${what}: keys above the cut`);
}

/** The same question to flowhunt: `flowhunt query FILTER --stat STAT --top TOP --json`. */
export async function flowhuntStat(dir: string, stat: string, top: number, filter: string): Promise<Answer> {
  // The filter goes in as separate words, as a shell user types it; flowhunt joins them.
  const args = ['query', ...filter.split(' '), '--stat', stat, '--top', String(top), '--json', '--data', dir];
  const r = await runCli(args);
  assert.equal(r.code, 0, `${filter}: ${r.stderr}`);
  const a = JSON.parse(r.stdout) as Answer;
  return {
    total: a.total,
    rows: a.rows.map(({ key, flows, packets, bytes }) => ({ key, flows, packets, bytes })),
  };
}
