/**
 * The code made for a fixed-length template reads every record as the
 * per-field dispatch does: each real capture in testdata/ is decoded with
 * both (fresh decoder states, the same datagrams in the same order), and
 * the flows and errors must be identical, field by field.
 */

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { FlowBatch } from '../flow/batch.js';
import { ExportEncoder, WIRE_FORMATS } from '../simulate/export/index.js';
import { readPcapPayloads } from '../testing/datagrams.js';
import { fixture } from '../testing/helpers.js';
import { rng } from '../testing/rng.js';
import { DecoderState, decodeAny } from './index.js';
import { recordCode } from './record.js';

const DIR = fixture(import.meta.url, '../../decode/testdata');

/** Decodes the datagrams in order into one batch, with the record code made after `compileAfter` records. */
function decodeAll(
  datagrams: { source: [number, number, number, number]; payload: Uint8Array; timeMs: number }[],
  compileAfter: number,
) {
  const before = recordCode.compileAfter;
  recordCode.compileAfter = compileAfter;
  recordCode.forget();
  try {
    const state = new DecoderState({ maxRecordsPerSecond: Number.POSITIVE_INFINITY });
    const out = new FlowBatch();
    const errors: string[] = [];
    for (const d of datagrams)
      for (const e of decodeAny(state, d.source, d.payload, d.timeMs, out).errors) errors.push(e.message);
    return { flows: JSON.stringify(out.records()), count: out.length, errors };
  } finally {
    recordCode.compileAfter = before;
  }
}

test('every capture decodes the same through the record code made for its templates as through the dispatch', () => {
  let compared = 0;
  for (const name of readdirSync(DIR).filter((f) => f.endsWith('.pcap'))) {
    const datagrams = readPcapPayloads(readFileSync(`${DIR}/${name}`)) as never;
    const dispatch = decodeAll(datagrams, Number.POSITIVE_INFINITY);
    const made = decodeAll(datagrams, 0);
    assert.equal(made.count, dispatch.count, name);
    assert.deepEqual(made.errors, dispatch.errors, name);
    assert.equal(made.flows, dispatch.flows, name);
    compared += dispatch.count;
  }
  assert.ok(compared > 500, `${compared} records compared`);
});

test("a template is read by its own code once its signature has decoded enough records, across the template's refreshes, and the flows do not change there", () => {
  // Varied flows (IPv4 and IPv6, counters past 2^32, every port) as IPFIX and NetFlow v9, across the switch.
  const r = rng(11);
  const n = recordCode.compileAfter * 3 + 17;
  const b = new FlowBatch(n);
  const t0 = Date.parse('2026-11-20T10:00:00Z');
  for (let i = 0; i < n; i++) {
    const k = b.add();
    b.ts[k] = t0 + i;
    b.te[k] = t0 + i + Math.floor(r() * 60_000);
    if (i % 3 === 0) b.setAddr('src', k, [0x20010db8, 0, 0, i]);
    else b.setV4('src', k, (0x0a000000 + i) >>> 0);
    b.setV4('dst', k, (0xc0000200 + (i % 250)) >>> 0);
    b.sport[k] = Math.floor(r() * 65536);
    b.dport[k] = Math.floor(r() * 65536);
    b.proto[k] = i % 2 ? 6 : 17;
    b.flags[k] = Math.floor(r() * 64);
    b.packets[k] = 1 + Math.floor(r() * 1e6);
    b.bytes[k] = i % 5 === 0 ? 2 ** 40 + i : 40 + Math.floor(r() * 1e6);
  }
  for (const wire of [WIRE_FORMATS.ipfix, WIRE_FORMATS.v9]) {
    const datagrams: { source: [number, number, number, number]; payload: Uint8Array; timeMs: number }[] = [];
    const enc = new ExportEncoder(wire);
    const write = (p: Buffer) =>
      void datagrams.push({ source: [0, 0, 0xffff, 0xc0000201], payload: p, timeMs: t0 + 120_000 });
    enc.encode(b, write);
    enc.flush(write);
    const dispatch = decodeAll(datagrams, Number.POSITIVE_INFINITY);
    assert.equal(dispatch.count, n);
    const codes = recordCode.made;
    const made = decodeAll(datagrams, recordCode.compileAfter);
    // The encoder resends its templates (one for IPv4 flows, one for IPv6) every few datagrams:
    // each keeps its code across those refreshes.
    assert.equal(recordCode.made - codes, 2, 'one code for each template');
    assert.deepEqual(made.errors, dispatch.errors);
    assert.equal(made.flows, dispatch.flows);
  }
});

test('the record code sets each element where the dispatch does: an observation time after a flow start leaves the start', () => {
  // IPFIX by hand: template 256 = source and destination IPv4, packets, octets, flowStart/EndMilliseconds,
  // observationTimeMilliseconds (a PSAMP time, which fills only the times a record lacks).
  const fields: [number, number][] = [
    [8, 4],
    [12, 4],
    [2, 4],
    [1, 4],
    [152, 8],
    [153, 8],
    [323, 8],
  ];
  const tpl = Buffer.alloc(4 + 4 + fields.length * 4);
  tpl.writeUInt16BE(2, 0);
  tpl.writeUInt16BE(tpl.length, 2);
  tpl.writeUInt16BE(256, 4);
  tpl.writeUInt16BE(fields.length, 6);
  fields.forEach(([ie, len], i) => {
    tpl.writeUInt16BE(ie, 8 + i * 4);
    tpl.writeUInt16BE(len, 10 + i * 4);
  });
  const t0 = Date.parse('2026-11-20T10:00:00Z');
  const message = (sets: Buffer[], seq: number) => {
    const body = Buffer.concat(sets);
    const h = Buffer.alloc(16);
    h.writeUInt16BE(10, 0);
    h.writeUInt16BE(16 + body.length, 2);
    h.writeUInt32BE(Math.floor(t0 / 1000) + 60, 4);
    h.writeUInt32BE(seq, 8);
    return Buffer.concat([h, body]);
  };
  const datagrams: { source: [number, number, number, number]; payload: Uint8Array; timeMs: number }[] = [];
  for (let m = 0; m < 40; m++) {
    const data = Buffer.alloc(4 + 30 * 40);
    data.writeUInt16BE(256, 0);
    data.writeUInt16BE(data.length, 2);
    for (let r = 0; r < 30; r++) {
      const o = 4 + r * 40;
      data.writeUInt32BE(0x0a000001 + r, o);
      data.writeUInt32BE(0xc0000201, o + 4);
      data.writeUInt32BE(3, o + 8);
      data.writeUInt32BE(152, o + 12);
      data.writeBigUInt64BE(BigInt(t0 + m * 1000 + r), o + 16);
      data.writeBigUInt64BE(BigInt(t0 + m * 1000 + r + 500), o + 24);
      data.writeBigUInt64BE(BigInt(t0 + 59_000), o + 32);
    }
    datagrams.push({
      source: [0, 0, 0xffff, 0xc0000202],
      payload: message([tpl, data], m * 30),
      timeMs: t0 + 60_000,
    });
  }
  const dispatch = decodeAll(datagrams, Number.POSITIVE_INFINITY);
  assert.equal(dispatch.count, 1200);
  assert.equal(JSON.parse(dispatch.flows)[0].flowStartMilliseconds, t0, 'the flow start stays');
  const made = decodeAll(datagrams, 0);
  assert.deepEqual(made.errors, dispatch.errors);
  assert.equal(made.flows, dispatch.flows);
});
