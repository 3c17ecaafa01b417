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
import { sql } from '../store/sql.js';
import type { FlowStore } from '../store/types.js';

const T0 = Date.parse('2026-11-20T23:58:00Z');

/**
 * 600 flows over two days, every tenth IPv6. Every field is set to something
 * other than its empty value in some of them, so that the round trip below
 * holds each engine's writer and reader to the whole column list: a column
 * added to `flow/schema.ts` fails here until it has a value in these flows.
 */
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
      egressInterface: 3 + (i % 4),
      ipClassOfService: 8 + (i % 4) * 32,
      bgpSourceAsNumber: 64500 + (i % 3),
      bgpDestinationAsNumber: 4_200_000_000 + (i % 5),
      ipNextHopAddress: v6 ? '2001:db8::fe' : '192.0.2.254',
      flowDirection: (i + 1) % 2,
      exporterIPAddress: '198.51.100.1',
      samplingInterval: i % 10 === 0 ? 100 : 1,
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

  test(`${name}: a fan-out-and-group declaration gives the groups a plain loop over the flows gives`, async () => {
    const s = await opts.open();
    try {
      await s.append(batch());
      await s.flush();
      const range = { from: T0, to: Date.parse('2026-11-21T00:00:00Z') };
      const d = s.dialect;
      const spec = (marks: boolean) => ({
        range,
        columns: ['proto', 'dport', 'sport', 'packets', 'bytes', 'in_if'],
        ...(marks ? { marks: [['is_u', sql`proto = 17`] as const, ['is_p', sql`dport = 22`] as const] } : {}),
        names: ['role', 'key', 'one'],
        group: ['role', 'key'],
        aggregates: [
          { as: 'n', fn: 'count' as const },
          { as: 'b', fn: 'sum' as const, of: 'bytes' },
          { as: 'ones', fn: 'sum' as const, of: 'one' },
          { as: 'ds', fn: 'countDistinct' as const, of: 'sport' },
          { as: 'dones', fn: 'countDistinct' as const, of: 'one' },
        ],
        branches: [
          { ...(marks ? { when: 'is_u' } : {}), values: { role: '0', key: 'packets', one: '1' } },
          {
            ...(marks ? { when: 'is_p' } : {}),
            values: { role: '1', key: 'in_if', one: 'CASE WHEN proto = 6 THEN 1 ELSE 0 END' },
          },
          { values: { role: '2', key: 'proto', one: '0' } },
        ],
      });
      const expect = (marks: boolean) => {
        const inRange = flows.filter(
          (f) => f.flowEndMilliseconds >= range.from && f.flowEndMilliseconds < range.to,
        );
        const u = (f: FlowRecord) => !marks || f.protocolIdentifier === 17;
        const p = (f: FlowRecord) => !marks || f.destinationTransportPort === 22;
        const read = inRange.filter((f) => u(f) || p(f));
        const groups = new Map<
          string,
          { n: number; b: number; ones: number; sports: Set<number>; distinctOnes: Set<number> }
        >();
        const add = (role: number, key: number, one: number, f: FlowRecord) => {
          const k = `${role}/${key}`;
          const g = groups.get(k) ?? {
            n: 0,
            b: 0,
            ones: 0,
            sports: new Set<number>(),
            distinctOnes: new Set<number>(),
          };
          g.distinctOnes.add(one);
          g.n++;
          g.b += f.octetDeltaCount;
          g.ones += one;
          g.sports.add(f.sourceTransportPort);
          groups.set(k, g);
        };
        for (const f of read) {
          if (u(f)) add(0, f.packetDeltaCount, 1, f);
          if (p(f)) add(1, f.ingressInterface, f.protocolIdentifier === 6 ? 1 : 0, f);
          add(2, f.protocolIdentifier, 0, f);
        }
        return [...groups.entries()]
          .map(([k, g]) => `${k}: ${g.n} ${g.b} ${g.ones} ${g.sports.size} ${g.distinctOnes.size}`)
          .sort();
      };
      for (const marks of [false, true]) {
        const rows = await s.queryFlows(range, (from) => d.fanGroup(from, spec(marks)));
        const got = rows
          .map(
            (r) =>
              `${Number(r['role'])}/${Number(r['key'])}: ${Number(r['n'])} ${Number(r['b'])} ${Number(r['ones'])} ${Number(r['ds'])} ${Number(r['dones'])}`,
          )
          .sort();
        assert.ok(got.length > 10, `${got.length} groups`);
        assert.deepEqual(got, expect(marks), marks ? 'with marks' : 'without marks');
      }
      assert.throws(
        () => d.fanGroup(sql`x`, { ...spec(false), names: ['role', 'key', 'proto'] }),
        /also a flow column/,
      );
    } finally {
      await s.close();
    }
  });

  test(`${name}: appended flows come back exactly, every field`, async () => {
    const s = await opts.open();
    try {
      await s.append(batch());
      await s.flush();
      assert.deepEqual(await s.totals({}), sum(flows));
      const got = await s.list({}, 10_000);
      const empty = emptyRecord();
      for (const k of Object.keys(empty) as (keyof FlowRecord)[])
        assert.ok(
          flows.some((f) => f[k] !== empty[k]),
          `the sample flows set ${k}, so its round trip is checked`,
        );
      assert.deepEqual(
        got,
        [...flows].sort((a, b) => a.flowEndMilliseconds - b.flowEndMilliseconds),
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

  test(`${name}: a statistic with its totals gives the rows of stat and the totals of the same flows`, async () => {
    const s = await opts.open();
    try {
      await s.append(batch());
      await s.flush();
      const udp = sql`proto = ${17}`;
      const udpFlows = flows.filter((f) => f.protocolIdentifier === 17);
      const mid = T0 + 300 * 400;
      const late = flows.filter((f) => f.flowEndMilliseconds >= mid);
      // One side and two sides (each flow in two groups, counted once in the totals), a filter, a time range.
      const cases = [
        { q: {}, key: 'srcip', want: flows },
        { q: {}, key: 'ip', want: flows },
        { q: { where: udp }, key: 'port', want: udpFlows },
        { q: { from: mid }, key: 'dstport', want: late },
        { q: { where: sql`dport = ${1}` }, key: 'srcip', want: [] },
      ] as const;
      for (const c of cases) {
        const both = await s.statWithTotals(c.q, c.key, 'bytes', 2);
        assert.deepEqual(both.total, sum([...c.want]), `${c.key} totals`);
        assert.deepEqual(both.rows, await s.stat(c.q, c.key, 'bytes', 2), `${c.key} rows`);
        assert.equal(both.rows.length, Math.min(2, c.want.length === 0 ? 0 : 2));
      }
      // Both sides: an address's peers are the other ends of the flows it sent and of those it received.
      const ips = await s.statWithTotals({}, 'ip', 'flows', 3);
      for (const r of ips.rows) {
        const other = new Set<string>();
        for (const f of flows) {
          if (f.sourceIPAddress === r.key) other.add(f.destinationIPAddress);
          if (f.destinationIPAddress === r.key) other.add(f.sourceIPAddress);
        }
        assert.equal(r.peers, other.size, `ip ${r.key} peers`);
      }
      const ports = await s.statWithTotals({}, 'dstport', 'flows', 10);
      // dport 22 every fourth flow, 443 the rest; peers: distinct sources of each.
      assert.deepEqual(
        ports.rows.map((r) => [r.key, r.flows, r.peers]),
        [
          [
            '443',
            450,
            new Set(flows.filter((f) => f.destinationTransportPort === 443).map((f) => f.sourceIPAddress))
              .size,
          ],
          [
            '22',
            150,
            new Set(flows.filter((f) => f.destinationTransportPort === 22).map((f) => f.sourceIPAddress))
              .size,
          ],
        ],
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

  test(`${name}: document versions change exactly for the partitions written again, on every handle`, async () => {
    const s = await opts.open();
    const r = opts.reopen ? await opts.reopen() : s;
    try {
      assert.deepEqual(await r.docVersions('reports'), []);
      await s.putDocs('reports', '2026-11-20T10-05', [{ id: 'a' }]);
      await s.putDocs('reports', '2026-11-20T10-10', [{ id: 'b' }]);
      const v1 = await r.docVersions('reports');
      assert.deepEqual(
        v1.map((v) => v.partition),
        ['2026-11-20T10-05', '2026-11-20T10-10'],
      );
      // A backfill writes an older window; a replay rewrites one with the same documents.
      await s.putDocs('reports', '2026-11-19T23-55', [{ id: 'c' }]);
      await s.putDocs('reports', '2026-11-20T10-10', [{ id: 'b' }]);
      const v2 = new Map((await r.docVersions('reports')).map((v) => [v.partition, v.version]));
      assert.deepEqual([...v2.keys()], ['2026-11-19T23-55', '2026-11-20T10-05', '2026-11-20T10-10']);
      assert.equal(v2.get('2026-11-20T10-05'), v1[0]!.version);
      assert.notEqual(v2.get('2026-11-20T10-10'), v1[1]!.version);
      assert.deepEqual(await r.docVersions('findings'), []);
    } finally {
      if (r !== s) await r.close();
      await s.close();
    }
  });
}
