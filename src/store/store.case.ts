/**
 * @module The store contract, run against every engine.
 *
 * Each engine's test file calls {@link runStoreContract} with a factory; the
 * two engines cannot drift apart without one of them failing here.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FlowBatch } from '../flow/batch.js';
import { emptyRecord, type FlowRecord } from '../flow/record.js';
import { sql } from './sql.js';
import type { FlowStore } from './types.js';

const T0 = Date.parse('2026-11-20T23:58:00Z');

export function sampleFlows(): FlowRecord[] {
  const out: FlowRecord[] = [];
  for (let i = 0; i < 600; i++) {
    const v6 = i % 10 === 0;
    out.push({
      ...emptyRecord(),
      flowStartMilliseconds: T0 + i * 400,
      // Half the flows end on 2026-11-20, half on 2026-11-21: two partitions.
      flowEndMilliseconds: T0 + i * 400 + 250,
      sourceIPAddress: v6 ? `2001:db8::${((i % 7) + 1).toString(16)}` : `10.0.${i % 3}.${i % 7}`,
      destinationIPAddress: `192.0.2.${i % 50}`,
      sourceTransportPort: 40000 + i,
      destinationTransportPort: i % 4 === 0 ? 22 : 443,
      protocolIdentifier: i % 5 === 0 ? 17 : 6,
      tcpControlBits: i % 5 === 0 ? 0 : 0x1b,
      packetDeltaCount: 1 + (i % 9),
      octetDeltaCount: 40 + i * 3,
      ingressInterface: 1 + (i % 2),
      exporterIPAddress: '198.51.100.1',
      samplingInterval: 1,
      label: i % 100 === 0 ? 'labelled' : null,
    });
  }
  return out;
}

export interface ContractOptions {
  /** Opens an empty store; the suite closes it. */
  open(): Promise<FlowStore>;
  /** Opens a second handle on the same data (another process in real life). */
  reopen?(): Promise<FlowStore>;
}

export function runStoreContract(name: string, opts: ContractOptions): void {
  const flows = sampleFlows();
  const batch = () => {
    const b = new FlowBatch(16);
    for (const f of flows) b.push(f);
    return b;
  };
  const sum = (fs: FlowRecord[]) => ({
    flows: fs.length,
    packets: fs.reduce((a, f) => a + f.packetDeltaCount, 0),
    bytes: fs.reduce((a, f) => a + f.octetDeltaCount, 0),
  });

  test(`${name}: appended flows come back exactly, every field`, async () => {
    const s = await opts.open();
    try {
      await s.append(batch());
      await s.flush();
      assert.deepEqual(await s.totals({}), sum(flows));
      const got = await s.list({}, 10_000);
      const key = (f: FlowRecord) => `${f.flowEndMilliseconds}|${f.sourceIPAddress}`;
      assert.deepEqual(
        got.map(key),
        [...flows].sort((a, b) => a.flowEndMilliseconds - b.flowEndMilliseconds).map(key),
      );
      assert.deepEqual(got[0], flows[0]);
      assert.deepEqual(
        got.find((f) => f.sourceIPAddress.includes(':')),
        flows.find((f) => f.sourceIPAddress.includes(':')),
      );
    } finally {
      await s.close();
    }
  });

  test(`${name}: nothing is visible before flush, everything after`, async () => {
    const s = await opts.open();
    try {
      await s.append(batch());
      assert.equal((await s.totals({})).flows, 0);
      await s.flush();
      assert.equal((await s.totals({})).flows, flows.length);
    } finally {
      await s.close();
    }
  });

  test(`${name}: time ranges are half-open on flowEnd and prune by day`, async () => {
    const s = await opts.open();
    try {
      await s.append(batch());
      await s.flush();
      const mid = Date.parse('2026-11-21T00:00:00Z');
      const before = flows.filter((f) => f.flowEndMilliseconds < mid);
      assert.deepEqual(await s.totals({ to: mid }), sum(before));
      assert.deepEqual(await s.totals({ from: mid }), sum(flows.filter((f) => f.flowEndMilliseconds >= mid)));
      const days = await s.days();
      assert.deepEqual(
        days.map((d) => [d.day, d.flows]),
        [
          ['2026-11-20', before.length],
          ['2026-11-21', flows.length - before.length],
        ],
      );
      const one = flows[123]!;
      assert.equal(
        (await s.totals({ from: one.flowEndMilliseconds, to: one.flowEndMilliseconds + 1 })).flows,
        1,
      );
    } finally {
      await s.close();
    }
  });

  test(`${name}: top-N statistics aggregate in the engine`, async () => {
    const s = await opts.open();
    try {
      await s.append(batch());
      await s.flush();
      const rows = await s.stat({}, 'srcip', 'flows', 3);
      const bySrc = new Map<string, FlowRecord[]>();
      for (const f of flows) bySrc.set(f.sourceIPAddress, [...(bySrc.get(f.sourceIPAddress) ?? []), f]);
      const want = [...bySrc.entries()]
        .map(([k, fs]) => ({
          key: k,
          ...sum(fs),
          peers: new Set(fs.map((f) => f.destinationIPAddress)).size,
        }))
        .sort((a, b) => b.flows - a.flows || 0);
      assert.equal(rows.length, 3);
      for (const r of rows) {
        const w = want.find((x) => x.key === r.key)!;
        assert.deepEqual(
          [r.flows, r.packets, r.bytes, r.peers],
          [w.flows, w.packets, w.bytes, w.peers],
          r.key,
        );
      }
      assert.equal(rows[0]!.flows, want[0]!.flows);
      const ports = await s.stat({}, 'dstport', 'bytes', 10);
      assert.deepEqual(ports.map((p) => p.key).sort(), ['22', '443']);
      const proto = await s.stat({ where: sql`proto = ${17}` }, 'proto', 'flows', 10);
      assert.deepEqual(
        proto.map((p) => [p.key, p.flows]),
        [['17', flows.filter((f) => f.protocolIdentifier === 17).length]],
      );
      const both = await s.stat({}, 'ip', 'flows', 1000);
      assert.equal(
        both.reduce((a, r) => a + r.flows, 0),
        flows.length * 2,
        'ip counts each flow for both sides',
      );
    } finally {
      await s.close();
    }
  });

  test(`${name}: a second handle sees flushed data; retention drops whole old days`, async () => {
    const s = await opts.open();
    try {
      await s.append(batch());
      await s.flush();
      if (opts.reopen) {
        const r = await opts.reopen();
        try {
          assert.equal((await r.totals({})).flows, flows.length);
        } finally {
          await r.close();
        }
      }
      const dropped = await s.retain(1, Date.parse('2026-11-21T12:00:00Z'));
      assert.deepEqual(dropped, ['2026-11-20']);
      assert.equal(
        (await s.totals({})).flows,
        flows.filter((f) => f.flowEndMilliseconds >= Date.parse('2026-11-21')).length,
      );
    } finally {
      await s.close();
    }
  });
}
