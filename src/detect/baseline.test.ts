import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FlowBatch } from '../flow/batch.js';
import { emptyRecord, type FlowRecord } from '../flow/record.js';
import { DuckFlowStore } from '../store/duckdb/index.js';
import { tempDir } from '../testing/helpers.js';
import { W0 } from '../testing/windows.js';
import { learnedValue, learnTails, limitOf, mergeTails, modulusFor, serviceKey } from './baseline.js';
import { defaultThresholds } from './thresholds.js';

const B = defaultThresholds().baseline;
const desc = (n: number, from = n) => Array.from({ length: n }, (_, i) => from - i);

test('the learned value has at least minAbove host-windows above it, so a few attackers never set their own bar', () => {
  assert.equal(learnedValue({ n: 10, top: desc(10) }, B), undefined, 'ten host-windows are too few');
  assert.equal(learnedValue(undefined, B), undefined);
  // 300 host-windows: the 0.1 % tail is under one, so the 11th largest.
  assert.equal(learnedValue({ n: 300, top: desc(200, 500) }, B), 490);
  // Only five host-windows have anything: the 11th largest is 0.
  assert.equal(learnedValue({ n: 300, top: [9, 8, 7, 6, 5] }, B), 0);
  // 50,000 host-windows: 50 above it.
  assert.equal(learnedValue({ n: 50_000, top: desc(256, 1000) }, B), 950);
  // A million: past the 256 kept values the smallest kept one stands in (a higher bar, never lower).
  assert.equal(learnedValue({ n: 1_000_000, top: desc(256, 1000) }, B), 745);
});

test('a threshold is max(minimum, margin x learned), with what it was judged against', () => {
  const base = { from: 'day 2026-11-23', tails: { 'client.peers': { n: 300, top: desc(200, 500) } } };
  assert.deepEqual(limitOf(base, 'client.peers', 30, B), {
    value: 980,
    basis: { learned: 490, quantile: 0.999, margin: 2, n: 300, from: 'day 2026-11-23', minimum: 30 },
  });
  assert.equal(limitOf(base, 'client.peers', 5000, B).value, 5000);
  assert.deepEqual(limitOf(base, 'service.6.22', 30, B), {
    value: 30,
    basis: { quantile: 0.999, margin: 2, n: 0, from: 'day 2026-11-23', minimum: 30 },
  });
});

test('days merge into one tail: counts added, the largest values kept in order', () => {
  const m = mergeTails([{ a: { n: 3, top: [9, 4, 1] } }, { a: { n: 2, top: [7] }, b: { n: 1, top: [2] } }]);
  assert.deepEqual(m, { a: { n: 5, top: [9, 7, 4, 1] }, b: { n: 1, top: [2] } });
});

test('hosts are sampled one address in a power of two so that a window gives about sampleFlows flows', () => {
  assert.equal(modulusFor(400_000, 500_000), 1);
  assert.equal(modulusFor(30_000_000, 500_000), 64);
});

test('a window is learned per role and service with exact counts, small packets included (a real DuckDB store)', async (t) => {
  const store = await DuckFlowStore.open(tempDir(t));
  t.after(() => store.close());
  const b = new FlowBatch(16);
  const add = (f: Partial<FlowRecord>) =>
    b.push({
      ...emptyRecord(),
      flowStartMilliseconds: W0 + 1000,
      flowEndMilliseconds: W0 + 2000,
      protocolIdentifier: 6,
      ...f,
    });
  // A prober: five bare SYNs of 2 packets and 80 bytes to five SSH servers.
  for (let i = 1; i <= 5; i++)
    add({
      sourceIPAddress: '10.0.0.1',
      destinationIPAddress: `192.0.2.${i}`,
      sourceTransportPort: 40000 + i,
      destinationTransportPort: 22,
      tcpControlBits: 0x02,
      packetDeltaCount: 2,
      octetDeltaCount: 80,
    });
  // A downloader: two full-size flows to one web server, on two ports.
  for (const port of [443, 80])
    add({
      sourceIPAddress: '10.0.0.2',
      destinationIPAddress: '192.0.2.1',
      sourceTransportPort: 50000,
      destinationTransportPort: port,
      tcpControlBits: 0x1b,
      packetDeltaCount: 10,
      octetDeltaCount: 15_000,
    });
  // A server answering from 443 to three clients.
  for (let i = 1; i <= 3; i++)
    add({
      sourceIPAddress: '10.0.0.9',
      destinationIPAddress: `198.51.100.${i}`,
      sourceTransportPort: 443,
      destinationTransportPort: 50000 + i,
      tcpControlBits: 0x1b,
      packetDeltaCount: 4,
      octetDeltaCount: 400,
    });
  await store.append(b);
  await store.flush();
  const { tails, modulus } = await learnTails(
    store,
    [{ w0: W0, flows: b.length }],
    300_000,
    defaultThresholds(),
  );
  assert.equal(modulus, 1);
  const top = (k: string) => tails[k] && { n: tails[k].n, top: tails[k].top };
  assert.deepEqual(top('client.flows'), { n: 2, top: [5, 2] });
  assert.deepEqual(top('client.packets'), { n: 2, top: [20, 10] });
  // Only the prober's packets are small (40 bytes each); the downloader's 1,500-byte ones are not.
  assert.deepEqual(top('client.smallPackets'), { n: 2, top: [10] });
  assert.deepEqual(top('client.bytes'), { n: 2, top: [30_000, 400] });
  assert.deepEqual(top('client.peers'), { n: 2, top: [5, 1] });
  assert.deepEqual(top('client.ports'), { n: 2, top: [2, 1] });
  assert.deepEqual(top('client.synOnly'), { n: 2, top: [5] });
  assert.deepEqual(top('server.flows'), { n: 1, top: [3] });
  assert.deepEqual(top('server.smallPackets'), { n: 1, top: [12] });
  assert.deepEqual(top('server.peers'), { n: 1, top: [3] });
  // Destinations: 192.0.2.1 (one prober flow, two downloads), 192.0.2.2-5, 198.51.100.1-3.
  assert.deepEqual(top('destination.flows'), { n: 8, top: [3, 1, 1, 1, 1, 1, 1, 1] });
  assert.deepEqual(top('destination.peers'), { n: 8, top: [2, 1, 1, 1, 1, 1, 1, 1] });
  assert.deepEqual(top('destination.smallPackets'), { n: 8, top: [4, 4, 4, 2, 2, 2, 2, 2] });
  // Per service, the distinct targets of each client (a server's answers are not a service's targets).
  assert.deepEqual(top(serviceKey(6, 22)), { n: 1, top: [5] });
  assert.deepEqual(top(serviceKey(6, 443)), { n: 1, top: [1] });
  assert.deepEqual(top(serviceKey(6, 80)), { n: 1, top: [1] });
  assert.equal(tails[serviceKey(6, 50001)], undefined);
});
