/**
 * A host's days (hostdays.ts) on a real DuckDB store: a range cutting days
 * in the middle, whole closed days kept and merged, every sum exact against
 * the flows written; and the same days and timeline (timeline.ts) from a
 * two-shard ClickHouse cluster.
 */

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { FlowBatch } from '../flow/batch.js';
import { emptyRecord, type FlowRecord } from '../flow/record.js';
import { DuckFlowStore } from '../store/duckdb/index.js';
import { openStore } from '../store/open.js';
import { scratchDir } from '../testing/api.js';
import { startCluster } from '../testing/clickhouse.js';
import { hasTool, requireTool } from '../testing/helpers.js';
import { rng } from '../testing/rng.js';
import { HostDays, topOf } from './hostdays.js';
import { HostTimelines } from './timeline.js';

const DAY = 86_400_000;
const D0 = Date.parse('2026-10-01T00:00:00Z');
const HOST = '140.112.7.7';
let scratch: ReturnType<typeof scratchDir>;
let store: DuckFlowStore;
const flows: FlowRecord[] = [];

before(async () => {
  scratch = scratchDir();
  store = await DuckFlowStore.open(join(scratch.dir, 'data'));
  const r = rng(3);
  // Four days; the host talks to 30 peers on a few ports both ways, among others' flows.
  for (let i = 0; i < 6000; i++) {
    const end = D0 + Math.floor(r() * 4 * DAY);
    const peer = `192.0.2.${1 + Math.floor(r() ** 2 * 30)}`;
    const mine = r() < 0.7;
    const out = r() < 0.5;
    const src = mine ? (out ? HOST : peer) : `198.51.100.${1 + (i % 50)}`;
    const dst = mine ? (out ? peer : HOST) : peer;
    flows.push({
      ...emptyRecord(),
      flowStartMilliseconds: end - 100,
      flowEndMilliseconds: end,
      sourceIPAddress: src,
      destinationIPAddress: dst,
      sourceTransportPort: 40000 + (i % 1000),
      destinationTransportPort: [22, 80, 443, 53][Math.floor(r() ** 2 * 4)]!,
      protocolIdentifier: 6,
      packetDeltaCount: 1 + (i % 7),
      octetDeltaCount: 40 * (1 + (i % 13)),
    });
  }
  const b = new FlowBatch(1 << 14);
  for (const f of flows) b.push(f);
  await store.append(b);
  await store.flush();
});

after(async () => {
  await store.close();
  scratch.remove();
});

function expected(from: number, to: number) {
  const inR = flows.filter((f) => f.flowEndMilliseconds >= from && f.flowEndMilliseconds < to);
  const out = inR.filter((f) => f.sourceIPAddress === HOST);
  const inn = inR.filter((f) => f.destinationIPAddress === HOST);
  const sum = (xs: FlowRecord[]) => ({
    flows: xs.length,
    packets: xs.reduce((n, f) => n + f.packetDeltaCount, 0),
    bytes: xs.reduce((n, f) => n + f.octetDeltaCount, 0),
  });
  const peers = new Map<string, number>();
  const ports = new Map<string, number>();
  for (const f of [...out, ...inn]) {
    const p = f.sourceIPAddress === HOST ? f.destinationIPAddress : f.sourceIPAddress;
    peers.set(p, (peers.get(p) ?? 0) + 1);
    ports.set(String(f.destinationTransportPort), (ports.get(String(f.destinationTransportPort)) ?? 0) + 1);
  }
  return { out: sum(out), in: sum(inn), peers, ports };
}

/** The real store, counting the queries asked of it. */
function counting(real: DuckFlowStore) {
  let asked = 0;
  const wrapped = new Proxy(real, {
    get(t, k, recv) {
      if (k !== 'queryFlows') return Reflect.get(t, k, recv);
      return (...a: Parameters<DuckFlowStore['queryFlows']>) => {
        asked++;
        return t.queryFlows(...a);
      };
    },
  });
  return {
    store: wrapped,
    asked: () => asked,
    reset: () => {
      asked = 0;
    },
  };
}

const flowsOf = (m: Map<string, { flows: number }>) =>
  new Map([...m.entries()].map(([k, v]) => [String(k), v.flows]));

test('a range that cuts days: exact totals, peers and ports, the same again from the kept days', async () => {
  const spy = counting(store);
  const spied = spy.store;
  const days = new HostDays(spied, () => D0 + 30 * DAY);
  const from = D0 + DAY / 2;
  const to = D0 + 3 * DAY + 3_600_000;
  const want = expected(from, to);
  assert.ok(want.out.flows > 500 && want.in.flows > 500);
  const first = await days.summary(HOST, from, to);
  assert.deepEqual([first.out, first.in], [want.out, want.in]);
  assert.deepEqual(flowsOf(first.peers), want.peers);
  assert.deepEqual(
    flowsOf(first.ports as Map<unknown, { flows: number }> as Map<string, { flows: number }>),
    want.ports,
  );
  assert.equal(spy.asked(), 1, 'one stretch: one query');
  // Again: days 2 and 3 are kept; the two partial days are asked for, each a stretch of its own.
  spy.reset();
  const again = await days.summary(HOST, from, to);
  assert.deepEqual([again.out, again.in], [want.out, want.in]);
  assert.deepEqual(topOf(again.peers, 5), topOf(first.peers, 5));
  assert.equal(spy.asked(), 2);
  // A whole kept day asks nothing.
  spy.reset();
  const day2 = await days.summary(HOST, D0 + DAY, D0 + 2 * DAY);
  assert.equal(spy.asked(), 0);
  assert.deepEqual(
    [day2.out, day2.in],
    [expected(D0 + DAY, D0 + 2 * DAY).out, expected(D0 + DAY, D0 + 2 * DAY).in],
  );
});

test("the days query fills the timeline's buckets in passing: the same points, no second scan", async () => {
  const now = () => D0 + 30 * DAY;
  // From 17 minutes into an hour: that first bucket is cut, so the timeline asks for it alone.
  const from = D0 + DAY / 2 + 17 * 60_000;
  const to = D0 + 3 * DAY;
  const want = await new HostTimelines(store, now).series(HOST, from, to, 3_600_000);
  const inR = flows.filter((f) => f.flowEndMilliseconds >= want[0]!.t && f.flowEndMilliseconds < to);
  assert.equal(
    want.reduce((n, p) => n + p.flowsOut, 0),
    inR.filter((f) => f.sourceIPAddress === HOST).length,
  );
  const spy = counting(store);
  const timeline = new HostTimelines(spy.store, now);
  await new HostDays(spy.store, now).summary(HOST, from, to, timeline.sink(HOST, 3_600_000));
  assert.equal(spy.asked(), 1);
  spy.reset();
  assert.deepEqual(await timeline.series(HOST, from, to, 3_600_000), want);
  assert.equal(spy.asked(), 1, 'only the cut first bucket');
});

test('a day not closed yet is asked for every time', async () => {
  const spy = counting(store);
  const spied = spy.store;
  // "Now" is five minutes after day 2 ended: within the grace, so day 2 is not kept.
  const days = new HostDays(spied, () => D0 + 2 * DAY + 300_000);
  await days.summary(HOST, D0 + DAY, D0 + 2 * DAY);
  await days.summary(HOST, D0 + DAY, D0 + 2 * DAY);
  assert.equal(spy.asked(), 2);
});

test('the same days and timeline from a two-shard ClickHouse cluster', async (t) => {
  if (!hasTool('clickhouse-server')) {
    requireTool(t, 'clickhouse-server');
    return;
  }
  const cluster = await startCluster();
  try {
    const ch = await openStore(cluster.url.replace('/default?', `/fh_hostdays_${process.pid}?`));
    try {
      const b = new FlowBatch(1 << 14);
      for (const f of flows) b.push(f);
      await ch.append(b);
      await ch.flush();
      const now = () => D0 + 30 * DAY;
      const from = D0 + DAY / 3 + 17 * 60_000;
      const to = D0 + 4 * DAY;
      const [a, c] = await Promise.all([
        new HostDays(store, now).summary(HOST, from, to),
        new HostDays(ch, now).summary(HOST, from, to),
      ]);
      assert.deepEqual([c.out, c.in], [a.out, a.in]);
      assert.deepEqual(topOf(c.peers, 40), topOf(a.peers, 40));
      assert.deepEqual(topOf(c.ports, 10), topOf(a.ports, 10));
      const want = await new HostTimelines(store, now).series(HOST, from, to, 3_600_000);
      assert.deepEqual(await new HostTimelines(ch, now).series(HOST, from, to, 3_600_000), want);
      // The buckets the days query fills in passing are the same.
      const filled = new HostTimelines(ch, now);
      await new HostDays(ch, now).summary(HOST, from, to, filled.sink(HOST, 3_600_000));
      assert.deepEqual(await filled.series(HOST, from, to, 3_600_000), want);
    } finally {
      await ch.close();
    }
  } finally {
    cluster.stop();
  }
});

test('a late flow into a kept closed day is in the next answer: totals, peers, ports and its bucket', async () => {
  const spy = counting(store);
  const now = () => D0 + 30 * DAY;
  const timeline = new HostTimelines(spy.store, now);
  const days = new HostDays(spy.store, now);
  const [from, to] = [D0, D0 + 4 * DAY];
  await days.summary(HOST, from, to, timeline.sink(HOST, 3_600_000));
  const points = await timeline.series(HOST, from, to, 3_600_000);
  spy.reset();
  // Nothing new: every day and bucket from memory.
  await days.summary(HOST, from, to);
  await timeline.series(HOST, from, to, 3_600_000);
  assert.equal(spy.asked(), 0);
  // Day 2, 05:00-06:00: the host sends one more flow, to a peer it never had, on a port it never used.
  const late: FlowRecord = {
    ...emptyRecord(),
    flowStartMilliseconds: D0 + DAY + 5 * 3_600_000 + 10,
    flowEndMilliseconds: D0 + DAY + 5 * 3_600_000 + 20,
    sourceIPAddress: HOST,
    destinationIPAddress: '203.0.113.99',
    sourceTransportPort: 50000,
    destinationTransportPort: 8443,
    protocolIdentifier: 6,
    packetDeltaCount: 3,
    octetDeltaCount: 999,
  };
  const b = new FlowBatch(16);
  b.push(late);
  await store.append(b);
  await store.flush();
  flows.push(late);
  spy.reset();
  const got = await days.summary(HOST, from, to, timeline.sink(HOST, 3_600_000));
  const want = expected(from, to);
  assert.deepEqual([got.out, got.in], [want.out, want.in]);
  assert.deepEqual(flowsOf(got.peers), want.peers);
  assert.deepEqual(flowsOf(got.ports as unknown as Map<string, { flows: number }>), want.ports);
  assert.deepEqual(got.peers.get('203.0.113.99'), { flows: 1, packets: 3, bytes: 999 });
  // Only the changed day was read again; the timeline's buckets came with it.
  assert.equal(spy.asked(), 1);
  const after = await timeline.series(HOST, from, to, 3_600_000);
  assert.equal(spy.asked(), 1);
  const i = 24 + 5;
  assert.deepEqual(
    [
      after[i]!.flowsOut - points[i]!.flowsOut,
      after[i]!.bytesOut - points[i]!.bytesOut,
      after[i]!.peers - points[i]!.peers,
    ],
    [1, 999, 1],
  );
  assert.deepEqual(
    after.filter((_, k) => k !== i),
    points.filter((_, k) => k !== i),
  );
});
