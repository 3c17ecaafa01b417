/**
 * Tunnels give one consistent 5-tuple (docs/exporters.md): a record with
 * outer IPv6 and inner IPv4 header fields is stored with the inner IPv4
 * hosts its ports and protocol belong to, the same flow its packet gives
 * when exported as a frame section; the protocol numbers of the outer
 * headers (4, 41) keep the outer tuple.
 */

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { AddrWords } from '../flow/address.js';
import { FlowBatch } from '../flow/batch.js';
import type { FlowRecord } from '../flow/record.js';
import { Bytes, ipfixMessage, layer, set, templates, tsharkJson, writePcap } from '../testing/datagrams.js';
import { requireTool, tempDir } from '../testing/helpers.js';
import { DecoderState, decodePacket } from './index.js';

const EXPORTER: AddrWords = [0, 0, 0xffff, 0xc0000201];
const SECS = 1_700_000_000;
const OUTER6 = ['2001:db8:aa::1', '2001:db8:bb::1'] as const;
const INNER4 = ['192.0.2.10', '198.51.100.20'] as const;

/** Template 256: IPv6 and IPv4 addresses both, ports, protocol, packets, octets. */
function bothFamilies(
  recs: readonly {
    v6: readonly [string, string];
    v4: readonly [string, string];
    proto: number;
    ports: [number, number];
  }[],
): Uint8Array {
  const b = new Bytes();
  for (const r of recs)
    b.addr(r.v6[0])
      .addr(r.v6[1])
      .addr(r.v4[0])
      .addr(r.v4[1])
      .u16(r.ports[0])
      .u16(r.ports[1])
      .u8(r.proto)
      .u64(3)
      .u64(300);
  return ipfixMessage({ exportSecs: SECS }, [
    templates([
      256,
      [
        [27, 16],
        [28, 16],
        [8, 4],
        [12, 4],
        [7, 2],
        [11, 2],
        [4, 1],
        [2, 8],
        [1, 8],
      ],
    ]),
    set(256, b.build()),
  ]);
}

function decode(msg: Uint8Array): FlowRecord[] {
  const out = new FlowBatch();
  const r = decodePacket(new DecoderState(), EXPORTER, msg, 0, out);
  assert.deepEqual(r.errors, []);
  return out.records();
}

const tuple = (r: FlowRecord) => [
  r.sourceIPAddress,
  r.destinationIPAddress,
  r.sourceTransportPort,
  r.destinationTransportPort,
  r.protocolIdentifier,
];

test('outer IPv6 with inner IPv4 fields is stored as the inner IPv4 5-tuple, as its frame section is', async (t) => {
  const msg = bothFamilies([{ v6: OUTER6, v4: INNER4, proto: 6, ports: [40001, 80] }]);
  const [r] = decode(msg);
  assert.deepEqual(tuple(r!), [INNER4[0], INNER4[1], 40001, 80, 6]);

  const frame = layer.eth(
    0x86dd,
    layer.ipv6(OUTER6[0], OUTER6[1], 4, layer.ipv4(INNER4[0], INNER4[1], 6, layer.tcp(40001, 80, 0x18, 10))),
  );
  const psamp = ipfixMessage({ exportSecs: SECS }, [
    templates([258, [[315, 65535]]]),
    set(258, new Bytes().u8(frame.length).raw(frame).build()),
  ]);
  assert.deepEqual(tuple(decode(psamp)[0]!), tuple(r!));

  if (!requireTool(t, 'tshark')) return;
  const file = join(tempDir(t), 'tunnel.pcap');
  writeFileSync(file, writePcap([{ payload: msg }]));
  const json = JSON.stringify(await tsharkJson(file, ['-d', 'udp.port==2055,cflow']));
  const one = (k: string) => new RegExp(`"cflow\\.${k}":"([^"]+)"`).exec(json)?.[1];
  // tshark reads both headers' fields; flowhunt keeps the IPv4 pair with tshark's ports and protocol.
  assert.deepEqual(
    [one('srcaddrv6'), one('dstaddrv6'), one('srcaddr'), one('dstaddr')],
    [...OUTER6, ...INNER4],
  );
  assert.deepEqual(
    [
      r!.sourceIPAddress,
      r!.destinationIPAddress,
      r!.sourceTransportPort,
      r!.destinationTransportPort,
      r!.protocolIdentifier,
    ],
    [one('srcaddr'), one('dstaddr'), Number(one('srcport')), Number(one('dstport')), Number(one('protocol'))],
  );
});

test("the outer headers' own protocols keep the outer tuple: 4 (IPv4 inside IPv6), 41 (IPv6 inside IPv4); ICMPv6 is IPv6", () => {
  const recs = decode(
    bothFamilies([
      { v6: OUTER6, v4: INNER4, proto: 4, ports: [0, 0] },
      { v6: OUTER6, v4: INNER4, proto: 41, ports: [0, 0] },
      { v6: OUTER6, v4: INNER4, proto: 17, ports: [5353, 53] },
    ]),
  );
  assert.deepEqual(recs.map(tuple), [
    [OUTER6[0], OUTER6[1], 0, 0, 4],
    [INNER4[0], INNER4[1], 0, 0, 41],
    [INNER4[0], INNER4[1], 5353, 53, 17],
  ]);
});

test('one family zeroed beside the other (Cisco ASA templates) is not a tunnel', () => {
  const recs = decode(
    bothFamilies([
      { v6: ['::', '::'], v4: INNER4, proto: 6, ports: [1, 2] },
      { v6: OUTER6, v4: ['0.0.0.0', '0.0.0.0'], proto: 6, ports: [3, 4] },
    ]),
  );
  assert.deepEqual(recs.map(tuple), [
    [INNER4[0], INNER4[1], 1, 2, 6],
    [OUTER6[0], OUTER6[1], 3, 4, 6],
  ]);
});

test('IPv6 inside IPv4 (6in4) as a frame section gives the inner IPv6 5-tuple, counted at its outer length', () => {
  const inner = layer.ipv6('2001:db8::7', '2001:db8:1::5', 17, layer.udp(5353, 53, 40));
  const outer = layer.ipv4('192.0.2.1', '192.0.2.2', 41, inner);
  const frame = layer.eth(0x0800, outer);
  const [r] = decode(
    ipfixMessage({ exportSecs: SECS }, [
      templates([258, [[315, 65535]]]),
      set(258, new Bytes().u8(frame.length).raw(frame).build()),
    ]),
  );
  assert.deepEqual(tuple(r!), ['2001:db8::7', '2001:db8:1::5', 5353, 53, 17]);
  assert.equal(r!.octetDeltaCount, outer.length);
  assert.equal(r!.packetDeltaCount, 1);
});
