import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { FlowBatch } from '../flow/batch.js';
import {
  Bytes,
  readPcapPayloads,
  set,
  v9OptionsTemplate,
  v9Packet,
  v9Templates,
} from '../testing/datagrams.js';
import { fixture } from '../testing/helpers.js';
import { DecoderState, decodePacket } from './index.js';

const A = [0, 0, 0xffff, 0x0a000001] as const;
const B = [0, 0, 0xffff, 0x0a000002] as const;
const SECS = 1_700_000_000;

function decode(
  state: DecoderState,
  pkts: Uint8Array[],
  from: readonly [number, number, number, number] = A,
) {
  const out = new FlowBatch();
  const errors = pkts.flatMap((p) => decodePacket(state, from, p, 0, out).errors);
  return { records: out.records(), errors };
}

test('FIRST/LAST_SWITCHED are sysUptime-relative, across a 32-bit uptime wrap', () => {
  const tpl = v9Templates([
    256,
    [
      [22, 4],
      [21, 4],
      [8, 4],
    ],
  ]);
  const up = 5000; // uptime wrapped 5 s before export; the flow began before the wrap
  const data = set(
    256,
    new Bytes()
      .u32(2 ** 32 - 3000)
      .u32(4000)
      .addr('10.0.0.1')
      .build(),
  );
  const { records, errors } = decode(new DecoderState(), [
    v9Packet({ sysUptime: up, unixSecs: SECS }, [tpl, data]),
  ]);
  assert.deepEqual(errors, []);
  assert.deepEqual(
    [records[0]!.flowStartMilliseconds, records[0]!.flowEndMilliseconds],
    [SECS * 1000 - 8000, SECS * 1000 - 1000],
  );
});

test('a sampler table from options data (FLOW_SAMPLER_ID / RANDOM_INTERVAL) scales records naming the sampler', () => {
  const state = new DecoderState();
  const pkt = v9Packet({ sysUptime: 1, unixSecs: SECS, sourceId: 7 }, [
    v9OptionsTemplate(
      300,
      [[1, 4]],
      [
        [48, 1],
        [49, 1],
        [50, 4],
      ],
    ),
    set(300, new Bytes().u32(0).u8(3).u8(2).u32(1000).build(), 2),
    v9Templates(
      [
        256,
        [
          [48, 1],
          [2, 4],
          [1, 4],
        ],
      ],
      [
        257,
        [
          [2, 4],
          [1, 4],
        ],
      ],
    ),
    set(256, new Bytes().u8(3).u32(2).u32(120).u8(9).u32(1).u32(60).build(), 2),
    set(257, new Bytes().u32(4).u32(400).build()),
  ]);
  const { records, errors } = decode(state, [pkt]);
  assert.deepEqual(errors, []);
  assert.deepEqual(
    records.map((r) => [r.samplingInterval, r.packetDeltaCount, r.octetDeltaCount]),
    [
      [1000, 2000, 120_000],
      [1, 1, 60], // sampler 9 is unknown
      [1, 4, 400],
    ],
  );
});

test('an exporter-wide SAMPLING_INTERVAL option applies to records of its source id only', () => {
  const state = new DecoderState();
  const opt = v9OptionsTemplate(
    300,
    [[1, 4]],
    [
      [34, 4],
      [35, 1],
    ],
  );
  const tpl = v9Templates([256, [[2, 4]]]);
  const one = set(256, new Bytes().u32(1).build());
  decode(state, [
    v9Packet({ sysUptime: 1, unixSecs: SECS, sourceId: 1 }, [
      opt,
      set(300, new Bytes().u32(0).u32(64).u8(2).build(), 3),
      tpl,
    ]),
  ]);
  const { records } = decode(state, [
    v9Packet({ sysUptime: 1, unixSecs: SECS, sourceId: 1 }, [one]),
    v9Packet({ sysUptime: 1, unixSecs: SECS, sourceId: 2 }, [tpl, one]),
  ]);
  assert.deepEqual(
    records.map((r) => [r.samplingInterval, r.packetDeltaCount]),
    [
      [64, 64],
      [1, 1],
    ],
  );
});

test('templates are kept per exporter and per source id', () => {
  const state = new DecoderState();
  const data = set(256, new Bytes().addr('10.0.0.1').build());
  decode(state, [v9Packet({ sysUptime: 1, unixSecs: SECS, sourceId: 1 }, [v9Templates([256, [[8, 4]]])])]);
  const r = decode(state, [
    v9Packet({ sysUptime: 1, unixSecs: SECS, sourceId: 1 }, [data]),
    v9Packet({ sysUptime: 1, unixSecs: SECS, sourceId: 2 }, [data]),
  ]);
  const r2 = decode(state, [v9Packet({ sysUptime: 1, unixSecs: SECS, sourceId: 1 }, [data])], B);
  assert.equal(r.records.length, 1);
  assert.deepEqual(
    r.errors.map((e) => [e.code, e.domain, e.exporter]),
    [['missing-template', 2, '10.0.0.1']],
  );
  assert.deepEqual(
    r2.errors.map((e) => [e.code, e.domain, e.exporter]),
    [['missing-template', 1, '10.0.0.2']],
  );
});

test('the sequence counts export packets: a gap is lost packets, a restart is not', () => {
  const state = new DecoderState();
  for (const seq of [10, 11, 14, 15, 3]) decode(state, [v9Packet({ sysUptime: 1, unixSecs: SECS, seq }, [])]);
  assert.equal(state.lost, 2);
  assert.equal(state.exporterStats()[0]!.sequenceGaps, 2);
});

test('data flowset before its template in the same datagram is decoded when the template follows', () => {
  const state = new DecoderState();
  const pkt = v9Packet({ sysUptime: 1, unixSecs: SECS }, [
    set(256, new Bytes().addr('10.0.0.7').build()),
    v9Templates([256, [[8, 4]]]),
  ]);
  const { records, errors } = decode(state, [pkt]);
  assert.deepEqual(
    errors.map((e) => e.code),
    ['missing-template'],
  );
  assert.deepEqual(
    records.map((r) => r.sourceIPAddress),
    ['10.0.0.7'],
  );
});

test('a zero-filled tail after the last flowset is not an error (Palo Alto); a bad flowset length is', () => {
  const state = new DecoderState();
  const tpl = v9Templates([256, [[8, 4]]]);
  const zeros = new Uint8Array(40);
  const pkt = v9Packet({ sysUptime: 1, unixSecs: SECS }, [tpl, zeros]);
  assert.deepEqual(decode(state, [pkt]).errors, []);
  const bad = v9Packet({ sysUptime: 1, unixSecs: SECS }, [tpl, Uint8Array.of(1, 0, 0, 200)]);
  assert.deepEqual(
    decode(state, [bad]).errors.map((e) => e.code),
    ['bad-set'],
  );
});

test('the ipt-netflow capture: reduced-size (2-byte) interfaces decode, sets without a template are counted', () => {
  const [p] = readPcapPayloads(
    readFileSync(fixture(import.meta.url, 'netflow9_test_iptnetflow_reduced_size_encoding.pcap')),
  );
  const state = new DecoderState();
  const { records } = decode(state, [p!.payload]);
  assert.equal(records.length, 12);
  assert.equal(state.errorCounts['missing-template'], 6);
  assert.deepEqual(
    records
      .slice(0, 2)
      .map((r) => [r.sourceIPAddress, r.packetDeltaCount, r.octetDeltaCount, r.ingressInterface]),
    [
      ['37.122.1.226', 3, 156, 7],
      ['5.141.231.166', 1, 48, 7],
    ],
  );
});

test('per source id: datagrams, records, lost exports, sampling and templates (the exporters page)', () => {
  const state = new DecoderState();
  const opt = v9OptionsTemplate(
    300,
    [[1, 4]],
    [
      [34, 4],
      [35, 1],
    ],
  );
  const tpl = v9Templates([256, [[2, 4]]]);
  const one = set(256, new Bytes().u32(1).build());
  decode(state, [
    v9Packet({ sysUptime: 1, unixSecs: SECS, seq: 0, sourceId: 1 }, [
      opt,
      set(300, new Bytes().u32(0).u32(64).u8(2).build(), 3),
      tpl,
    ]),
    v9Packet({ sysUptime: 1, unixSecs: SECS, seq: 1, sourceId: 1 }, [one, one]),
    // Two export packets of source 1 lost upstream (sequence 2 and 3).
    v9Packet({ sysUptime: 1, unixSecs: SECS, seq: 4, sourceId: 1 }, [one]),
    v9Packet({ sysUptime: 1, unixSecs: SECS, seq: 0, sourceId: 2 }, [tpl, one]),
  ]);
  const [stats] = [...state.domainStats().values()];
  assert.deepEqual(stats, [
    { version: '9', domain: 1, packets: 3, records: 3, lost: 2, sampling: [64], templates: 2 },
    { version: '9', domain: 2, packets: 1, records: 1, lost: 0, sampling: [], templates: 1 },
  ]);
  assert.equal(state.exporterStats()[0]!.sequenceGaps, 2);
});
