import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { FlowBatch } from '../flow/batch.js';
import { emptyRecord, type FlowRecord } from '../flow/record.js';
import { fixture, tempDir } from '../testing/helpers.js';
import { readAll } from '../testing/import.js';
import { jsonlFormat } from './jsonl.js';

const flow = (p: Partial<FlowRecord>): FlowRecord => ({ ...emptyRecord(), ...p });
const T0 = 1795176000000; // 2026-11-20T12:00:00Z

/** V8's own message for bad JSON, which the reject message quotes. */
function jsonError(text: string): string {
  try {
    JSON.parse(text);
    return '';
  } catch (e) {
    return (e as Error).message;
  }
}

test('jsonl: values, v4/v6 folding, seconds and ISO times, names for protocol and flags, defaults', async () => {
  const r = await readAll(jsonlFormat, fixture(import.meta.url, 'flows.jsonl'));
  assert.deepEqual(r.flows, [
    // Every field spelled out; flow() adds only columns the list gains later, at their empty value.
    flow({
      flowStartMilliseconds: T0 + 123,
      flowEndMilliseconds: T0 + 5456,
      sourceIPAddress: '10.1.2.3',
      destinationIPAddress: '192.0.2.80',
      sourceTransportPort: 40001,
      destinationTransportPort: 443,
      protocolIdentifier: 6,
      tcpControlBits: 27,
      packetDeltaCount: 12,
      octetDeltaCount: 5174,
      ingressInterface: 3,
      egressInterface: 7,
      ipClassOfService: 32,
      bgpSourceAsNumber: 64512,
      bgpDestinationAsNumber: 4200000000,
      ipNextHopAddress: '172.16.0.1',
      flowDirection: 1,
      exporterIPAddress: '198.51.100.1',
      samplingInterval: 1,
      label: 'botnet-a',
    }),
    flow({
      flowStartMilliseconds: T0 + 10250,
      flowEndMilliseconds: T0 + 11500,
      sourceIPAddress: '2001:db8::1',
      destinationIPAddress: '2001:db8::2',
      sourceTransportPort: 443,
      destinationTransportPort: 51000,
      protocolIdentifier: 6,
      tcpControlBits: 0x12,
      exporterIPAddress: '2001:db8::fe',
    }),
    flow({ flowStartMilliseconds: T0, flowEndMilliseconds: T0, sourceIPAddress: '10.9.9.9' }),
    // line 5: ISO times without a zone are UTC; samplingInterval 0 means unsampled; unknown keys ignored
    flow({
      flowStartMilliseconds: T0 + 250,
      flowEndMilliseconds: T0 + 1000,
      destinationIPAddress: '192.0.2.1',
    }),
    // line 6: sampled counters are taken as already scaled
    flow({
      flowStartMilliseconds: T0,
      flowEndMilliseconds: T0,
      packetDeltaCount: 100,
      octetDeltaCount: 150000,
      samplingInterval: 100,
    }),
  ]);
  assert.deepEqual(r.rejects, [
    { where: 7, message: 'destinationTransportPort: expected a whole number from 0 to 65535, got 70000' },
    {
      where: 8,
      message: `invalid JSON: ${jsonError('{"flowEndMilliseconds":1795176000000,')}`,
    },
    { where: 9, message: 'not a JSON object' },
    { where: 10, message: 'sourceIPv4Address: expected an IPv4 address, got "2001:db8::1"' },
    {
      where: 11,
      message: 'no flow time: flowEndMilliseconds or flowStartMilliseconds (or ...Seconds) is required',
    },
    { where: 12, message: 'sourceIPAddress and sourceIPv4Address disagree' },
    {
      where: 13,
      message: `packetDeltaCount: expected a whole number from 0 to ${Number.MAX_SAFE_INTEGER}, got "12"`,
    },
    { where: 14, message: 'label: expected a string, got 5' },
    { where: 15, message: 'flowEndMilliseconds is before flowStartMilliseconds' },
    {
      where: 16,
      message: 'flowEndMilliseconds: expected epoch milliseconds or an ISO 8601 time, got -5',
    },
  ]);
});

test('jsonl: flows as flowhunt prints them read back unchanged', async (t) => {
  const sent: FlowRecord[] = [
    flow({ flowStartMilliseconds: T0, flowEndMilliseconds: T0 + 1, sourceIPAddress: '10.0.0.1', label: 'x' }),
    flow({
      flowStartMilliseconds: T0 + 5,
      flowEndMilliseconds: T0 + 9,
      sourceIPAddress: '2001:db8::5',
      destinationIPAddress: '::ffff:0:1', // not v4-mapped: stays IPv6
      ipNextHopAddress: 'fe80::1',
      packetDeltaCount: 2 ** 40,
      octetDeltaCount: 2 ** 52,
      samplingInterval: 1000,
    }),
  ];
  const b = new FlowBatch(4);
  for (const f of sent) b.push(f);
  const path = join(tempDir(t), 'out.jsonl');
  writeFileSync(
    path,
    b
      .records()
      .map((f) => `${JSON.stringify(f)}\n`)
      .join(''),
  );
  const r = await readAll(jsonlFormat, path);
  assert.deepEqual(r.rejects, []);
  assert.deepEqual(r.flows, b.records());
});

test('jsonl: a line longer than the limit is rejected without holding it', async (t) => {
  const path = join(tempDir(t), 'long.jsonl');
  const big = `{"label":"${'x'.repeat(3 * 1024 * 1024)}","flowEndMilliseconds":1}`;
  writeFileSync(path, `{"flowEndMilliseconds":1}\n${big}\n{"flowEndMilliseconds":2}\n`);
  const r = await readAll(jsonlFormat, path);
  assert.deepEqual(
    r.flows.map((f) => f.flowEndMilliseconds),
    [1, 2],
  );
  assert.deepEqual(r.rejects, [{ where: 2, message: 'line longer than 1048576 characters (not jsonl?)' }]);
});

test('jsonl: sniffs a first line that opens an object', () => {
  assert.equal(jsonlFormat.sniff(Buffer.from('\n  {"flowEndMilliseconds":1}\n'), 'x'), true);
  assert.equal(jsonlFormat.sniff(Buffer.from('ts,te,td\n'), 'x'), false);
});
