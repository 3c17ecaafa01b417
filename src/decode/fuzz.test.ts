/**
 * Property tests: any bytes, and real datagrams with random damage, go into
 * every decoder; nothing throws, the output is bounded by the input, and the
 * decoder state stays within its limits.
 */

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { FlowBatch } from '../flow/batch.js';
import {
  Bytes,
  frame,
  ipfixMessage,
  layer,
  optionsTemplate,
  readPcapPayloads,
  type Spec,
  set,
  sflowCounterSample,
  sflowDatagram,
  sflowFlowSample,
  sflowRawHeader,
  templates,
} from '../testing/datagrams.js';
import { fixture } from '../testing/helpers.js';
import { type DecodeResult, DecoderState, decodeAny, decodePacket, decodeSflow } from './index.js';

const EXPORTER = [0, 0, 0xffff, 0xc0000201] as const;
const RUNS = 2000;

/** Real export datagrams (every capture), and built ones for sFlow and variable-length IPFIX. */
function seeds(): Uint8Array[] {
  const dir = fixture(import.meta.url, '.');
  const out: Uint8Array[] = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.pcap'))) {
    for (const p of readPcapPayloads(readFileSync(join(dir, f)))) out.push(p.payload);
  }
  for (const f of readdirSync(join(dir, 'softflowd'))) out.push(readFileSync(join(dir, 'softflowd', f)));
  const hdr = sflowRawHeader(
    frame({ src: '2001:db8::1', dst: '2001:db8::2', proto: 6, sport: 1, dport: 2, vlan: 5 }),
  );
  out.push(
    sflowDatagram({ agent: '10.0.0.1', seq: 1, uptime: 1 }, [
      sflowFlowSample({ seq: 1, sourceIndex: 1, rate: 10, pool: 10, input: 1, output: 2, records: [hdr] }),
      sflowFlowSample(
        { seq: 2, sourceIndex: 1, rate: 10, pool: 10, input: 1, output: 2, records: [hdr] },
        true,
      ),
      sflowCounterSample(3, 1),
    ]),
  );
  const fields: Spec[] = [
    [8, 4],
    [82, 65535],
    [1, 4, 29305],
    [2, 4],
  ];
  const rec = new Bytes().addr('10.0.0.1').u8(255).u16(3).raw([1, 2, 3]).u32(1).u32(2).build();
  out.push(ipfixMessage({ exportSecs: 1 }, [templates([256, fields]), set(256, rec, 2)]));
  // Captured headers through tunnels and MPLS, as an IPFIX frame section and an sFlow raw header, and sampling options.
  const tunnelled = layer.eth(
    0x8847,
    layer.mpls(
      [16, 17],
      layer.ipv6(
        '2001:db8::1',
        '2001:db8::2',
        4,
        layer.ipv4(
          '10.0.0.1',
          '10.0.0.2',
          47,
          layer.gre(0x86dd, layer.ipv6('2001:db8::3', '2001:db8::4', 58, layer.icmp(128, 0, 4)), 9),
        ),
      ),
    ),
  );
  const section = new Bytes().u64(1).u8(tunnelled.length).raw(tunnelled).build();
  out.push(
    ipfixMessage({ exportSecs: 1 }, [
      optionsTemplate(
        300,
        [[302, 8]],
        [
          [305, 4],
          [306, 4],
          [309, 4],
          [310, 4],
          [311, 8],
        ],
      ),
      set(300, new Bytes().u64(1).u32(1).u32(9).u32(1).u32(256).u64(0).build()),
      templates([
        257,
        [
          [302, 8],
          [315, 65535],
        ],
      ]),
      set(257, section),
    ]),
  );
  out.push(
    sflowDatagram({ agent: '10.0.0.1', seq: 2, uptime: 1 }, [
      sflowFlowSample({
        seq: 3,
        sourceIndex: 1,
        rate: 10,
        pool: 10,
        input: 1,
        output: 2,
        records: [sflowRawHeader(tunnelled)],
      }),
    ]),
  );
  return out;
}

const SEEDS = seeds();

/** Small limits, so that the fuzzer reaches them. */
const LIMITS = {
  maxTemplates: 16,
  maxBytes: 8192,
  maxDomains: 8,
  maxTotalBytes: 16384,
  maxExporters: 8,
  maxPendingSets: 4,
  maxPendingBytes: 4096,
};

/** Every limit is per exporter; the exporters that find no place share one more entry ("other"). */
const ENTRIES = LIMITS.maxExporters + 1;

function checkBounds(state: DecoderState): void {
  const t = state.templates.stats();
  assert.ok(t.domains <= ENTRIES * LIMITS.maxDomains);
  assert.ok(t.bytes <= ENTRIES * LIMITS.maxTotalBytes);
  const p = state.pendingStats();
  assert.ok(p.sets <= ENTRIES * LIMITS.maxPendingSets);
  assert.ok(p.bytes <= ENTRIES * LIMITS.maxPendingBytes);
  assert.ok(state.exporterStats().length <= ENTRIES);
}

function decodeChecked(
  state: DecoderState,
  decode: (s: DecoderState, b: Uint8Array, out: FlowBatch) => DecodeResult,
  bytes: Uint8Array,
): number {
  const out = new FlowBatch(16);
  const held = state.pendingStats().bytes;
  const r = decode(state, bytes, out);
  assert.equal(r.records, out.length);
  // A record takes at least one byte, of this datagram or of the data it released from the queue.
  assert.ok(out.length <= bytes.length + held, `${out.length} records from ${bytes.length} bytes`);
  assert.ok(r.errors.length <= 16);
  for (const e of r.errors) assert.notEqual(e.code, 'decoder-fault', e.message);
  return out.length;
}

const netflow = (s: DecoderState, b: Uint8Array, out: FlowBatch) => decodePacket(s, EXPORTER, b, 0, out);
const sflow = (s: DecoderState, b: Uint8Array, out: FlowBatch) => decodeSflow(s, b, 0, out);
const any = (s: DecoderState, b: Uint8Array, out: FlowBatch) => decodeAny(s, EXPORTER, b, 0, out);

/** Random bytes behind a valid version word, so that the parsers past the header are reached. */
const headed = fc
  .tuple(fc.constantFrom<number | 'sflow'>(1, 5, 9, 10, 'sflow'), fc.uint8Array({ maxLength: 600 }))
  .map(([v, body]) => {
    const b = new Uint8Array(body.length + 4);
    b.set(body, 4);
    const dv = new DataView(b.buffer);
    if (v === 'sflow') dv.setUint32(0, 5);
    else dv.setUint16(0, v as number);
    // IPFIX: a message length that matches, so that the sets are reached.
    if (v === 10) dv.setUint16(2, b.length);
    return b;
  });

/** A real datagram with a few bytes overwritten, then maybe cut short or lengthened. */
const mutated = fc
  .tuple(
    fc.constantFrom(...SEEDS),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
    fc.oneof(fc.constant(-1), fc.nat()),
    fc.uint8Array({ maxLength: 64 }),
  )
  .map(([seed, edits, cut, tail]) => {
    let b = Uint8Array.from(seed);
    for (const [at, v] of edits) if (b.length > 0) b[at % b.length] = v;
    if (cut >= 0) b = b.subarray(0, cut % (b.length + 1));
    else {
      const longer = new Uint8Array(b.length + tail.length);
      longer.set(b);
      longer.set(tail, b.length);
      b = longer;
    }
    return b;
  });

test('random bytes: every decoder is total and bounded', () => {
  for (const decode of [netflow, sflow, any]) {
    const state = new DecoderState(LIMITS);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1500 }), (b) => {
        decodeChecked(state, decode, b);
      }),
      { numRuns: RUNS },
    );
    fc.assert(
      fc.property(headed, (b) => {
        decodeChecked(state, decode, b);
      }),
      { numRuns: RUNS },
    );
    checkBounds(state);
  }
});

test('mutated real datagrams: every decoder is total and bounded, state stays within its limits', () => {
  const state = new DecoderState(LIMITS);
  // Learn the real templates first, so that damaged data sets reach the record decoder.
  for (const s of SEEDS) decodeAny(state, EXPORTER, s, 0, new FlowBatch(16));
  let records = 0;
  fc.assert(
    fc.property(mutated, fc.integer({ min: 0, max: 20 }), (b, exporter) => {
      const from = [0, 0, 0xffff, exporter] as const;
      records += decodeChecked(state, (s, bytes, out) => decodeAny(s, from, bytes, 0, out), b);
      checkBounds(state);
    }),
    { numRuns: RUNS * 3 },
  );
  // The damaged datagrams did reach the record decoders.
  assert.ok(records > RUNS, `${records} records`);
});
