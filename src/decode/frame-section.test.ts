/**
 * Captured packet headers through the one header parser (packet-header.ts):
 * IPFIX dataLinkFrameSection / ipHeaderPacketSection / mplsPayloadPacketSection
 * records and sFlow raw headers of the same frames give the same flow, and
 * that flow is what tshark dissects in the frame (innermost IP header for
 * tunnels, ICMP as type*256+code). No real capture of these record kinds is
 * under a licence the project can ship, so the frames are built here and
 * tshark is the reference.
 */

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { FlowBatch } from '../flow/batch.js';
import type { FlowRecord } from '../flow/record.js';
import {
  Bytes,
  framesPcap,
  ipfixMessage,
  layer,
  optionsTemplate,
  set,
  sflowDatagram,
  sflowFlowSample,
  sflowRawHeader,
  templates,
  tsharkJson,
  writePcap,
} from '../testing/datagrams.js';
import { requireTool, tempDir } from '../testing/helpers.js';
import { DecoderState, decodePacket, decodeSflow } from './index.js';

const EXPORTER = [0, 0, 0xffff, 0xc0000201] as const; // 192.0.2.1
const EXPORT_S = 1_700_000_000;
const OBS_MS = EXPORT_S * 1000 - 250;
const RATE = 100;

interface Case {
  name: string;
  frame: Uint8Array;
  /** The frame from its (outermost) IP header on. */
  ip: Uint8Array;
  /** The IP packet follows an MPLS label stack. */
  mpls?: boolean;
}

function ethIp(ip: Uint8Array, vlans: number[] = []): Case['frame'] {
  return layer.eth(ip[0]! >> 4 === 6 ? 0x86dd : 0x0800, ip, vlans);
}

const CASES: Case[] = (() => {
  const v4tcp = layer.ipv4('198.51.100.7', '203.0.113.5', 6, layer.tcp(51000, 443, 0x02, 100), 0x28);
  const v6udp = layer.ipv6('2001:db8::7', '2001:db8:1::5', 17, layer.udp(5353, 53, 40), 0xb8);
  const echo = layer.ipv4('198.51.100.7', '203.0.113.5', 1, layer.icmp(8, 0, 56));
  const unreach6 = layer.ipv6('2001:db8::7', '2001:db8:1::5', 58, layer.icmp(1, 4, 48));
  const inner4 = layer.ipv4('192.0.2.10', '198.51.100.20', 6, layer.tcp(40001, 80, 0x18, 10));
  const fourIn6 = layer.ipv6('2001:db8:aa::1', '2001:db8:bb::1', 4, inner4);
  const greUdp = layer.ipv4(
    '192.0.2.1',
    '192.0.2.2',
    47,
    layer.gre(0x0800, layer.ipv4('10.1.1.1', '10.2.2.2', 17, layer.udp(1234, 4321, 20)), 7),
  );
  return [
    { name: 'VLAN, IPv4, TCP SYN', frame: ethIp(v4tcp, [100]), ip: v4tcp },
    {
      name: 'MPLS, IPv6, UDP',
      frame: layer.eth(0x8847, layer.mpls([16001, 24005], v6udp)),
      ip: v6udp,
      mpls: true,
    },
    { name: 'IPv4 ICMP echo request', frame: ethIp(echo), ip: echo },
    { name: 'ICMPv6 port unreachable', frame: ethIp(unreach6), ip: unreach6 },
    { name: 'IPv4 in IPv6 (4in6), TCP', frame: ethIp(fourIn6), ip: fourIn6 },
    { name: 'GRE with a key, IPv4, UDP', frame: ethIp(greUdp), ip: greUdp },
  ];
})();

type O = Record<string, unknown>;
const last = (v: unknown): O => (Array.isArray(v) ? v[v.length - 1] : v) as O;
const firstOf = (v: unknown): O => (Array.isArray(v) ? v[0] : v) as O;

/**
 * What tshark dissects in a frame (its layers in order; a repeated layer is
 * one key holding an array), as the flow flowhunt should store for one
 * sampled packet.
 */
function fromTshark(layers: O): Partial<FlowRecord> {
  const protos = Object.keys(layers);
  const innermost = protos.filter((p) => p === 'ip' || p === 'ipv6').pop();
  const outermost = protos.find((p) => p === 'ip' || p === 'ipv6');
  const ip = last(layers[innermost!]);
  const outer = firstOf(layers[outermost!]);
  const v6 = innermost === 'ipv6';
  const proto = Number(v6 ? ip['ipv6.nxt'] : ip['ip.proto']);
  const wire = outermost === 'ipv6' ? Number(outer['ipv6.plen']) + 40 : Number(outer['ip.len']);
  let sport = 0;
  let dport = 0;
  let flags = 0;
  if (layers['tcp']) {
    const l4 = layers['tcp'] as O;
    sport = Number(l4['tcp.srcport']);
    dport = Number(l4['tcp.dstport']);
    flags = Number(l4['tcp.flags']);
  } else if (layers['udp']) {
    const l4 = last(layers['udp']);
    sport = Number(l4['udp.srcport']);
    dport = Number(l4['udp.dstport']);
  } else {
    const icmp = (layers['icmp'] ?? layers['icmpv6']) as O;
    const k = layers['icmp'] ? 'icmp' : 'icmpv6';
    dport = Number(icmp[`${k}.type`]) * 256 + Number(icmp[`${k}.code`]);
  }
  return {
    sourceIPAddress: String(v6 ? ip['ipv6.src'] : ip['ip.src']),
    destinationIPAddress: String(v6 ? ip['ipv6.dst'] : ip['ip.dst']),
    protocolIdentifier: proto,
    ipClassOfService: Number(v6 ? ip['ipv6.tclass'] : ip['ip.dsfield']),
    sourceTransportPort: sport,
    destinationTransportPort: dport,
    tcpControlBits: flags,
    packetDeltaCount: RATE,
    octetDeltaCount: wire * RATE,
    samplingInterval: RATE,
  };
}

function varlen(b: Bytes, bytes: Uint8Array): Bytes {
  if (bytes.length < 255) b.u8(bytes.length);
  else b.u8(255).u16(bytes.length);
  return b.raw(bytes);
}

/** Selector 1 samples 1 packet in 100 (samplingPacketInterval 1, samplingPacketSpace 99). */
const SAMPLER = [
  optionsTemplate(
    300,
    [[302, 8]],
    [
      [305, 4],
      [306, 4],
    ],
  ),
  set(
    300,
    new Bytes()
      .u64(1)
      .u32(1)
      .u32(RATE - 1)
      .build(),
  ),
];

/** An IPFIX message of PSAMP-style records: selectorId, observationTimeMilliseconds, one section element. */
function sectionMessage(ie: number, sections: readonly Uint8Array[]): Uint8Array {
  const data = new Bytes();
  for (const s of sections) varlen(data.u64(1).u64(OBS_MS), s);
  return ipfixMessage({ exportSecs: EXPORT_S, domain: 3 }, [
    ...SAMPLER,
    templates([
      400,
      [
        [302, 8],
        [323, 8],
        [ie, 65535],
      ],
    ]),
    set(400, data.build()),
  ]);
}

function sflowMessage(frames: readonly Uint8Array[]): Uint8Array {
  return sflowDatagram(
    { agent: '192.0.2.1', seq: 1, uptime: 1000 },
    frames.map((f, k) =>
      sflowFlowSample({
        seq: k + 1,
        sourceIndex: 3,
        rate: RATE,
        pool: 1000,
        input: 3,
        output: 4,
        records: [sflowRawHeader(f)],
      }),
    ),
  );
}

function decodeIpfix(msg: Uint8Array, state = new DecoderState()) {
  const out = new FlowBatch();
  const r = decodePacket(state, EXPORTER, msg, 0, out);
  return { records: out.records(), errors: r.errors, state };
}

const PICK: (keyof FlowRecord)[] = [
  'sourceIPAddress',
  'destinationIPAddress',
  'protocolIdentifier',
  'ipClassOfService',
  'sourceTransportPort',
  'destinationTransportPort',
  'tcpControlBits',
  'packetDeltaCount',
  'octetDeltaCount',
  'samplingInterval',
];
const pick = (r: FlowRecord) => Object.fromEntries(PICK.map((k) => [k, r[k]]));

async function tsharkFlows(t: TestContext): Promise<Partial<FlowRecord>[]> {
  const file = join(tempDir(t), 'frames.pcap');
  writeFileSync(file, framesPcap(CASES.map((c) => c.frame)));
  return (await tsharkJson(file)).map(fromTshark);
}

test('dataLinkFrameSection records equal tshark dissecting the same frames (VLAN, MPLS, ICMP, 4in6, GRE)', async (t) => {
  if (!requireTool(t, 'tshark')) return;
  const want = await tsharkFlows(t);
  const { records, errors } = decodeIpfix(
    sectionMessage(
      315,
      CASES.map((c) => c.frame),
    ),
  );
  assert.deepEqual(errors, []);
  assert.equal(records.length, CASES.length);
  records.forEach((r, k) => {
    assert.deepEqual(pick(r), want[k], CASES[k]!.name);
    assert.equal(r.flowStartMilliseconds, OBS_MS);
    assert.equal(r.flowEndMilliseconds, OBS_MS);
  });
});

/** Every value under `key` anywhere in tshark's JSON, in document order. */
function collect(v: unknown, key: string, into: unknown[] = []): unknown[] {
  if (Array.isArray(v)) for (const x of v) collect(x, key, into);
  else if (v && typeof v === 'object')
    for (const [k, x] of Object.entries(v)) {
      if (k === key) into.push(x);
      else collect(x, key, into);
    }
  return into;
}

test("each frame-section record equals tshark's dissection of the IPFIX message itself", async (t) => {
  if (!requireTool(t, 'tshark')) return;
  const file = join(tempDir(t), 'ipfix.pcap');
  const msg = sectionMessage(
    315,
    CASES.map((c) => c.frame),
  );
  writeFileSync(file, writePcap([{ payload: msg }]));
  const packets = await tsharkJson(file, ['-d', 'udp.port==2055,cflow']);
  // The sampler's option values as tshark reads them: 1 taken, 99 skipped.
  assert.deepEqual(collect(packets, 'cflow.sampling_packet_interval'), ['1']);
  assert.deepEqual(collect(packets, 'cflow.sampling_packet_space'), [String(RATE - 1)]);
  const want = collect(packets, 'cflow.data_link_frame_section_tree').map((tree) => fromTshark(tree as O));
  assert.equal(want.length, CASES.length);
  const { records } = decodeIpfix(msg);
  assert.deepEqual(records.map(pick), want);
});

test('ipHeaderPacketSection, mplsPayloadPacketSection and sFlow raw headers give the same flows', async (t) => {
  if (!requireTool(t, 'tshark')) return;
  const want = await tsharkFlows(t);
  const ipOnly = decodeIpfix(
    sectionMessage(
      313,
      CASES.filter((c) => !c.mpls).map((c) => c.ip),
    ),
  );
  assert.deepEqual(ipOnly.errors, []);
  assert.deepEqual(
    ipOnly.records.map(pick),
    want.filter((_, k) => !CASES[k]!.mpls),
  );
  const mplsPayload = decodeIpfix(
    sectionMessage(
      317,
      CASES.filter((c) => c.mpls).map((c) => c.ip),
    ),
  );
  assert.deepEqual(
    mplsPayload.records.map(pick),
    want.filter((_, k) => CASES[k]!.mpls),
  );
  const out = new FlowBatch();
  const r = decodeSflow(new DecoderState(), sflowMessage(CASES.map((c) => c.frame)), 0, out);
  assert.deepEqual(r.errors, []);
  assert.deepEqual(out.records().map(pick), want);
});

test("a record's own fields win over its frame section; the section fills the rest", () => {
  const frame = CASES[0]!.frame;
  const data = varlen(new Bytes().addr('10.0.0.1').u64(5).u64(4000), frame).build();
  const msg = ipfixMessage({ exportSecs: EXPORT_S }, [
    templates([
      401,
      [
        [8, 4],
        [2, 8],
        [1, 8],
        [315, 65535],
      ],
    ]),
    set(401, data),
  ]);
  const { records, errors } = decodeIpfix(msg);
  assert.deepEqual(errors, []);
  assert.equal(records.length, 1);
  const r = records[0]!;
  assert.deepEqual(
    [r.sourceIPAddress, r.destinationIPAddress, r.packetDeltaCount, r.octetDeltaCount],
    ['10.0.0.1', '0.0.0.0', 5, 4000],
  );
  assert.deepEqual(
    [r.sourceTransportPort, r.destinationTransportPort, r.protocolIdentifier],
    [51000, 443, 6],
  );
});

test('a truncated frame section is a counted bad-header error and stores nothing; a non-IP frame is a counted drop', () => {
  const cut = CASES[0]!.frame.subarray(0, 14 + 4 + 10); // inside the IPv4 header
  const arp = layer.eth(0x0806, new Uint8Array(28));
  const cutMpls = CASES[1]!.frame.subarray(0, 14 + 2); // inside the label stack
  const { records, errors, state } = decodeIpfix(sectionMessage(315, [cut, arp, cutMpls]));
  assert.equal(records.length, 0);
  assert.deepEqual(
    errors.map((e) => e.code),
    ['bad-header', 'bad-header'],
  );
  assert.equal(state.errorCounts['bad-header'], 2);
  assert.equal(state.dropCounts['not-ip'], 1);

  const sstate = new DecoderState();
  const out = new FlowBatch();
  const r = decodeSflow(sstate, sflowMessage([cut, arp]), 0, out);
  assert.equal(out.length, 0);
  assert.deepEqual(
    r.errors.map((e) => e.code),
    ['bad-header'],
  );
  assert.equal(sstate.dropCounts['not-ip'], 1);
});

test('a template of frame sections only is a flow template, not junk', () => {
  const { state } = decodeIpfix(sectionMessage(315, [CASES[0]!.frame]));
  assert.equal(state.records, 1);
  assert.equal(state.dropCounts['not-flows'], 0);
});
