/**
 * The same ICMP message looks the same whatever the exporter: destination
 * port type*256+code, source port 0 (src/flow/icmp.ts), from NetFlow v5,
 * NetFlow v9 ICMP_TYPE, IPFIX icmpTypeCodeIPv4/IPv6 and icmpType/CodeIPv4
 * (Cisco ASA), sFlow raw headers and IPFIX frame sections. tshark reads the
 * built v9/IPFIX datagrams' ICMP elements as the values the test means.
 */

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { AddrWords } from '../flow/address.js';
import { FlowBatch } from '../flow/batch.js';
import { icmpName, PROTO_ICMPV6 } from '../flow/icmp.js';
import { emptyRecord, type FlowRecord } from '../flow/record.js';
import {
  Bytes,
  ipfixMessage,
  layer,
  set,
  sflowDatagram,
  sflowFlowSample,
  sflowRawHeader,
  templates,
  tsharkJson,
  v9Packet,
  v9Templates,
  writePcap,
} from '../testing/datagrams.js';
import { requireTool, tempDir } from '../testing/helpers.js';
import { encodeNetflowV5 } from '../testing/nfcapd.js';
import { DecoderState, decodePacket, decodeSflow } from './index.js';

const EXPORTER: AddrWords = [0, 0, 0xffff, 0xc0000201];
const SECS = 1_700_000_000;
const SRC = '198.51.100.7';
const DST = '203.0.113.5';

function decodeNetflow(payload: Uint8Array): FlowRecord[] {
  const out = new FlowBatch();
  const r = decodePacket(new DecoderState(), EXPORTER, payload, 0, out);
  assert.deepEqual(r.errors, []);
  return out.records();
}

const ports = (r: FlowRecord) => [r.protocolIdentifier, r.sourceTransportPort, r.destinationTransportPort];

/** An IPv4 echo request (8/0) and a port unreachable (3/3), from every kind of export. */
function v4Exports(): Record<'v5' | 'v9' | 'asa' | 'psamp' | 'sflow', Uint8Array> {
  const v5 = encodeNetflowV5(
    [0x0800, 0x0303].map((dport) => ({
      ...emptyRecord(),
      sourceIPAddress: SRC,
      destinationIPAddress: DST,
      protocolIdentifier: 1,
      destinationTransportPort: dport,
      packetDeltaCount: 1,
      octetDeltaCount: 84,
      flowStartMilliseconds: SECS * 1000,
      flowEndMilliseconds: SECS * 1000,
    })),
  )[0]!;
  const v9 = v9Packet({ sysUptime: 1000, unixSecs: SECS }, [
    v9Templates([
      256,
      [
        [8, 4],
        [12, 4],
        [4, 1],
        [32, 2],
        [2, 4],
        [1, 4],
      ],
    ]),
    set(
      256,
      new Bytes()
        .addr(SRC)
        .addr(DST)
        .u8(1)
        .u16(0x0800)
        .u32(1)
        .u32(84)
        .addr(SRC)
        .addr(DST)
        .u8(1)
        .u16(0x0303)
        .u32(1)
        .u32(84)
        .build(),
      2,
    ),
  ]);
  // Cisco ASA: separate type and code elements, the ICMP identifier in the port fields.
  const asa = ipfixMessage({ exportSecs: SECS }, [
    templates([
      257,
      [
        [8, 4],
        [12, 4],
        [7, 2],
        [11, 2],
        [4, 1],
        [176, 1],
        [177, 1],
        [2, 8],
        [1, 8],
      ],
    ]),
    set(
      257,
      new Bytes()
        .addr(SRC)
        .addr(DST)
        .u16(0x1234)
        .u16(0)
        .u8(1)
        .u8(8)
        .u8(0)
        .u64(1)
        .u64(84)
        .addr(SRC)
        .addr(DST)
        .u16(0)
        .u16(0x1234)
        .u8(1)
        .u8(3)
        .u8(3)
        .u64(1)
        .u64(84)
        .build(),
    ),
  ]);
  const frames = [layer.icmp(8, 0, 56), layer.icmp(3, 3, 56)].map((m) =>
    layer.eth(0x0800, layer.ipv4(SRC, DST, 1, m)),
  );
  const section = new Bytes();
  for (const f of frames) section.u8(f.length).raw(f);
  const psamp = ipfixMessage({ exportSecs: SECS }, [
    templates([258, [[315, 65535]]]),
    set(258, section.build()),
  ]);
  const sflow = sflowDatagram(
    { agent: '192.0.2.1', seq: 1, uptime: 1 },
    frames.map((f, k) =>
      sflowFlowSample({
        seq: k,
        sourceIndex: 1,
        rate: 1,
        pool: 0,
        input: 1,
        output: 2,
        records: [sflowRawHeader(f)],
      }),
    ),
  );
  return { v5, v9, asa, psamp, sflow };
}

test('an ICMP echo request and port unreachable are stored alike from v5, v9, IPFIX, frame sections and sFlow', () => {
  for (const [kind, payload] of Object.entries(v4Exports())) {
    let records: FlowRecord[];
    if (kind === 'sflow') {
      const out = new FlowBatch();
      const r = decodeSflow(new DecoderState(), payload, 0, out);
      assert.deepEqual(r.errors, []);
      records = out.records();
    } else records = decodeNetflow(payload);
    assert.deepEqual(
      records.map(ports),
      [
        [1, 0, 2048],
        [1, 0, 0x0303],
      ],
      kind,
    );
    assert.deepEqual(
      records.map((r) => icmpName(r.destinationTransportPort)),
      ['echo-request', 'dest-unreachable/port'],
      kind,
    );
  }
});

test("tshark reads the built v9 and ASA datagrams' ICMP elements as echo request and port unreachable", async (t) => {
  if (!requireTool(t, 'tshark')) return;
  const { v9, asa } = v4Exports();
  const file = join(tempDir(t), 'icmp.pcap');
  writeFileSync(file, writePcap([{ payload: v9 }, { payload: asa }]));
  const json = JSON.stringify(await tsharkJson(file, ['-d', 'udp.port==2055,cflow']));
  const all = (k: string) =>
    [...json.matchAll(new RegExp(`"cflow\\.${k}":"([^"]+)"`, 'g'))].map((m) => Number(m[1]));
  assert.deepEqual(all('icmp_type_code_ipv4'), [0x0800, 0x0303]);
  assert.deepEqual(all('icmp_ipv4_type'), [8, 3]);
  assert.deepEqual(all('icmp_ipv4_code'), [0, 3]);
  // The ASA record carries the ICMP identifier in its ports; flowhunt keeps type/code instead.
  assert.deepEqual(all('srcport'), [0x1234, 0]);
});

test('ICMPv6 from icmpTypeCodeIPv6 (139) and from a frame section are alike (tshark reads 139 as type 128, code 0)', async (t) => {
  const s6 = '2001:db8::7';
  const d6 = '2001:db8:1::5';
  const fields = ipfixMessage({ exportSecs: SECS }, [
    templates([
      259,
      [
        [27, 16],
        [28, 16],
        [4, 1],
        [139, 2],
        [2, 8],
      ],
    ]),
    set(
      259,
      new Bytes()
        .addr(s6)
        .addr(d6)
        .u8(58)
        .u16(128 << 8)
        .u64(1)
        .build(),
    ),
  ]);
  const f = layer.eth(0x86dd, layer.ipv6(s6, d6, 58, layer.icmp(128, 0, 8)));
  const psamp = ipfixMessage({ exportSecs: SECS }, [
    templates([258, [[315, 65535]]]),
    set(258, new Bytes().u8(f.length).raw(f).build()),
  ]);
  for (const payload of [fields, psamp]) {
    const [r] = decodeNetflow(payload);
    assert.deepEqual(ports(r!), [58, 0, 128 << 8]);
    assert.equal(icmpName(r!.destinationTransportPort, PROTO_ICMPV6), 'echo-request');
  }
  if (!requireTool(t, 'tshark')) return;
  const file = join(tempDir(t), 'icmp6.pcap');
  writeFileSync(file, writePcap([{ payload: fields }]));
  const json = JSON.stringify(await tsharkJson(file, ['-d', 'udp.port==2055,cflow']));
  assert.match(json, /"cflow\.icmp_ipv6_type":"128"/);
  assert.match(json, /"cflow\.icmp_ipv6_code":"0"/);
});
