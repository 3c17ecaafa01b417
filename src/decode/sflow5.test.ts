import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { FlowBatch } from '../flow/batch.js';
import { emptyRecord, type FlowRecord } from '../flow/record.js';
import {
  frame,
  sflowCounterSample,
  sflowDatagram,
  sflowFlowSample,
  sflowRawHeader,
  tsharkJson,
  writePcap,
} from '../testing/datagrams.js';
import { requireTool, tempDir } from '../testing/helpers.js';
import { DecoderState, decodeSflow } from './index.js';

const RECEIVED = 1_700_000_000_000;

/** A flow sample (IPv4 TCP SYN in a VLAN), an expanded flow sample (IPv6 UDP) and a counter sample. */
function datagrams(): Uint8Array[] {
  return [
    sflowDatagram({ agent: '10.0.0.1', seq: 7, uptime: 123456 }, [
      sflowFlowSample({
        seq: 1,
        sourceIndex: 3,
        rate: 512,
        pool: 5120,
        input: 3,
        output: 4,
        records: [
          sflowRawHeader(
            frame({
              src: '10.1.1.1',
              dst: '10.2.2.2',
              proto: 6,
              sport: 40000,
              dport: 22,
              flags: 2,
              tos: 0x10,
              vlan: 100,
            }),
          ),
        ],
      }),
      sflowFlowSample(
        {
          seq: 2,
          sourceIndex: 5,
          rate: 1000,
          pool: 9000,
          input: 5,
          output: 6,
          records: [
            sflowRawHeader(
              frame({
                src: '2001:db8::1',
                dst: '2001:db8::2',
                proto: 17,
                sport: 5353,
                dport: 53,
                payload: 30,
              }),
            ),
          ],
        },
        true,
      ),
      sflowCounterSample(3, 3),
    ]),
    sflowDatagram({ agent: '2001:db8::99', subAgent: 1, seq: 1, uptime: 5000 }, [
      sflowCounterSample(1, 9),
      sflowFlowSample({
        seq: 9,
        sourceIndex: 2,
        rate: 64,
        pool: 64,
        input: 2,
        output: 0x3fffffff,
        records: [
          sflowRawHeader(
            frame({ src: '192.0.2.10', dst: '198.51.100.7', proto: 17, sport: 123, dport: 123, payload: 48 }),
          ),
        ],
      }),
    ]),
  ];
}

function decodeAll(): { records: FlowRecord[]; state: DecoderState } {
  const state = new DecoderState();
  const out = new FlowBatch();
  for (const d of datagrams()) assert.deepEqual(decodeSflow(state, d, RECEIVED, out).errors, []);
  return { records: out.records(), state };
}

test('sFlow flow and expanded flow samples become flows scaled by the sampling rate; counter samples are skipped', () => {
  const { records, state } = decodeAll();
  assert.equal(records.length, 3);
  assert.deepEqual(records[0], {
    // Every field spelled out; the spread adds only columns the list gains later, at their empty value.
    ...emptyRecord(),
    flowStartMilliseconds: RECEIVED,
    flowEndMilliseconds: RECEIVED,
    sourceIPAddress: '10.1.1.1',
    destinationIPAddress: '10.2.2.2',
    sourceTransportPort: 40000,
    destinationTransportPort: 22,
    protocolIdentifier: 6,
    tcpControlBits: 2,
    packetDeltaCount: 512,
    octetDeltaCount: 40 * 512,
    ingressInterface: 3,
    egressInterface: 4,
    ipClassOfService: 0x10,
    bgpSourceAsNumber: 0,
    bgpDestinationAsNumber: 0,
    ipNextHopAddress: '0.0.0.0',
    flowDirection: 0,
    exporterIPAddress: '10.0.0.1',
    samplingInterval: 512,
    label: null,
  });
  assert.equal(records[1]!.sourceIPAddress, '2001:db8::1');
  assert.equal(records[1]!.octetDeltaCount, (40 + 8 + 30) * 1000);
  assert.equal(records[1]!.samplingInterval, 1000);
  assert.equal(records[2]!.exporterIPAddress, '2001:db8::99');
  // 0x3fffffff in the compact form is format 0 with all value bits set: an ifIndex, as sFlow defines.
  assert.equal(records[2]!.egressInterface, 0x3fffffff);
  assert.equal(state.records, 3);
});

test('sFlow decode equals tshark on the same datagrams', async (t) => {
  if (!requireTool(t, 'tshark')) return;
  const file = join(tempDir(t), 'sflow.pcap');
  writeFileSync(file, writePcap(datagrams().map((payload) => ({ payload, dport: 6343 }))));
  type O = Record<string, unknown>;
  const want: Partial<FlowRecord>[] = [];
  for (const layers of await tsharkJson(file)) {
    const s = layers['sflow'] as O;
    for (const [k, v] of Object.entries(s)) {
      if (!/^(Expanded flow|Flow) sample/.test(k)) continue;
      const f = v as O;
      const h = ((f['Raw packet header'] as O)['sflow_245.header_tree'] ?? {}) as O;
      const ip4 = h['ip'] as O | undefined;
      const ip6 = h['ipv6'] as O | undefined;
      const l4 = (h['tcp'] ?? h['udp']) as O;
      const rate = Number(f['sflow.flow_sample.sampling_rate']);
      const outTree = (f['sflow.flow_sample.output_interface_tree'] ?? {}) as O;
      const ipLen = ip4 ? Number(ip4['ip.len']) : Number(ip6!['ipv6.plen']) + 40;
      want.push({
        sourceIPAddress: String(ip4 ? ip4['ip.src'] : ip6!['ipv6.src']),
        destinationIPAddress: String(ip4 ? ip4['ip.dst'] : ip6!['ipv6.dst']),
        protocolIdentifier: Number(ip4 ? ip4['ip.proto'] : ip6!['ipv6.nxt']),
        ipClassOfService: Number(ip4 ? ip4['ip.dsfield'] : ip6!['ipv6.tclass']),
        sourceTransportPort: Number(l4['tcp.srcport'] ?? l4['udp.srcport']),
        destinationTransportPort: Number(l4['tcp.dstport'] ?? l4['udp.dstport']),
        tcpControlBits: Number(l4['tcp.flags'] ?? 0),
        ingressInterface: Number(
          f['sflow.flow_sample.input_interface'] ?? f['sflow.flow_sample.input_interface_value'],
        ),
        egressInterface: Number(
          outTree['sflow.flow_sample.output_interface_value'] ??
            f['sflow.flow_sample.output_interface_value'],
        ),
        samplingInterval: rate,
        packetDeltaCount: rate,
        octetDeltaCount: ipLen * rate,
        exporterIPAddress: String(s['sflow_245.agent'] ?? s['sflow_245.agent.v6']),
      });
    }
  }
  const { records } = decodeAll();
  assert.equal(records.length, want.length);
  records.forEach((r, k) => {
    for (const [name, value] of Object.entries(want[k]!))
      assert.equal(r[name as keyof FlowRecord], value, `${name} of ${k}`);
  });
});

test('sFlow sequence gaps are counted per agent and sub-agent', () => {
  const state = new DecoderState();
  const out = new FlowBatch();
  for (const seq of [1, 2, 5, 6])
    decodeSflow(state, sflowDatagram({ agent: '10.0.0.1', seq, uptime: 1 }, []), 0, out);
  decodeSflow(state, sflowDatagram({ agent: '10.0.0.1', subAgent: 2, seq: 100, uptime: 1 }, []), 0, out);
  assert.equal(state.lost, 2);
  assert.equal(state.exporterStats()[0]!.sequenceGaps, 2);
});

test('a truncated sFlow datagram yields a labelled error and the samples before it', () => {
  const d = datagrams()[0]!;
  const state = new DecoderState();
  const out = new FlowBatch();
  const r = decodeSflow(state, d.subarray(0, d.length - 20), 0, out);
  assert.equal(r.records, 2);
  assert.equal(r.errors.length, 1);
  assert.equal(r.errors[0]!.code, 'bad-sample');
  assert.equal(r.errors[0]!.exporter, '10.0.0.1');
  assert.equal(state.errorCounts['bad-sample'], 1);
});
