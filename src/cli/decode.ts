/**
 * @module `flowhunt decode FILE [--json]`: decodes a pcap/pcapng capture of
 * export traffic or an IPFIX file (auto-detected by magic) and prints the
 * flows, storing nothing. Flows go to stdout (JSON lines keyed by IPFIX
 * element names with `--json`, else a table); decode errors go to stderr as
 * `packet N: message`. Exit 0 when the file could be read, even with decode
 * errors; 1 when it is not a capture or IPFIX file at all.
 */

import { open } from 'node:fs/promises';
import type { Command } from 'commander';
import { DecoderState, decodeAny } from '../decode/index.js';
import type { AddrWords } from '../flow/address.js';
import { FlowBatch } from '../flow/batch.js';
import { flagsText, protocolName } from '../flow/names.js';
import type { FlowRecord } from '../flow/record.js';
import { FILE_EXPORTER, isIpfixFile, readIpfixFile } from '../import/ipfix-file.js';
import { captureFormat, openChunks, readCapture } from '../import/pcap.js';
import { declare } from './commands.js';
import { action, addGlobalOptions, fmtNum, type GlobalOptions, UsageError } from './common.js';

export function register(program: Command): void {
  addGlobalOptions(declare(program, 'decode')).action(
    action(async (file: string, opts: GlobalOptions) => {
      await decodeFile(file, opts.json === true);
    }),
  );
}

type Kind = 'pcap' | 'pcapng' | 'ipfix';

async function sniff(file: string): Promise<Kind> {
  let head: Buffer;
  try {
    const fh = await open(file, 'r');
    try {
      head = Buffer.alloc(16);
      const { bytesRead } = await fh.read(head, 0, 16, 0);
      head = head.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const kind = captureFormat(head) ?? (isIpfixFile(head) ? 'ipfix' : undefined);
  if (!kind) throw new UsageError(`${file} is not a pcap, pcapng or IPFIX file`);
  return kind;
}

/** Buffers stdout writes; a table or JSON line per flow. */
class Printer {
  private buf: string[] = [];
  flows = 0;

  constructor(private readonly json: boolean) {
    if (!json) this.buf.push(`${TABLE_HEAD}\n`);
  }

  batch(b: FlowBatch): void {
    for (let i = 0; i < b.length; i++) {
      const r = b.record(i);
      this.buf.push(this.json ? `${JSON.stringify(r)}\n` : `${row(r)}\n`);
      this.flows++;
    }
    if (this.buf.length >= 1000) this.flush();
  }

  flush(): void {
    if (this.buf.length) process.stdout.write(this.buf.join(''));
    this.buf = [];
  }
}

const COLS: [string, number][] = [
  ['Date first seen (UTC)', 23],
  ['Duration', 9],
  ['Proto', 6],
  ['Src IP Addr:Port', 40],
  ['Dst IP Addr:Port', 40],
  ['Flags', 8],
  ['Packets', 10],
  ['Bytes', 12],
  ['In', 6],
  ['Out', 6],
  ['Exporter', 16],
  ['Sampling', 8],
];

const TABLE_HEAD = COLS.map(([name, w]) => name.padEnd(w))
  .join(' ')
  .trimEnd();

function endpoint(addr: string, port: number): string {
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}

function row(r: FlowRecord): string {
  const cells = [
    new Date(r.flowStartMilliseconds).toISOString().replace('T', ' ').slice(0, 23),
    ((r.flowEndMilliseconds - r.flowStartMilliseconds) / 1000).toFixed(3),
    protocolName(r.protocolIdentifier),
    endpoint(r.sourceIPAddress, r.sourceTransportPort),
    endpoint(r.destinationIPAddress, r.destinationTransportPort),
    r.protocolIdentifier === 6 ? flagsText(r.tcpControlBits) : '',
    String(r.packetDeltaCount),
    String(r.octetDeltaCount),
    String(r.ingressInterface),
    String(r.egressInterface),
    r.exporterIPAddress,
    String(r.samplingInterval),
  ];
  return cells
    .map((c, k) => c.padEnd(COLS[k]![1]))
    .join(' ')
    .trimEnd();
}

export async function decodeFile(file: string, json: boolean): Promise<void> {
  const kind = await sniff(file);
  // A file is not a live flood: no records-per-second budget.
  const state = new DecoderState({ maxRecordsPerSecond: Number.POSITIVE_INFINITY });
  const printer = new Printer(json);
  const batch = new FlowBatch();
  let datagrams = 0;
  let errors = 0;
  const problem = (n: number, message: string) => {
    errors++;
    process.stderr.write(`packet ${n}: ${message}\n`);
  };
  const datagram = (n: number, source: AddrWords, payload: Uint8Array, timeMs: number) => {
    datagrams++;
    batch.clear();
    const r = decodeAny(state, source, payload, timeMs, batch);
    for (const e of r.errors) problem(n, e.message);
    printer.batch(batch);
  };
  const { reader, close } = await openChunks(file);
  try {
    if (kind === 'ipfix') {
      const report = await readIpfixFile(reader, (n, msg) => datagram(n, FILE_EXPORTER, msg, 0));
      for (const e of report.errors) problem(e.message, e.text);
    } else {
      const report = await readCapture(reader, (d) => datagram(d.packet, d.source, d.payload, d.timeMs));
      for (const e of report.errors) problem(e.packet, e.message);
    }
  } finally {
    await close();
  }
  const held = state.pendingStats().sets;
  if (held > 0) {
    errors++;
    process.stderr.write(`${held} data sets never got their template and were not decoded\n`);
  }
  printer.flush();
  if (!json) {
    process.stdout.write(
      `Summary: ${fmtNum(printer.flows)} flows from ${fmtNum(datagrams)} ${kind === 'ipfix' ? 'messages' : 'datagrams'}, ${fmtNum(errors)} errors\n`,
    );
  }
}
