import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { FlowBatch } from '../flow/batch.js';
import { emptyRecord } from '../flow/record.js';
import { readPcapPayloads } from '../testing/datagrams.js';
import { fixture } from '../testing/helpers.js';
import { encodeNetflowV5 } from '../testing/nfcapd.js';
import { DecoderState, decodePacket } from './index.js';

const EXPORTER = [0, 0, 0xffff, 0xc0000201] as const;

test('NetFlow v5 records round-trip every field the format carries', () => {
  const r = {
    ...emptyRecord(),
    flowStartMilliseconds: 1_700_000_000_123,
    flowEndMilliseconds: 1_700_000_059_456,
    sourceIPAddress: '10.1.2.3',
    destinationIPAddress: '192.168.9.8',
    sourceTransportPort: 51515,
    destinationTransportPort: 443,
    protocolIdentifier: 6,
    tcpControlBits: 0x1b,
    packetDeltaCount: 42,
    octetDeltaCount: 31337,
    ingressInterface: 3,
    egressInterface: 65000,
    ipClassOfService: 0x28,
    bgpSourceAsNumber: 64512,
    bgpDestinationAsNumber: 15169,
    ipNextHopAddress: '10.0.0.254',
    exporterIPAddress: '192.0.2.1',
  };
  const out = new FlowBatch();
  const res = decodePacket(new DecoderState(), EXPORTER, encodeNetflowV5([r])[0]!, 0, out);
  assert.deepEqual(res, { records: 1, errors: [] });
  assert.deepEqual(out.records(), [r]);
});

test('the header sampling interval scales the counters (Juniper MX80, 1 in 1000)', () => {
  const [p] = readPcapPayloads(readFileSync(fixture(import.meta.url, 'netflow5_test_juniper_mx80.pcap')));
  const out = new FlowBatch();
  decodePacket(new DecoderState(), p!.source, p!.payload, 0, out);
  assert.equal(out.length, 29);
  const r = out.record(0);
  assert.equal(r.samplingInterval, 1000);
  assert.equal(r.packetDeltaCount % 1000, 0);
  assert.ok(r.packetDeltaCount > 0);
});

test('the flow sequence counts flows: a gap is lost flows, per engine', () => {
  const state = new DecoderState();
  const out = new FlowBatch();
  const rec = { ...emptyRecord(), flowStartMilliseconds: 1e12, flowEndMilliseconds: 1e12 };
  const pkt = (seq: number, engine = 0) => {
    const b = encodeNetflowV5([rec, rec, rec], seq)[0]!;
    b.writeUInt8(engine, 21);
    return b;
  };
  for (const p of [pkt(0), pkt(3), pkt(10), pkt(500, 1), pkt(13)]) decodePacket(state, EXPORTER, p, 0, out);
  assert.equal(state.lost, 4);
});

test('a header count that disagrees with the datagram decodes the records present and says so', () => {
  const [p] = readPcapPayloads(readFileSync(fixture(import.meta.url, 'netflow5_test_invalid01.pcap')));
  const out = new FlowBatch();
  const r = decodePacket(new DecoderState(), p!.source, p!.payload, 0, out);
  assert.equal(r.records, 30);
  assert.deepEqual(
    r.errors.map((e) => [e.code, e.version, e.exporter]),
    [['bad-count', 5, '192.0.2.1']],
  );
});

test('NetFlow v1 (softflowd) decodes', () => {
  const out = new FlowBatch();
  const payload = readFileSync(fixture(import.meta.url, 'softflowd/PACKET_V1.bin'));
  const r = decodePacket(new DecoderState(), EXPORTER, payload, 0, out);
  assert.deepEqual(r.errors, []);
  assert.ok(r.records > 0);
  assert.equal(r.records, out.length);
});
