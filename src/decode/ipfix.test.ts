import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FlowBatch } from '../flow/batch.js';
import type { FlowRecord } from '../flow/record.js';
import { Bytes, ipfixMessage, optionsTemplate, type Spec, set, templates } from '../testing/datagrams.js';
import { type DecodeResult, DecoderState, decodePacket } from './index.js';

const EXPORTER = [0, 0, 0xffff, 0xc0000201] as const; // 192.0.2.1
const EXPORT_S = 1_700_000_000;
const EXPORT_MS = EXPORT_S * 1000;
const NTP_UNIX = 2_208_988_800;

function run(msgs: Uint8Array[], state = new DecoderState()) {
  const out = new FlowBatch();
  const results: DecodeResult[] = msgs.map((m) => decodePacket(state, EXPORTER, m, 0, out));
  return { records: out.records(), results, state, errors: results.flatMap((r) => r.errors) };
}

/** One template (id 256) and one data record made of the given values, after a source address (a flow names a host). */
function one(fields: readonly Spec[], data: Bytes): FlowRecord {
  const named = fields.some(([ie]) => ie === 8 || ie === 12 || ie === 27 || ie === 28);
  const tpl: Spec[] = named ? [...fields] : [[8, 4], ...fields];
  const rec = named ? data : new Bytes().addr('10.9.8.7').raw(data.build());
  const r = run([ipfixMessage({ exportSecs: EXPORT_S }, [templates([256, tpl]), set(256, rec.build())])]);
  assert.deepEqual(r.errors, []);
  assert.equal(r.records.length, 1);
  if (!named) assert.equal(r.records[0]!.sourceIPAddress, '10.9.8.7');
  return r.records[0]!;
}

const times = (r: FlowRecord) => [r.flowStartMilliseconds, r.flowEndMilliseconds];

test('flowStart/EndSeconds (150/151)', () => {
  assert.deepEqual(
    times(
      one(
        [
          [150, 4],
          [151, 4],
        ],
        new Bytes().u32(EXPORT_S - 60).u32(EXPORT_S - 1),
      ),
    ),
    [EXPORT_MS - 60_000, EXPORT_MS - 1000],
  );
});

test('flowStart/EndMilliseconds (152/153)', () => {
  const r = one(
    [
      [152, 8],
      [153, 8],
    ],
    new Bytes().u64(EXPORT_MS - 1234).u64(EXPORT_MS - 5),
  );
  assert.deepEqual(times(r), [EXPORT_MS - 1234, EXPORT_MS - 5]);
});

test('flowStart/EndMicroseconds and Nanoseconds (154–157) are NTP timestamps', () => {
  const ntp = (ms: number) =>
    new Bytes().u32(Math.floor(ms / 1000) + NTP_UNIX).u32(((ms % 1000) / 1000) * 2 ** 32);
  const a = one(
    [
      [154, 8],
      [155, 8],
    ],
    new Bytes().raw(ntp(EXPORT_MS - 2500).build()).raw(ntp(EXPORT_MS - 250).build()),
  );
  assert.deepEqual(times(a), [EXPORT_MS - 2500, EXPORT_MS - 250]);
  const b = one(
    [
      [156, 8],
      [157, 8],
    ],
    new Bytes().raw(ntp(EXPORT_MS - 750).build()).raw(ntp(EXPORT_MS).build()),
  );
  assert.deepEqual(times(b), [EXPORT_MS - 750, EXPORT_MS]);
});

test('flowStart/EndDeltaMicroseconds (158/159) count back from the export time', () => {
  assert.deepEqual(
    times(
      one(
        [
          [158, 4],
          [159, 4],
        ],
        new Bytes().u32(3_000_000).u32(500_000),
      ),
    ),
    [EXPORT_MS - 3000, EXPORT_MS - 500],
  );
});

test('flowStart/EndSysUpTime (22/21) use systemInitTimeMilliseconds (160) from options data', () => {
  const init = EXPORT_MS - 86_400_000;
  const r = run([
    ipfixMessage({ exportSecs: EXPORT_S }, [
      optionsTemplate(300, [[144, 4]], [[160, 8]]),
      set(300, new Bytes().u32(1).u64(init).build()),
      templates([
        256,
        [
          [8, 4],
          [22, 4],
          [21, 4],
        ],
      ]),
      set(256, new Bytes().addr('10.9.8.7').u32(1000).u32(61_000).build()),
    ]),
  ]);
  assert.deepEqual(r.errors, []);
  assert.deepEqual(times(r.records[0]!), [init + 1000, init + 61_000]);
});

test('flowStart/EndSysUpTime without systemInitTimeMilliseconds end at the export time', () => {
  assert.deepEqual(
    times(
      one(
        [
          [22, 4],
          [21, 4],
        ],
        new Bytes().u32(1000).u32(61_000),
      ),
    ),
    [EXPORT_MS - 60_000, EXPORT_MS],
  );
});

test('a start with flowDurationMilliseconds (161) gives the end; a record without times gets the export time', () => {
  assert.deepEqual(
    times(
      one(
        [
          [152, 8],
          [161, 4],
        ],
        new Bytes().u64(EXPORT_MS - 9000).u32(4000),
      ),
    ),
    [EXPORT_MS - 9000, EXPORT_MS - 5000],
  );
  assert.deepEqual(times(one([[4, 1]], new Bytes().u8(6))), [EXPORT_MS, EXPORT_MS]);
});

test('IPv6 addresses, ports, protocol, flags, interfaces, ToS, AS numbers, next hop and direction', () => {
  const fields: Spec[] = [
    [27, 16],
    [28, 16],
    [62, 16],
    [7, 2],
    [11, 2],
    [4, 1],
    [6, 2],
    [10, 4],
    [14, 4],
    [5, 1],
    [16, 4],
    [17, 4],
    [61, 1],
    [2, 8],
    [1, 8],
  ];
  const data = new Bytes()
    .addr('2001:db8::1')
    .addr('2001:db8:0:1::2')
    .addr('fe80::1')
    .u16(443)
    .u16(51000)
    .u8(6)
    .u16(0x12)
    .u32(7)
    .u32(9)
    .u8(0xb8)
    .u32(65001)
    .u32(4200000000)
    .u8(1)
    .u64(3)
    .u64(2 ** 40);
  const r = one(fields, data);
  assert.equal(r.sourceIPAddress, '2001:db8::1');
  assert.equal(r.destinationIPAddress, '2001:db8:0:1::2');
  assert.equal(r.ipNextHopAddress, 'fe80::1');
  assert.deepEqual(
    [r.sourceTransportPort, r.destinationTransportPort, r.protocolIdentifier, r.tcpControlBits],
    [443, 51000, 6, 0x12],
  );
  assert.deepEqual([r.ingressInterface, r.egressInterface, r.ipClassOfService], [7, 9, 0xb8]);
  assert.deepEqual([r.bgpSourceAsNumber, r.bgpDestinationAsNumber, r.flowDirection], [65001, 4200000000, 1]);
  assert.deepEqual([r.packetDeltaCount, r.octetDeltaCount, r.samplingInterval], [3, 2 ** 40, 1]);
  assert.equal(r.exporterIPAddress, '192.0.2.1');
});

test('reduced-size encoding: counters of 1, 2, 3, 5 and 8 bytes', () => {
  for (const len of [1, 2, 3, 5, 8]) {
    const v = len === 1 ? 200 : 2 ** (8 * Math.min(len, 6) - 1) + 7;
    const d = new Bytes();
    for (const b of [0, 1]) {
      void b;
      for (let k = len - 1; k >= 0; k--) d.u8(Math.floor(v / 2 ** (8 * k)));
    }
    const r = one(
      [
        [1, len],
        [2, len],
      ],
      d,
    );
    assert.deepEqual([r.octetDeltaCount, r.packetDeltaCount], [v, v], `length ${len}`);
  }
});

test('total counters (85/86) stand in when a record has no delta counters', () => {
  const r = one(
    [
      [85, 8],
      [86, 4],
    ],
    new Bytes().u64(5000).u32(10),
  );
  assert.deepEqual([r.octetDeltaCount, r.packetDeltaCount], [5000, 10]);
});

test('variable-length fields (short and 255 + 2-byte length) and enterprise fields are skipped by length', () => {
  const fields: Spec[] = [
    [8, 4],
    [82, 65535],
    [1, 4, 29305],
    [12, 4],
    [83, 65535],
    [99, 65535, 9],
    [2, 4],
  ];
  const long = new Array<number>(300).fill(65);
  const rec = (src: string) =>
    new Bytes()
      .addr(src)
      .u8(3)
      .raw([65, 66, 67])
      .u32(777)
      .addr('10.9.9.9')
      .u8(255)
      .u16(300)
      .raw(long)
      .u8(0)
      .u32(5);
  const data = new Bytes().raw(rec('10.0.0.1').build()).raw(rec('10.0.0.2').build());
  const r = run([
    ipfixMessage({ exportSecs: EXPORT_S }, [templates([256, fields]), set(256, data.build(), 3)]),
  ]);
  assert.deepEqual(r.errors, []);
  assert.deepEqual(
    r.records.map((x) => [x.sourceIPAddress, x.destinationIPAddress, x.packetDeltaCount, x.octetDeltaCount]),
    [
      ['10.0.0.1', '10.9.9.9', 5, 0],
      ['10.0.0.2', '10.9.9.9', 5, 0],
    ],
  );
});

test('padding after the last record of a data set is ignored', () => {
  const r = run([
    ipfixMessage({ exportSecs: EXPORT_S }, [
      templates([
        256,
        [
          [8, 4],
          [4, 1],
        ],
      ]),
      set(256, new Bytes().addr('10.0.0.1').u8(17).build(), 3),
    ]),
  ]);
  assert.deepEqual(r.errors, []);
  assert.equal(r.records.length, 1);
});

test('options data sampling: selectorId-keyed samplingPacketInterval/Space and samplerRandomInterval scale the counters', () => {
  const r = run([
    ipfixMessage({ exportSecs: EXPORT_S }, [
      optionsTemplate(
        400,
        [[302, 8]],
        [
          [305, 4],
          [306, 4],
        ],
      ),
      set(400, new Bytes().u64(7).u32(1).u32(99).build()),
      optionsTemplate(401, [[144, 4]], [[50, 4]]),
      set(401, new Bytes().u32(1).u32(512).build()),
      templates(
        [
          256,
          [
            [302, 8],
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
      set(256, new Bytes().u64(7).u32(2).u32(100).build()),
      set(257, new Bytes().u32(3).u32(300).build()),
    ]),
  ]);
  assert.deepEqual(r.errors, []);
  assert.deepEqual(
    r.records.map((x) => [x.samplingInterval, x.packetDeltaCount, x.octetDeltaCount]),
    [
      [100, 200, 10_000],
      [512, 1536, 153_600],
    ],
  );
});

test('template withdrawal: one template (count 0), all templates (id 2), all options templates (id 3)', () => {
  const state = new DecoderState();
  const tpl = templates([256, [[8, 4]]], [257, [[12, 4]]]);
  const data = (id: number) => set(id, new Bytes().addr('10.0.0.1').build());
  const withdraw = (setId: number, id: number) => set(setId, new Bytes().u16(id).u16(0).build());
  let r = run([ipfixMessage({ exportSecs: EXPORT_S }, [tpl, withdraw(2, 256), data(256), data(257)])], state);
  assert.equal(r.records.length, 1);
  assert.deepEqual(
    r.errors.map((e) => [e.code, e.templateId]),
    [['missing-template', 256]],
  );
  r = run([ipfixMessage({ exportSecs: EXPORT_S }, [withdraw(2, 2), data(257)])], state);
  assert.equal(r.records.length, 0);
  assert.deepEqual(state.templates.stats().templates, 0);
  r = run(
    [
      ipfixMessage({ exportSecs: EXPORT_S }, [
        optionsTemplate(500, [[144, 4]], [[34, 4]]),
        tpl,
        withdraw(3, 3),
      ]),
    ],
    state,
  );
  assert.deepEqual(state.templates.ids(`${EXPORTER[3]}|10|0`).sort(), [256, 257]);
});

test('a template refresh with a new layout replaces the old one', () => {
  const state = new DecoderState();
  run([ipfixMessage({ exportSecs: EXPORT_S }, [templates([256, [[8, 4]]])])], state);
  const r = run(
    [
      ipfixMessage({ exportSecs: EXPORT_S }, [
        templates([
          256,
          [
            [12, 4],
            [4, 1],
          ],
        ]),
        set(256, new Bytes().addr('10.1.1.1').u8(1).build()),
      ]),
    ],
    state,
  );
  assert.deepEqual(
    r.records.map((x) => [x.sourceIPAddress, x.destinationIPAddress, x.protocolIdentifier]),
    [['0.0.0.0', '10.1.1.1', 1]],
  );
});

test('data before its template is held and decoded when the template comes, with its own export time', () => {
  const state = new DecoderState();
  const first = run(
    [ipfixMessage({ exportSecs: EXPORT_S, domain: 3 }, [set(256, new Bytes().addr('10.0.0.9').build())])],
    state,
  );
  assert.equal(first.records.length, 0);
  assert.deepEqual(
    first.errors.map((e) => [e.code, e.domain, e.templateId, e.exporter]),
    [['missing-template', 3, 256, '192.0.2.1']],
  );
  // Another domain's template of the same id must not release it.
  const other = run(
    [ipfixMessage({ exportSecs: EXPORT_S + 5, domain: 4 }, [templates([256, [[8, 4]]])])],
    state,
  );
  assert.equal(other.records.length, 0);
  const later = run(
    [ipfixMessage({ exportSecs: EXPORT_S + 10, domain: 3 }, [templates([256, [[8, 4]]])])],
    state,
  );
  assert.equal(later.records.length, 1);
  assert.deepEqual(later.results[0]!.records, 1);
  assert.equal(later.records[0]!.sourceIPAddress, '10.0.0.9');
  assert.equal(later.records[0]!.flowEndMilliseconds, EXPORT_MS);
  assert.deepEqual(state.pendingStats(), { sets: 0, bytes: 0 });
});

test('the held-data queue is bounded per exporter: the oldest set is dropped and counted', () => {
  const state = new DecoderState({ maxPendingSets: 4 });
  for (let k = 0; k < 10; k++) {
    run(
      [ipfixMessage({ exportSecs: EXPORT_S }, [set(256 + k, new Bytes().addr('10.0.0.1').build())])],
      state,
    );
  }
  assert.deepEqual(state.pendingStats(), { sets: 4, bytes: 16 });
  assert.equal(state.errorCounts['pending-dropped'], 6);
  assert.equal(state.errorCounts['missing-template'], 10);
  const r = run(
    [ipfixMessage({ exportSecs: EXPORT_S }, [templates([265, [[8, 4]]], [256, [[8, 4]]])])],
    state,
  );
  assert.equal(r.records.length, 1, 'only the newest held sets are still there');
});

test('the sequence number counts data records: a gap is lost records', () => {
  const state = new DecoderState();
  const rec = () => set(256, new Bytes().addr('10.0.0.1').addr('10.0.0.2').build());
  const tpl = templates([
    256,
    [
      [8, 4],
      [12, 4],
    ],
  ]);
  run([ipfixMessage({ exportSecs: EXPORT_S, seq: 100 }, [tpl, rec()])], state);
  run([ipfixMessage({ exportSecs: EXPORT_S, seq: 101 }, [rec(), rec()])], state);
  run([ipfixMessage({ exportSecs: EXPORT_S, seq: 110 }, [rec()])], state);
  assert.equal(state.lost, 7);
});

test('a malformed message yields labelled errors, never an exception', () => {
  const good = ipfixMessage({ exportSecs: EXPORT_S, domain: 9 }, [templates([256, [[8, 4]]])]);
  const bad = Uint8Array.from(good);
  bad[19] = 200; // the set length now runs past the end
  const r = run([bad, good.subarray(0, 10), Uint8Array.of(0, 10, 0, 3)]);
  assert.deepEqual(
    r.errors.map((e) => [e.code, e.version, e.domain]),
    [
      ['bad-set', 10, 9],
      ['short-packet', 10, undefined],
      ['short-packet', 10, undefined],
    ],
  );
});
