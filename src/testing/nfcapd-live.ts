/**
 * @module Live export traffic for tests: run `nfcapd` on a loopback port and
 * send it packets we encoded ourselves (NetFlow v9, IPFIX), and write
 * packets to a pcap file so that `tshark` can dissect them.
 */

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freeUdpPort } from './nfcapd.js';

const execFileP = promisify(execFile);

export interface LiveNfcapd {
  port: number;
  /** Stops nfcapd (SIGTERM: it writes its file) and returns the file and what it logged. */
  stop(): Promise<{ file: string; log: string }>;
}

/** Starts nfcapd on 127.0.0.1 with a large socket buffer, waiting until it listens. */
export async function startNfcapd(dir: string): Promise<LiveNfcapd> {
  const port = await freeUdpPort();
  const p: ChildProcess = spawn(
    'nfcapd',
    ['-w', dir, '-b', '127.0.0.1', '-p', String(port), '-t', '3600', '-B', '4000000', '-v'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  p.stdout?.on('data', (d) => {
    log += d;
  });
  p.stderr?.on('data', (d) => {
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
    async stop() {
      await new Promise((r) => setTimeout(r, 300));
      p.kill('SIGTERM');
      const code = await exited;
      const files = (await readdir(dir)).filter((f) => /^nfcapd\.\d{12}$/.test(f));
      if (files.length !== 1) throw new Error(`nfcapd (exit ${code}) wrote ${files.length} files: ${log}`);
      return { file: join(dir, files[0]!), log };
    },
  };
}

/** Sends datagrams to a loopback port, at most `perMs` a millisecond so that the receiver keeps up. */
export async function sendPackets(port: number, packets: readonly Buffer[], perMs = 20): Promise<void> {
  const s = createSocket('udp4');
  try {
    for (let i = 0; i < packets.length; i++) {
      await new Promise<void>((res, rej) =>
        s.send(packets[i]!, port, '127.0.0.1', (e) => (e ? rej(e) : res())),
      );
      if (i % perMs === perMs - 1) await new Promise((r) => setTimeout(r, 1));
    }
  } finally {
    s.close();
  }
}

/**
 * Writes UDP payloads as a pcap file (LINKTYPE_RAW: IPv4 packets, no link
 * layer) from 192.0.2.1 to 127.0.0.1:port, one packet a millisecond apart.
 */
export async function writePcap(path: string, payloads: readonly Buffer[], port: number): Promise<void> {
  const parts: Buffer[] = [];
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(65535, 16);
  head.writeUInt32LE(101, 20);
  parts.push(head);
  payloads.forEach((p, n) => {
    const len = 28 + p.length;
    const rec = Buffer.alloc(16 + 28);
    rec.writeUInt32LE(1_700_000_000 + Math.floor(n / 1000), 0);
    rec.writeUInt32LE((n % 1000) * 1000, 4);
    rec.writeUInt32LE(len, 8);
    rec.writeUInt32LE(len, 12);
    const ip = 16;
    rec.writeUInt8(0x45, ip);
    rec.writeUInt16BE(len, ip + 2);
    rec.writeUInt16BE(n & 0xffff, ip + 4);
    rec.writeUInt8(64, ip + 8);
    rec.writeUInt8(17, ip + 9);
    rec.writeUInt32BE(0xc0000201, ip + 12);
    rec.writeUInt32BE(0x7f000001, ip + 16);
    let sum = 0;
    for (let k = 0; k < 20; k += 2) sum += rec.readUInt16BE(ip + k);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    rec.writeUInt16BE(~sum & 0xffff, ip + 10);
    rec.writeUInt16BE(40000, ip + 20);
    rec.writeUInt16BE(port, ip + 22);
    rec.writeUInt16BE(8 + p.length, ip + 24);
    parts.push(rec, p);
  });
  await writeFile(path, Buffer.concat(parts));
}

/** Runs tshark and returns its stdout. */
export async function tshark(args: readonly string[]): Promise<string> {
  const { stdout } = await execFileP('tshark', [...args], { maxBuffer: 512 * 1024 * 1024 });
  return stdout;
}
