/**
 * @module Builds pcap files of real-looking IP traffic for tests: the input
 * that a real exporter (softflowd) turns into flow exports, and a wrapper
 * for export payloads so tshark can decode them.
 */

import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { parseAddress } from '../flow/address.js';

const execFileP = promisify(execFile);

export interface PcapPacket {
  /** Capture time, ms since the epoch. */
  ms: number;
  /** The frame, starting at the Ethernet header. */
  frame: Buffer;
}

/** Writes a classic pcap (microsecond timestamps, LINKTYPE_ETHERNET). */
export function writePcap(path: string, packets: readonly PcapPacket[]): void {
  writeFileSync(path, pcapBytes(packets));
}

/** A classic pcap (microsecond timestamps, LINKTYPE_ETHERNET) in memory. */
export function pcapBytes(packets: readonly PcapPacket[]): Buffer {
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(262144, 16);
  head.writeUInt32LE(1, 20);
  const parts: Buffer[] = [head];
  for (const p of packets) {
    const h = Buffer.alloc(16);
    h.writeUInt32LE(Math.floor(p.ms / 1000), 0);
    h.writeUInt32LE(Math.round((p.ms % 1000) * 1000), 4);
    h.writeUInt32LE(p.frame.length, 8);
    h.writeUInt32LE(p.frame.length, 12);
    parts.push(h, p.frame);
  }
  return Buffer.concat(parts);
}

/** Runs tshark and returns its stdout. */
export async function tshark(args: readonly string[]): Promise<string> {
  const { stdout } = await execFileP('tshark', [...args], { maxBuffer: 512 * 1024 * 1024 });
  return stdout;
}

function checksum(b: Buffer): number {
  let s = 0;
  for (let i = 0; i + 1 < b.length; i += 2) s += b.readUInt16BE(i);
  if (b.length % 2) s += b[b.length - 1]! << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

function addrBytes(text: string): Buffer {
  const w = parseAddress(text);
  if (!w) throw new Error(`bad address ${text}`);
  const b = Buffer.alloc(16);
  for (let i = 0; i < 4; i++) b.writeUInt32BE(w[i]!, i * 4);
  return b;
}

export interface L4 {
  src: string;
  dst: string;
  sport: number;
  dport: number;
  proto: 6 | 17;
  /** TCP flags byte. */
  flags?: number;
  payload?: Buffer;
}

/** An Ethernet frame carrying an IPv4 or IPv6 packet with a TCP (20-byte header) or UDP segment. */
export function ipFrame(p: L4): Buffer {
  const payload = p.payload ?? Buffer.alloc(0);
  let l4: Buffer;
  if (p.proto === 6) {
    l4 = Buffer.alloc(20 + payload.length);
    l4.writeUInt16BE(p.sport, 0);
    l4.writeUInt16BE(p.dport, 2);
    l4.writeUInt32BE(1, 4);
    l4[12] = 5 << 4;
    l4[13] = p.flags ?? 0x18;
    l4.writeUInt16BE(65535, 14);
    payload.copy(l4, 20);
  } else {
    l4 = Buffer.alloc(8 + payload.length);
    l4.writeUInt16BE(p.sport, 0);
    l4.writeUInt16BE(p.dport, 2);
    l4.writeUInt16BE(l4.length, 4);
    payload.copy(l4, 8);
  }
  const v6 = p.src.includes(':');
  let ip: Buffer;
  if (!v6) {
    ip = Buffer.alloc(20);
    ip[0] = 0x45;
    ip.writeUInt16BE(20 + l4.length, 2);
    ip[8] = 64;
    ip[9] = p.proto;
    addrBytes(p.src).copy(ip, 12, 12, 16);
    addrBytes(p.dst).copy(ip, 16, 12, 16);
    ip.writeUInt16BE(checksum(ip), 10);
  } else {
    ip = Buffer.alloc(40);
    ip[0] = 0x60;
    ip.writeUInt16BE(l4.length, 4);
    ip[6] = p.proto;
    ip[7] = 64;
    addrBytes(p.src).copy(ip, 8);
    addrBytes(p.dst).copy(ip, 24);
  }
  const eth = Buffer.alloc(14);
  eth.writeUInt32BE(0x02000000, 0);
  eth.writeUInt16BE(0x0001, 4);
  eth.writeUInt32BE(0x02000000, 6);
  eth.writeUInt16BE(0x0002, 10);
  eth.writeUInt16BE(v6 ? 0x86dd : 0x0800, 12);
  return Buffer.concat([eth, ip, l4]);
}

/** A UDP datagram from 192.0.2.1:40000 to 192.0.2.2:PORT carrying `payload` (e.g. a flow export). */
export function udpFrame(payload: Buffer, dport = 2055, src = '192.0.2.1', dst = '192.0.2.2'): Buffer {
  return ipFrame({ src, dst, sport: 40000, dport, proto: 17, payload });
}
