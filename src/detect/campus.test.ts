import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import { DAY_MS, FlowBatch } from '../flow/batch.js';
import { emptyRecord } from '../flow/record.js';
import { learnAndHunt } from '../hunt/run.js';
import { DuckFlowStore } from '../store/duckdb/index.js';
import { openStore } from '../store/open.js';
import type { FlowStore } from '../store/types.js';
import { CAMPUS_TRUTH, CAMPUS_WIN, campusWindow } from '../testing/campus.js';
import { startCluster } from '../testing/clickhouse.js';
import { hasTool, requireTool, tempDir } from '../testing/helpers.js';
import type { BaselineDoc } from './baseline.js';
import { detectRange } from './index.js';
import type { Report } from './report.js';
import { defaultThresholds } from './thresholds.js';

const DAY = Date.parse('2026-11-24T00:00:00Z');
const HOUR = 3_600_000;

/** Normal windows of `[from, to)`, then `attacks` attack windows. */
async function fill(
  store: FlowStore,
  from: number,
  to: number,
  attacks: number,
  seed: number,
): Promise<number> {
  let w = from;
  for (; w < to + attacks * CAMPUS_WIN; w += CAMPUS_WIN) {
    const b = new FlowBatch(1 << 16);
    for (const f of campusWindow(w, { attacks: w >= to, seed })) b.push(f);
    await store.append(b);
  }
  await store.flush();
  return w;
}

/** Every labelled host gets its type in each attack window, and nothing else is reported in any window. */
function assertTruth(reports: readonly Report[], attackFrom: number, attackTo: number): void {
  for (let w = attackFrom; w < attackTo; w += CAMPUS_WIN) {
    const got = new Map(reports.filter((r) => r.windowStart === w).map((r) => [`${r.role}|${r.ip}`, r]));
    for (const [key, type] of Object.entries(CAMPUS_TRUTH))
      assert.equal(got.get(key)?.type ?? null, type, `${new Date(w).toISOString()} ${key}`);
  }
  const unexpected = reports.filter(
    (r) => !(`${r.role}|${r.ip}` in CAMPUS_TRUTH) || r.windowStart < attackFrom,
  );
  assert.deepEqual(
    unexpected.map(
      (r) => `${new Date(r.windowStart).toISOString().slice(11, 16)} ${r.type} ${r.role} ${r.ip}`,
    ),
    [],
  );
}

async function campusDay(t: TestContext, store: FlowStore, seed: number) {
  // A first day: an hour and a half of normal traffic (the poller returns to its list every window), then two
  // attack windows. Detection starts half an hour in: a poller is known as one once the store holds half an
  // hour of its returns (a new poller is reported in its first half hour, as a new scanner would be).
  const from = DAY + 10 * HOUR;
  const attackFrom = from + 90 * 60_000;
  const end = await fill(store, from, attackFrom, 2, seed);
  const results = await detectRange(store, from + 30 * 60_000, end, { thresholds: defaultThresholds() });
  void t;
  return { reports: results.flatMap((r) => r.reports), attackFrom, end };
}

for (const seed of [1, 2]) {
  test(`campus (seed ${seed}), first day: brute forcer, ICMP sweep, UDP and ICMP floods with their targets, a distributed scan; no poller, NAT, server or client`, async (t) => {
    const s = await DuckFlowStore.open(tempDir(t));
    try {
      const { reports, attackFrom, end } = await campusDay(t, s, seed);
      assertTruth(reports, attackFrom, end);
      const brute = reports.find((r) => r.ip === '10.20.5.5')!;
      assert.deepEqual(brute.service, { proto: 6, port: 22, targets: 50 });
      assert.equal(brute.baseline, 'this window');
      const targets = brute.exceeded.find((e) => e.metric === 'distinct targets')!;
      assert.equal(targets.value, 50);
      assert.ok(targets.basis, 'the threshold says what it was judged against');
      const flood = reports.find((r) => r.role === 'destination' && r.ip === '203.0.113.99')!;
      assert.deepEqual(flood.floodedBy, ['10.20.8.8']);
      const crowd = reports.find((r) => r.type === 'distributed-scan')!;
      assert.equal(crowd.crowd!.prefix, '10.20.9.0/24');
      assert.equal(crowd.crowd!.members.length, 120);
      assert.ok(crowd.crowd!.members.every((m) => m.targets === 3 && m.flows === 3));
      assert.equal(crowd.profile.ppo.top[0]!.value, '23-1-44');
    } finally {
      await s.close();
    }
  });
}

test('campus, second day: judged against the stored baseline of the day before (learned once, a document of that day)', async (t) => {
  const s = await DuckFlowStore.open(tempDir(t));
  try {
    // The day before: normal traffic spread over the day.
    for (let h = 0; h < 24; h += 2)
      await fill(s, DAY - DAY_MS + h * HOUR, DAY - DAY_MS + h * HOUR + 2 * CAMPUS_WIN, 0, 3);
    const from = DAY + 9 * HOUR;
    const attackFrom = from + HOUR;
    const end = await fill(s, from, attackFrom, 2, 3);
    const detectFrom = from + 30 * 60_000;
    const reports = (await detectRange(s, detectFrom, end, { thresholds: defaultThresholds() })).flatMap(
      (r) => r.reports,
    );
    assertTruth(reports, attackFrom, end);
    const docs = await s.getDocs<BaselineDoc>('baseline');
    assert.deepEqual(
      docs.map((p) => p.partition),
      ['2026-11-23'],
    );
    assert.equal(docs[0]!.docs[0]!.windows, 12);
    assert.ok(reports.every((r) => r.baseline === 'day 2026-11-23'));
    const brute = reports.find((r) => r.ip === '10.20.5.5')!;
    const basis = brute.exceeded.find((e) => e.metric === 'distinct targets')!.basis!;
    assert.equal(basis.from, 'day 2026-11-23');
  } finally {
    await s.close();
  }
});

test('campus on DuckDB and on a two-shard ClickHouse cluster: the same baseline and the same reports', async (t) => {
  if (!hasTool('clickhouse-server')) {
    requireTool(t, 'clickhouse-server');
    return;
  }
  const cluster = await startCluster();
  try {
    const duck = await DuckFlowStore.open(tempDir(t));
    const ch = await openStore(cluster.url.replace('/default?', `/fh_campus_${process.pid}?`));
    try {
      const run = async (s: FlowStore) => {
        for (let h = 0; h < 24; h += 4)
          await fill(s, DAY - DAY_MS + h * HOUR, DAY - DAY_MS + h * HOUR + CAMPUS_WIN, 0, 4);
        const end = await fill(s, DAY + 10 * HOUR, DAY + 10 * HOUR + 8 * CAMPUS_WIN, 2, 4);
        const reports = (
          await detectRange(s, DAY + 10 * HOUR + 6 * CAMPUS_WIN, end, { thresholds: defaultThresholds() })
        ).flatMap((r) => r.reports);
        return { reports, baseline: await s.getDocs('baseline') };
      };
      const a = await run(duck);
      const b = await run(ch);
      assert.ok(a.reports.length >= 14, `${a.reports.length} reports`);
      assert.deepEqual(b.baseline, a.baseline);
      assert.deepEqual(b.reports, a.reports);
    } finally {
      await duck.close();
      await ch.close();
    }
  } finally {
    cluster.stop();
  }
});

test('a distributed scan teaches its combination to the catalog (crowd-learned), and the hunt finds its members and the quiet ones that come later', async (t) => {
  const s = await DuckFlowStore.open(tempDir(t));
  try {
    const { reports, end } = await campusDay(t, s, 1);
    // Later that day: ten quiet telnet probers, five addresses each of another campus /24: no crowd, no threshold.
    const later = new FlowBatch(64);
    for (let q = 0; q < 10; q++)
      for (let k = 0; k < 5; k++)
        later.push({
          ...emptyRecord(),
          flowStartMilliseconds: end + HOUR + q * 60_000 + k * 1000,
          flowEndMilliseconds: end + HOUR + q * 60_000 + k * 1000 + 1,
          sourceIPAddress: `185.7.${q}.9`,
          destinationIPAddress: `10.20.30.${10 + q * 5 + k}`,
          sourceTransportPort: 40_000 + q * 10 + k,
          destinationTransportPort: 23,
          protocolIdentifier: 6,
          tcpControlBits: 0x02,
          packetDeltaCount: 1,
          octetDeltaCount: 44,
          exporterIPAddress: '192.0.2.1',
        });
    await s.append(later);
    await s.flush();
    const { catalog, findings } = await learnAndHunt(s, reports, DAY, DAY + DAY_MS);
    const sig = catalog.find((x) => x.signature === '23-1-44')!;
    assert.ok(sig, 'the crowd combination is a signature');
    assert.equal(sig.crowdReports, 2);
    assert.equal(sig.attackers.length, 120);
    const found = new Set(findings.filter((f) => f.signature === '23-1-44').map((f) => f.ip));
    for (let q = 0; q < 10; q++) assert.ok(found.has(`185.7.${q}.9`), `later member 185.7.${q}.9`);
    const crowd = reports.find((r) => r.type === 'distributed-scan')!.crowd!;
    assert.equal(crowd.members.filter((m) => found.has(m.ip)).length, 120);
  } finally {
    await s.close();
  }
});
