/**
 * Sampling (docs/exporters.md): every way an exporter states its rate
 * scales the stored counters by it, per exporter, domain and sampler; a
 * sampled export's totals equal the reference collector's; bogus rates are
 * counted errors, never a scale.
 */

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { AddrWords } from '../flow/address.js';
import { FlowBatch } from '../flow/batch.js';
import {
  Bytes,
  ipfixMessage,
  optionsTemplate,
  readPcapPayloads,
  type Spec,
  set,
  sflowDatagram,
  sflowFlowSample,
  sflowRawHeader,
  templates,
  tsharkJson,
  frame as udpTcpFrame,
  writePcap,
} from '../testing/datagrams.js';
import { fixture, requireTool, tempDir } from '../testing/helpers.js';
import { captureWithNfcapd, nfdumpInfo } from '../testing/nfcapd.js';
import { DecoderState, decodePacket, decodeSflow } from './index.js';

const A: AddrWords = [0, 0, 0xffff, 0xc0000201]; // 192.0.2.1
const B: AddrWords = [0, 0, 0xffff, 0xc0000202]; // 192.0.2.2
const EXPORT_S = 1_700_000_000;

/** Data template 256: selectorId (8 bytes), source address, packets, octets. */
const DATA_TEMPLATE = templates([
  256,
  [
    [302, 8],
    [8, 4],
    [2, 8],
    [1, 8],
  ],
]);

function data(
  ...recs: (readonly [selector: number, src: string, packets: number, octets: number])[]
): Uint8Array {
  const b = new Bytes();
  for (const [sel, src, p, o] of recs) b.u64(sel).addr(src).u64(p).u64(o);
  return set(256, b.build());
}

/** An options template 300 scoped by selectorId, with the given option fields, and one record of it. */
function options(fields: readonly Spec[], values: (b: Bytes) => Bytes, selector = 1): Uint8Array[] {
  return [optionsTemplate(300, [[302, 8]], fields), set(300, values(new Bytes().u64(selector)).build())];
}

function decode(msgs: readonly (readonly [AddrWords, Uint8Array])[], state = new DecoderState()) {
  const out = new FlowBatch();
  const errors = msgs.flatMap(([ex, m]) => decodePacket(state, ex, m, 0, out).errors);
  return { records: out.records(), errors, state };
}

const msg = (sets: Uint8Array[], domain = 0) => ipfixMessage({ exportSecs: EXPORT_S, domain }, sets);

test('Cisco IOS-XR: samplingPopulation 256, samplingSize 1 beside samplingPacketInterval 1 is 1 in 256 (tshark reads those values)', async (t) => {
  const opt = options(
    [
      [304, 2],
      [305, 4],
      [310, 4],
      [309, 4],
    ],
    (b) => b.u16(3).u32(1).u32(256).u32(1),
  );
  const m = msg([...opt, DATA_TEMPLATE, data([1, '198.51.100.1', 1, 72])]);
  const { records, errors } = decode([[A, m]]);
  assert.deepEqual(errors, []);
  assert.deepEqual(
    records.map((r) => [r.samplingInterval, r.packetDeltaCount, r.octetDeltaCount]),
    [[256, 256, 18_432]],
  );
  if (!requireTool(t, 'tshark')) return;
  const file = join(tempDir(t), 'iosxr.pcap');
  writeFileSync(file, writePcap([{ payload: m }]));
  const json = JSON.stringify(await tsharkJson(file, ['-d', 'udp.port==2055,cflow']));
  const value = (k: string) => Number(new RegExp(`"cflow\\.${k}":"(\\d+)"`).exec(json)?.[1]);
  assert.equal(value('sampling_population'), 256);
  assert.equal(value('sampling_size'), 1);
  assert.equal(value('sampling_packet_interval'), 1);
  const scale = value('sampling_population') / value('sampling_size');
  assert.equal(records[0]!.packetDeltaCount, value('packets') * scale);
  assert.equal(records[0]!.octetDeltaCount, value('octets') * scale);
});

test('every way of stating a rate (RFC 7012 / RFC 5477) gives its 1 in N', () => {
  const cases: [string, Spec[], (b: Bytes) => Bytes, number][] = [
    ['samplingInterval 512', [[34, 4]], (b) => b.u32(512), 512],
    ['samplerRandomInterval 1000', [[50, 4]], (b) => b.u32(1000), 1000],
    [
      'packet interval 1, space 99',
      [
        [305, 4],
        [306, 4],
      ],
      (b) => b.u32(1).u32(99),
      100,
    ],
    [
      'packet interval 10, space 90',
      [
        [305, 4],
        [306, 4],
      ],
      (b) => b.u32(10).u32(90),
      10,
    ],
    ['a lone packet interval 64', [[305, 4]], (b) => b.u32(64), 64],
    [
      'size 1 of population 256',
      [
        [309, 4],
        [310, 4],
      ],
      (b) => b.u32(1).u32(256),
      256,
    ],
    [
      'size 3 of population 1000 (rounded)',
      [
        [309, 4],
        [310, 4],
      ],
      (b) => b.u32(3).u32(1000),
      333,
    ],
    ['samplingProbability 0.001', [[311, 8]], (b) => b.raw(float64(0.001)), 1000],
    ['a lone samplingSize says no rate', [[309, 4]], (b) => b.u32(5), 1],
  ];
  for (const [name, fields, values, rate] of cases) {
    const { records, errors } = decode([
      [A, msg([...options(fields, values), DATA_TEMPLATE, data([1, '198.51.100.1', 2, 100])])],
    ]);
    assert.deepEqual(errors, [], name);
    assert.deepEqual(
      records.map((r) => [r.samplingInterval, r.packetDeltaCount, r.octetDeltaCount]),
      [[rate, 2 * rate, 100 * rate]],
      name,
    );
  }
});

function float64(v: number): number[] {
  const b = Buffer.alloc(8);
  b.writeDoubleBE(v);
  return [...b];
}

test('rates are kept per exporter, observation domain and sampler', () => {
  const interval = (n: number, sel: number) => options([[34, 4]], (b) => b.u32(n), sel);
  const { records, errors } = decode([
    [A, msg([...interval(100, 1), ...interval(1000, 2).slice(1), DATA_TEMPLATE], 1)],
    [A, msg([...interval(10, 1), DATA_TEMPLATE], 2)],
    [B, msg([DATA_TEMPLATE])],
    [A, msg([data([2, '198.51.100.1', 1, 50], [1, '198.51.100.2', 1, 50], [7, '198.51.100.3', 1, 50])], 1)],
    [A, msg([data([1, '198.51.100.4', 1, 50])], 2)],
    [B, msg([data([1, '198.51.100.5', 1, 50])])],
  ]);
  assert.deepEqual(errors, []);
  assert.deepEqual(
    records.map((r) => [r.sourceIPAddress, r.samplingInterval, r.packetDeltaCount]),
    [
      ['198.51.100.1', 1000, 1000], // domain 1, sampler 2
      ['198.51.100.2', 100, 100], // domain 1, sampler 1
      ['198.51.100.3', 1, 1], // sampler 7 was never described
      ['198.51.100.4', 10, 10], // domain 2's sampler 1
      ['198.51.100.5', 1, 1], // another exporter's sampler 1
    ],
  );
});

test('bogus rates (0, 2^32, size 0 or over its population, probability 0 or over 1) are counted errors, never a scale', () => {
  const bogus: [string, Spec[], (b: Bytes) => Bytes][] = [
    ['interval 0', [[34, 4]], (b) => b.u32(0)],
    ['interval 2^32', [[34, 8]], (b) => b.u64(2 ** 32)],
    ['interval 2^32 - 1', [[34, 4]], (b) => b.u32(0xffffffff)],
    [
      'size 0',
      [
        [309, 4],
        [310, 4],
      ],
      (b) => b.u32(0).u32(256),
    ],
    [
      'size over population',
      [
        [309, 4],
        [310, 4],
      ],
      (b) => b.u32(512).u32(256),
    ],
    [
      'packet interval 0',
      [
        [305, 4],
        [306, 4],
      ],
      (b) => b.u32(0).u32(99),
    ],
    ['probability 0', [[311, 8]], (b) => b.raw(float64(0))],
    ['probability 1.5', [[311, 8]], (b) => b.raw(float64(1.5))],
  ];
  for (const [name, fields, values] of bogus) {
    // A good rate first: the bogus one must neither replace it nor scale anything.
    const state = new DecoderState();
    const good = options([[34, 4]], (b) => b.u32(100));
    decode([[A, msg([...good, DATA_TEMPLATE])]], state);
    const { records, errors } = decode(
      [[A, msg([...options(fields, values), data([1, '198.51.100.1', 3, 300])])]],
      state,
    );
    assert.deepEqual(
      errors.map((e) => e.code),
      ['bad-sampling'],
      name,
    );
    assert.equal(state.errorCounts['bad-sampling'], 1, name);
    assert.deepEqual(
      records.map((r) => [r.samplingInterval, r.packetDeltaCount]),
      [[100, 300]],
      name,
    );
  }
});

test("a data record's own bogus interval is counted and its sampler's rate used", () => {
  const tpl = templates([
    257,
    [
      [302, 8],
      [8, 4],
      [34, 4],
      [2, 8],
    ],
  ]);
  const rec = set(257, new Bytes().u64(1).addr('198.51.100.9').u32(0).u64(2).build());
  const { records, errors } = decode([[A, msg([...options([[34, 4]], (b) => b.u32(50)), tpl, rec])]]);
  assert.deepEqual(
    errors.map((e) => e.code),
    ['bad-sampling'],
  );
  assert.deepEqual(
    records.map((r) => [r.samplingInterval, r.packetDeltaCount]),
    [[50, 100]],
  );
});

test('an sFlow sample with rate 0 or 2^32 - 1 is stored unscaled with a counted error', () => {
  const f = udpTcpFrame({
    src: '198.51.100.1',
    dst: '203.0.113.1',
    proto: 17,
    sport: 53,
    dport: 5353,
    payload: 12,
  });
  const sample = (rate: number, seq: number) =>
    sflowFlowSample({
      seq,
      sourceIndex: 1,
      rate,
      pool: 0,
      input: 1,
      output: 2,
      records: [sflowRawHeader(f)],
    });
  const state = new DecoderState();
  const out = new FlowBatch();
  const r = decodeSflow(
    state,
    sflowDatagram({ agent: '192.0.2.7', seq: 1, uptime: 1 }, [
      sample(0, 1),
      sample(0xffffffff, 2),
      sample(400, 3),
    ]),
    0,
    out,
  );
  assert.deepEqual(
    r.errors.map((e) => e.code),
    ['bad-sampling', 'bad-sampling'],
  );
  assert.deepEqual(
    out.records().map((x) => [x.samplingInterval, x.packetDeltaCount, x.octetDeltaCount]),
    [
      [1, 1, 40],
      [1, 1, 40],
      [400, 400, 16_000],
    ],
  );
});

test("a sampled NetFlow v5 capture (Juniper MX80, 1 in 1000) stores nfcapd/nfdump's scaled totals", async (t) => {
  if (!requireTool(t, 'nfcapd') || !requireTool(t, 'nfdump')) return;
  const payloads = readPcapPayloads(
    readFileSync(fixture(import.meta.url, 'netflow5_test_juniper_mx80.pcap')),
  );
  const out = new FlowBatch();
  const state = new DecoderState();
  for (const p of payloads) decodePacket(state, p.source, p.payload, p.timeMs, out);
  const ours = out.records();
  assert.ok(ours.every((r) => r.samplingInterval === 1000));
  const file = await captureWithNfcapd(
    payloads.map((p) => Buffer.from(p.payload)),
    tempDir(t),
  );
  const ref = await nfdumpInfo(file);
  assert.equal(ours.length, ref['Flows']);
  assert.equal(
    ours.reduce((n, r) => n + r.packetDeltaCount, 0),
    ref['Packets'],
  );
  assert.equal(
    ours.reduce((n, r) => n + r.octetDeltaCount, 0),
    ref['Bytes'],
  );
});
