/**
 * @module Per-exporter isolation of the decoder state (issue #12, finding 5
 * and the junk part of 6): floods from other exporters leave a legitimate
 * exporter's templates and sampling rate alone, junk templates are dropped
 * and counted, the records-per-second budget and the fair share hold.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type AddrWords, parseAddress } from '../flow/address.js';
import { FlowBatch } from '../flow/batch.js';
import { emptyRecord } from '../flow/record.js';
import {
  Bytes,
  set,
  V9_FLOW,
  v9Flows,
  v9OptionsTemplate,
  v9Packet,
  v9SamplingOptions,
  v9Templates,
} from '../testing/datagrams.js';
import { encodeNetflowV5 } from '../testing/nfcapd.js';
import { DecoderState, decodePacket, OVERFLOW_EXPORTER } from './index.js';

const addr = (s: string): AddrWords => parseAddress(s)!;
const LEGIT = addr('10.0.0.1');
const T = 1_700_000_000;

/** Sends 2,000 flows from LEGIT in 100 datagrams (data only: the template came before). */
function legitData(state: DecoderState, out: FlowBatch, receivedMs: number, seq0 = 1): void {
  for (let p = 0; p < 100; p++) {
    const r = decodePacket(
      state,
      LEGIT,
      v9Packet({ sysUptime: 1000, unixSecs: T, seq: seq0 + p }, [v9Flows(20, p * 20)]),
      receivedMs,
      out,
    );
    assert.deepEqual(r.errors, [], `datagram ${p}`);
  }
}

const SUM_PACKETS = (2000 * 2001) / 2;

test('600 NetFlow v9 source ids from one hostile address leave the real exporter its templates: 2,000 of 2,000 flows', () => {
  const state = new DecoderState();
  const out = new FlowBatch();
  decodePacket(
    state,
    LEGIT,
    v9Packet({ sysUptime: 1000, unixSecs: T }, [v9Templates([256, V9_FLOW])]),
    0,
    out,
  );
  const hostile = addr('10.66.0.1');
  for (let id = 0; id < 600; id++) {
    // A template for every source id, and data whose template never comes (held, then dropped).
    const sets = [v9Templates([256, V9_FLOW], [257, V9_FLOW]), set(300 + (id % 50), new Uint8Array(64))];
    decodePacket(state, hostile, v9Packet({ sysUptime: 1000, unixSecs: T, sourceId: id }, sets), 1, out);
  }
  assert.equal(out.length, 0);
  legitData(state, out, 2);
  assert.equal(out.length, 2000);
  assert.deepEqual(out.totals(), { flows: 2000, packets: SUM_PACKETS, bytes: 100 * SUM_PACKETS });
  // The hostile address holds at most its own 64 domains (of 2 templates), the real exporter its one.
  const stats = state.exporterStats();
  assert.deepEqual(
    stats.map((s) => [s.exporter, s.templates]),
    [
      ['10.66.0.1', 2 * state.limits.maxDomains],
      ['10.0.0.1', 1],
    ],
  );
  assert.equal(stats[1]!.errors['missing-template'], 0);
});

test('datagrams from 5,000 other addresses do not make the real exporter forget its sampling rate: packets scaled ×100', () => {
  const state = new DecoderState();
  const out = new FlowBatch();
  // Sampling 1 in 100 for the whole source id (options data), then the flow template.
  const [options, optData] = v9SamplingOptions(100);
  decodePacket(
    state,
    LEGIT,
    v9Packet({ sysUptime: 1000, unixSecs: T }, [options, optData, v9Templates([256, V9_FLOW])]),
    0,
    out,
  );
  // A data set before its template once: the exporter has an error series to keep.
  decodePacket(
    state,
    LEGIT,
    v9Packet({ sysUptime: 1000, unixSecs: T }, [set(999, new Uint8Array(8))]),
    0,
    out,
  );
  for (let k = 0; k < 5000; k++) {
    const from = addr(`10.${100 + (k >> 16)}.${(k >> 8) & 255}.${k & 255}`);
    decodePacket(
      state,
      from,
      v9Packet({ sysUptime: 1, unixSecs: T }, [v9Templates([256, V9_FLOW])]),
      1 + k,
      out,
    );
  }
  legitData(state, out, 10_000);
  assert.deepEqual(out.totals(), { flows: 2000, packets: 100 * SUM_PACKETS, bytes: 100 * 100 * SUM_PACKETS });
  assert.equal(state.exporterCount, 4096);
  assert.equal(state.evictedExporters, 0, 'no exporter was idle: none lost its place');
  const stats = new Map(state.exporterStats().map((s) => [s.exporter, s]));
  assert.equal(stats.get('10.0.0.1')!.errors['missing-template'], 1);
  assert.equal(stats.get('10.0.0.1')!.records, 2000);
  // 4,095 others found a place; the remaining 905 share the overflow entry, templates and all.
  assert.equal(stats.get(OVERFLOW_EXPORTER)!.packets, 905);
  assert.equal(stats.size, 4097);
});

test('a new exporter takes the place of the least recently seen idle one, never of an active one', () => {
  const state = new DecoderState({ maxExporters: 2, idleMs: 60_000 });
  const out = new FlowBatch();
  const tpl = (from: string, ms: number) =>
    decodePacket(
      state,
      addr(from),
      v9Packet({ sysUptime: 1, unixSecs: T }, [v9Templates([256, V9_FLOW])]),
      ms,
      out,
    );
  tpl('10.0.0.1', 0);
  tpl('10.0.0.2', 30_000);
  tpl('10.0.0.3', 59_999); // both are active: shares "other"
  assert.deepEqual(
    state.exporterStats().map((s) => s.exporter),
    ['10.0.0.1', '10.0.0.2', OVERFLOW_EXPORTER],
  );
  tpl('10.0.0.1', 60_000); // seen again: active for another minute
  tpl('10.0.0.3', 90_000); // 10.0.0.2 is idle now (60 s without a datagram): it goes
  assert.equal(state.evictedExporters, 1);
  assert.deepEqual(
    state.exporterStats().map((s) => [s.exporter, s.packets]),
    [
      ['10.0.0.1', 2],
      ['10.0.0.3', 1],
      [OVERFLOW_EXPORTER, 1],
    ],
  );
});

test('a template of 1-byte records stores nothing: 1,140 datagrams, 51,300 junk records dropped and counted', () => {
  const state = new DecoderState();
  const out = new FlowBatch();
  const junk = addr('10.66.0.2');
  const junkTpl = v9Templates(
    [400, [[4, 1]]],
    [
      401,
      [
        [1, 1],
        [2, 1],
      ],
    ],
  );
  for (let p = 0; p < 1140; p++) {
    const r = decodePacket(
      state,
      junk,
      v9Packet({ sysUptime: 1, unixSecs: T, seq: p }, [
        junkTpl,
        set(400, new Uint8Array(44)),
        set(401, new Uint8Array(2)),
      ]),
      p,
      out,
    );
    assert.equal(r.records, 0);
  }
  assert.equal(out.length, 0);
  const s = state.exporterStats().find((x) => x.exporter === '10.66.0.2')!;
  assert.deepEqual(s.dropped, { 'not-flows': 1140 * 45, 'rate-limit': 0, 'not-ip': 0 });
  assert.equal(s.errors['junk-records'], 2 * 1140);
  assert.equal(s.sequenceGaps, 0);
  // The same exporter's real flows still decode.
  decodePacket(
    state,
    junk,
    v9Packet({ sysUptime: 1, unixSecs: T, seq: 1140 }, [v9Templates([256, V9_FLOW]), v9Flows(3)]),
    0,
    out,
  );
  assert.equal(out.length, 3);
});

test('records over an exporter’s records-per-second budget are dropped and counted; the budget refills', () => {
  const state = new DecoderState({ maxRecordsPerSecond: 1000 });
  const out = new FlowBatch();
  const rec = Array.from({ length: 1500 }, (_, k) => ({
    ...emptyRecord(),
    sourceIPAddress: `10.2.${k >> 8}.${k & 255}`,
    destinationIPAddress: '192.0.2.1',
    packetDeltaCount: 1,
    octetDeltaCount: 60,
  }));
  const send = (ms: number, seq: number) => {
    for (const p of encodeNetflowV5(rec, seq)) decodePacket(state, LEGIT, p, ms, out);
  };
  send(5000, 0);
  assert.equal(out.length, 1000);
  send(5500, 1500); // half a second: 500 more
  assert.equal(out.length, 1500);
  send(9000, 3000); // a full second's budget (no more: the burst is one second)
  assert.equal(out.length, 2500);
  const s = state.exporterStats()[0]!;
  assert.deepEqual(s.dropped, { 'not-flows': 0, 'rate-limit': 2000, 'not-ip': 0 });
  // Another exporter has its own budget.
  for (const p of encodeNetflowV5(rec.slice(0, 30))) decodePacket(state, addr('10.0.0.9'), p, 9000, out);
  assert.equal(out.length, 2530);
});

test('past maxStateBytes an exporter above its fair share evicts only its own templates', () => {
  const state = new DecoderState({ maxStateBytes: 8192, maxExporters: 4 });
  const out = new FlowBatch();
  const a = addr('10.0.0.1');
  const b = addr('10.0.0.2');
  const c = addr('10.0.0.3');
  const v9 = (from: AddrWords, id: number, ms = 0) =>
    decodePacket(state, from, v9Packet({ sysUptime: 1, unixSecs: T }, [v9Templates([id, V9_FLOW])]), ms, out);
  v9(a, 256);
  for (let id = 256; id < 456; id++) v9(b, id);
  v9(c, 256);
  const cost = 128 + 4 * 48;
  const t = state.templates.stats();
  assert.ok(t.bytes <= 2 * 8192, `${t.bytes} bytes of templates`);
  // B kept what fitted the budget, A and C their one template each.
  assert.equal(t.templates, Math.floor((8192 - cost) / cost) + 1 + 2);
  assert.deepEqual(state.templates.ids(`${a[3]}|9|0`), [256]);
  assert.deepEqual(state.templates.ids(`${c[3]}|9|0`), [256]);
  assert.equal(state.exporterStats()[1]!.errors['template-evicted'], 200 - (t.templates - 2));
});

test('an idle exporter that lost its place gets its sampling rate back when it returns', () => {
  const state = new DecoderState({ maxExporters: 1, idleMs: 1000 });
  const out = new FlowBatch();
  const options = v9OptionsTemplate(260, [[1, 4]], [[34, 4]]);
  const optData = set(260, new Bytes().u32(0).u32(100).build());
  const tpl = v9Templates([256, V9_FLOW]);
  decodePacket(state, LEGIT, v9Packet({ sysUptime: 1, unixSecs: T }, [options, optData, tpl]), 0, out);
  decodePacket(state, addr('10.0.0.2'), v9Packet({ sysUptime: 1, unixSecs: T }, [tpl]), 2000, out);
  assert.equal(state.evictedExporters, 1);
  // Back after the other went idle: it sends its template again (exporters do), not yet its options.
  decodePacket(state, LEGIT, v9Packet({ sysUptime: 1, unixSecs: T }, [tpl, v9Flows(10)]), 4000, out);
  assert.equal(state.evictedExporters, 2);
  assert.deepEqual(out.totals(), { flows: 10, packets: 100 * 55, bytes: 100 * 100 * 55 });
});
