import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { formatAddress } from '../flow/address.js';
import type { FlowBatch } from '../flow/batch.js';
import { Bytes, frame, writePcap } from '../testing/datagrams.js';
import { fixture, requireTool, tempDir } from '../testing/helpers.js';
import { ChunkReader, captureFormat, type Datagram, pcapFormat, readCapture } from './pcap.js';

const vendor = (name: string) => fixture(import.meta.url, `../../decode/testdata/${name}`);

async function datagrams(bytes: Uint8Array) {
  const got: Datagram[] = [];
  const report = await readCapture(ChunkReader.fromBytes(bytes), (d) => {
    got.push(d);
  });
  return { got, report };
}

/** A classic pcap of raw frames with the given link type. */
function pcapOf(link: number, frames: Uint8Array[]): Uint8Array {
  const b = Buffer.alloc(24);
  b.writeUInt32LE(0xa1b2c3d4, 0);
  b.writeUInt16LE(2, 4);
  b.writeUInt16LE(4, 6);
  b.writeUInt32LE(65535, 16);
  b.writeUInt32LE(link, 20);
  const parts: Buffer[] = [b];
  frames.forEach((f, k) => {
    const h = Buffer.alloc(16);
    h.writeUInt32LE(1_700_000_000 + k, 0);
    h.writeUInt32LE(250_000, 4);
    h.writeUInt32LE(f.length, 8);
    h.writeUInt32LE(f.length, 12);
    parts.push(h, Buffer.from(f));
  });
  return Buffer.concat(parts);
}

const ipOf = (f: Uint8Array) => f.subarray(14);
const udpFrame = (src: string, dst: string, vlan?: number) =>
  frame({
    src,
    dst,
    proto: 17,
    sport: 9995,
    dport: 2055,
    payload: 12,
    ...(vlan === undefined ? {} : { vlan }),
  });

test('a pcap of Ethernet frames yields each UDP datagram with its source, ports, time and payload', async () => {
  const { got, report } = await datagrams(readFileSync(vendor('netflow9_test_cisco_asa_1.pcap')));
  assert.deepEqual([report.format, report.packets, report.skipped, report.errors], ['pcap', 2, 0, []]);
  assert.deepEqual(
    got.map((d) => [d.packet, formatAddress(d.source), d.sourcePort, d.destinationPort, d.payload.length]),
    [
      [1, '192.0.2.1', 40000, 2055, 1012],
      [2, '192.0.2.1', 40000, 2055, 1452],
    ],
  );
  assert.equal(got[1]!.timeMs, got[0]!.timeMs + 1000);
});

test('IPv6 and VLAN-tagged frames, Linux cooked (SLL, SLL2), raw IP and loopback captures', async () => {
  const v4 = udpFrame('10.0.0.1', '10.0.0.2', 7);
  const v6 = udpFrame('2001:db8::1', '2001:db8::2');
  const sll = (f: Uint8Array) =>
    new Bytes().u16(0).u16(1).u16(6).raw(new Array(8).fill(0)).u16(0x0800).raw(ipOf(f)).build();
  const sll2 = (f: Uint8Array, type: number) =>
    new Bytes().u16(type).u16(0).u32(1).u16(1).u8(0).u8(6).raw(new Array(8).fill(0)).raw(f).build();
  const plain4 = udpFrame('10.0.0.1', '10.0.0.2');
  const cases: [number, Uint8Array[]][] = [
    [1, [v4, v6]],
    [113, [sll(plain4)]],
    [276, [sll2(ipOf(plain4), 0x0800), sll2(ipOf(v6), 0x86dd)]],
    [101, [ipOf(plain4), ipOf(v6)]],
    [0, [new Bytes().raw([2, 0, 0, 0]).raw(ipOf(plain4)).build()]],
  ];
  for (const [link, frames] of cases) {
    const { got, report } = await datagrams(pcapOf(link, frames));
    assert.deepEqual(report.errors, [], `link ${link}`);
    assert.equal(got.length, frames.length, `link ${link}`);
    for (const d of got) {
      assert.ok(['10.0.0.1', '2001:db8::1'].includes(formatAddress(d.source)), `link ${link}`);
      assert.deepEqual([d.sourcePort, d.destinationPort, d.payload.length], [9995, 2055, 12]);
    }
  }
});

test('pcapng (as editcap writes it) reads the same datagrams as the pcap', async (t) => {
  if (!requireTool(t, 'editcap')) return;
  const out = join(tempDir(t), 'x.pcapng');
  execFileSync('editcap', ['-F', 'pcapng', vendor('ipfix_test_mikrotik.pcap'), out]);
  const ng = await datagrams(readFileSync(out));
  const classic = await datagrams(readFileSync(vendor('ipfix_test_mikrotik.pcap')));
  assert.equal(ng.report.format, 'pcapng');
  assert.deepEqual(ng.report.errors, []);
  assert.equal(ng.got.length, 3);
  assert.deepEqual(
    ng.got.map((d) => [d.timeMs, Buffer.from(d.payload).toString('hex')]),
    classic.got.map((d) => [d.timeMs, Buffer.from(d.payload).toString('hex')]),
  );
});

test('a truncated capture yields the packets before the cut and one counted error', async () => {
  const whole = readFileSync(vendor('netflow9_test_cisco_asa_2.pcap'));
  const { got, report } = await datagrams(whole.subarray(0, whole.length - 100));
  assert.equal(got.length, 2);
  assert.deepEqual(report.errors, [{ packet: 3, message: 'file ends inside a packet (truncated capture)' }]);
  const corrupt = Buffer.from(whole);
  corrupt.writeUInt32LE(0x7fffffff, 24 + 8);
  assert.match((await datagrams(corrupt)).report.errors[0]!.message, /not plausible/);
});

test('fragments are counted and skipped; non-UDP packets are skipped', async () => {
  const frag = Uint8Array.from(udpFrame('10.0.0.1', '10.0.0.2'));
  frag[14 + 6] = 0x20; // more fragments
  const tcp = frame({ src: '10.0.0.1', dst: '10.0.0.2', proto: 6, sport: 1, dport: 2 });
  const { got, report } = await datagrams(pcapOf(1, [frag, tcp, udpFrame('10.0.0.1', '10.0.0.2')]));
  assert.equal(got.length, 1);
  assert.equal(report.skipped, 2);
  assert.deepEqual(
    report.errors.map((e) => e.packet),
    [1],
  );
});

test('captureFormat tells pcap, pcapng and anything else apart', () => {
  assert.equal(captureFormat(writePcap([])), 'pcap');
  assert.equal(captureFormat(Uint8Array.of(0x0a, 0x0d, 0x0d, 0x0a)), 'pcapng');
  assert.equal(captureFormat(Buffer.from('srcaddr,dstaddr')), undefined);
});

test('the pcap import format decodes every datagram into batches and rejects what it cannot read', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'mixed.pcap');
  const whole = readFileSync(vendor('ipfix_test_mikrotik.pcap'));
  writeFileSync(file, whole.subarray(0, whole.length - 10));
  let flows = 0;
  const rejects: [number, string][] = [];
  await pcapFormat.read(file, {
    batch: (b: FlowBatch) => {
      flows += b.length;
    },
    reject: (where, message) => rejects.push([where, message]),
  });
  assert.equal(flows, 28, 'the second data packet is cut off');
  assert.deepEqual(rejects, [[3, 'file ends inside a packet (truncated capture)']]);
});
