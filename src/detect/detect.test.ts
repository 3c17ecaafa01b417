import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FlowBatch } from '../flow/batch.js';
import { DuckFlowStore } from '../store/duckdb/index.js';
import { tempDir } from '../testing/helpers.js';
import { W0, WIN, labelledWindow as window } from '../testing/windows.js';
import { detectRange, detectWindow } from './index.js';
import type { Report } from './report.js';
import { defaultThresholds } from './thresholds.js';

async function storeWith(t: Parameters<typeof tempDir>[0], windows: number) {
  const s = await DuckFlowStore.open(tempDir(t));
  for (let w = 0; w < windows; w++) {
    const b = new FlowBatch(1 << 16);
    for (const f of window(W0 + w * WIN, w + 1).flows) b.push(f);
    await s.append(b);
  }
  await s.flush();
  return s;
}

test('each behaviour gets its type, and clients, servers, NAT gateways and resolvers get no report', async (t) => {
  const s = await storeWith(t, 1);
  try {
    const { reports } = await detectWindow(s, W0, {}, { thresholds: defaultThresholds() });
    const got = new Map(reports.map((r) => [`${r.role}|${r.ip}`, r.type]));
    for (const [key, type] of Object.entries(window(W0).truth)) {
      assert.equal(got.get(key) ?? null, type, key);
    }
    const expected = Object.values(window(W0).truth).filter((x) => x !== null).length;
    const unexpected = reports.filter((r) => !(`${r.role}|${r.ip}` in window(W0).truth));
    assert.deepEqual(
      unexpected.map((r) => `${r.type} ${r.role} ${r.ip}`),
      [],
    );
    assert.equal(reports.length, expected);
  } finally {
    await s.close();
  }
});

test('a report carries the profile an operator reads: shares, top values, signatures, ingress', async (t) => {
  const s = await storeWith(t, 1);
  try {
    const { reports } = await detectWindow(s, W0, {}, { thresholds: defaultThresholds() });
    const scan = reports.find((r) => r.ip === '203.0.113.5')!;
    assert.equal(scan.metrics.flows, 3000);
    assert.equal(scan.metrics.peers, 3000);
    assert.deepEqual(
      scan.profile.protocols.top.map((v) => [v.value, v.share]),
      [['6', 1]],
    );
    assert.deepEqual(scan.profile.ppo.top[0], {
      value: '2375-1-40',
      flows: 3000,
      packets: 3000,
      bytes: 120000,
      share: 1,
    });
    assert.equal(scan.profile.srcPorts.distinct > 1000, true, 'ephemeral source ports');
    assert.ok(scan.exceeded.some((e) => e.metric === 'distinct targets' && e.value === 3000));
    const ssh = reports.find((r) => r.ip === '198.18.7.7')!;
    assert.equal(ssh.profile.ppo.top[0]!.value, '22-4-240');
    assert.ok(ssh.profile.ppo.top[0]!.share > 0.7);
    const ddos = reports.find((r) => r.ip === '140.114.9.9')!;
    assert.equal(ddos.ingress![0]!.interface, 7);
    assert.ok(ddos.ingress![0]!.packetShare > 0.8);
    assert.match(ddos.mitigation!, /198\.51\.100\.1 interface 7/);
    const refl = reports.find((r) => r.ip === '140.115.3.3')!;
    assert.equal(refl.reflectors!.length, 10);
    assert.equal(refl.profile.srcPorts.top[0]!.value, '123');
  } finally {
    await s.close();
  }
});

test('duration tracking: first window, streak and share across windows; a replay gives the same reports', async (t) => {
  const s = await storeWith(t, 3);
  try {
    const o = { thresholds: defaultThresholds() };
    const run1 = await detectRange(s, W0, W0 + 3 * WIN, o);
    const last = run1[2]!.reports.find((r) => r.ip === '203.0.113.5')!;
    assert.deepEqual(
      {
        first: last.duration.firstWindow,
        since: last.duration.windowsSinceFirst,
        n: last.duration.anomalousWindows,
        streak: last.duration.streak,
        share: last.duration.share,
        minutes: last.duration.minutes,
      },
      { first: W0, since: 3, n: 3, streak: 3, share: 1, minutes: 15 },
    );
    const stored = (await s.getDocs<Report>('reports')).flatMap((p) => p.docs);
    // Replaying the last window alone continues from the stored state of the one before.
    const again = await detectRange(s, W0 + 2 * WIN, W0 + 3 * WIN, o);
    assert.deepEqual(again[0]!.reports, run1[2]!.reports);
    const stored2 = (await s.getDocs<Report>('reports')).flatMap((p) => p.docs);
    assert.equal(stored2.length, stored.length, 'a replay replaces, never duplicates');
  } finally {
    await s.close();
  }
});

test('a replay over two years of a store holding two windows detects only those (and the last of their day), with the same reports', async (t) => {
  const s = await storeWith(t, 2);
  try {
    const o = { thresholds: defaultThresholds() };
    const dense = (await detectRange(s, W0, W0 + 2 * WIN, o)).flatMap((r) => r.reports);
    const progress: number[] = [];
    const sparse = await detectRange(
      s,
      Date.parse('2025-01-01T00:00:00Z'),
      Date.parse('2027-01-01T00:00:00Z'),
      o,
      undefined,
      (p) => progress.push(p.total),
    );
    assert.deepEqual(
      sparse.map((r) => new Date(r.windowStart).toISOString()),
      [
        '2026-11-20T10:00:00.000Z',
        '2026-11-20T10:05:00.000Z',
        '2026-11-20T23:55:00.000Z',
        '2026-12-31T23:55:00.000Z',
      ],
    );
    assert.deepEqual(progress, [4, 4, 4, 4]);
    assert.deepEqual(
      sparse.flatMap((r) => r.reports),
      dense,
    );
  } finally {
    await s.close();
  }
});
