import assert from 'node:assert/strict';
import { test } from 'node:test';
import { detectRange } from '../detect/index.js';
import type { Report } from '../detect/report.js';
import { defaultThresholds } from '../detect/thresholds.js';
import { FlowBatch } from '../flow/batch.js';
import { emptyRecord, type FlowRecord } from '../flow/record.js';
import { DuckFlowStore } from '../store/duckdb/index.js';
import { tempDir } from '../testing/helpers.js';
import { rng } from '../testing/rng.js';
import { learnSignatures } from './catalog.js';
import { families } from './families.js';
import { type Finding, huntRange } from './hunt.js';
import { signatureMaster, suspiciousIps } from './master.js';
import { isBareProbe, parseSignature, strength } from './signature.js';

const DAY0 = Date.parse('2026-11-20T00:00:00Z');
const HOUR = 3_600_000;

interface Truth {
  members: Set<string>;
  decoys: Set<string>;
}

/** Two days: large attackers in one window of day 1, small members and decoys trickling all day. */
function traffic(): { flows: FlowRecord[]; truth: Truth } {
  const r = rng(7);
  const flows: FlowRecord[] = [];
  const members = new Set<string>();
  const decoys = new Set<string>();
  const f = (end: number, x: Partial<FlowRecord>): FlowRecord => ({
    ...emptyRecord(),
    flowStartMilliseconds: end - 800,
    flowEndMilliseconds: end,
    protocolIdentifier: 6,
    tcpControlBits: 0x1b,
    ...x,
  });
  const target = (i: number) => `140.${112 + (i % 3)}.${(i >> 8) & 255}.${i & 255}`;
  const eph = () => 32768 + Math.floor(r() * 28000);
  // Large SSH attacker: 22-4-240 on 85% of 2000 targets in the 10:00 window.
  for (let i = 0; i < 2000; i++) {
    const sig = r() < 0.85;
    flows.push(
      f(DAY0 + 10 * HOUR + Math.floor(r() * 290_000), {
        sourceIPAddress: '185.1.1.1',
        destinationIPAddress: target(i),
        sourceTransportPort: eph(),
        destinationTransportPort: 22,
        packetDeltaCount: sig ? 4 : 6,
        octetDeltaCount: sig ? 240 : 380,
      }),
    );
  }
  // Large bare SYN scanner of Docker in the same window.
  for (let i = 0; i < 3000; i++) {
    flows.push(
      f(DAY0 + 10 * HOUR + Math.floor(r() * 290_000), {
        sourceIPAddress: '185.2.2.2',
        destinationIPAddress: target(i),
        sourceTransportPort: eph(),
        destinationTransportPort: 2375,
        tcpControlBits: 2,
        packetDeltaCount: 1,
        octetDeltaCount: 40,
      }),
    );
  }
  for (let day = 0; day < 2; day++) {
    // Small-scale members: 10..300 targets a day each, one session per target, spread over the day.
    for (let m = 0; m < 25; m++) {
      const ip = `45.${10 + m}.${day}.9`;
      members.add(ip);
      const n = 10 + Math.floor(r() * 290);
      for (let i = 0; i < n; i++) {
        const sig = r() < 0.8;
        flows.push(
          f(DAY0 + day * 24 * HOUR + Math.floor(r() * 24 * HOUR), {
            sourceIPAddress: ip,
            destinationIPAddress: target(i * 7 + m),
            sourceTransportPort: eph(),
            destinationTransportPort: 22,
            packetDeltaCount: sig ? 4 : 5,
            octetDeltaCount: sig ? 240 : 300,
          }),
        );
      }
    }
    // Near-miss decoys: same port and packets, other octets.
    for (let m = 0; m < 5; m++) {
      const ip = `77.${m}.${day}.1`;
      decoys.add(ip);
      for (let i = 0; i < 100; i++) {
        flows.push(
          f(DAY0 + day * 24 * HOUR + Math.floor(r() * 24 * HOUR), {
            sourceIPAddress: ip,
            destinationIPAddress: target(i),
            sourceTransportPort: eph(),
            destinationTransportPort: 22,
            packetDeltaCount: 4,
            octetDeltaCount: 252,
          }),
        );
      }
    }
    // A legitimate SSH client returning to its three servers all day, some sessions matching exactly.
    decoys.add('140.112.9.9');
    for (let i = 0; i < 120; i++) {
      flows.push(
        f(DAY0 + day * 24 * HOUR + i * 600_000, {
          sourceIPAddress: '140.112.9.9',
          destinationIPAddress: `192.0.2.${1 + (i % 3)}`,
          sourceTransportPort: eph(),
          destinationTransportPort: 22,
          packetDeltaCount: 4,
          octetDeltaCount: 240,
        }),
      );
    }
    // An SSH server answering: its flows come from port 22.
    decoys.add('140.113.0.22');
    for (let i = 0; i < 500; i++) {
      flows.push(
        f(DAY0 + day * 24 * HOUR + i * 100_000, {
          sourceIPAddress: '140.113.0.22',
          destinationIPAddress: `60.1.${i >> 8}.${i & 255}`,
          sourceTransportPort: 22,
          destinationTransportPort: eph(),
          packetDeltaCount: 4,
          octetDeltaCount: 240,
        }),
      );
    }
  }
  return {
    flows: flows.sort((a, b) => a.flowEndMilliseconds - b.flowEndMilliseconds),
    truth: { members, decoys },
  };
}

test('signature strength: more packets and payload rank higher; bare SYN probes rank last', () => {
  const s = (t: string) => parseSignature(t)!;
  assert.ok(isBareProbe(s('2375-1-40')) && isBareProbe(s('23-1-44')) && isBareProbe(s('445-1-52')));
  assert.ok(!isBareProbe(s('22-4-240')) && !isBareProbe(s('53-1-80/udp')));
  assert.equal(strength(s('2375-1-40'), 50), 0);
  assert.ok(strength(s('1433-3-152'), 1) > strength(s('2375-1-40'), 100));
  assert.ok(strength(s('22-6-600'), 1) > strength(s('22-4-240'), 1));
  assert.ok(strength(s('22-4-240'), 5) > strength(s('22-4-240'), 1));
  assert.equal(parseSignature('22-4-3'), undefined, 'fewer octets than packets is impossible');
  assert.equal(parseSignature('70000-1-40'), undefined);
});

test('learn from the large attackers, hunt the days, find every small member and no decoy', async (t) => {
  const store = await DuckFlowStore.open(tempDir(t));
  try {
    const { flows, truth } = traffic();
    const b = new FlowBatch(1 << 16);
    for (const x of flows) b.push(x);
    await store.append(b);
    await store.flush();
    await detectRange(store, DAY0 + 10 * HOUR, DAY0 + 10 * HOUR + 300_000, {
      thresholds: defaultThresholds(),
    });
    const reports = (await store.getDocs<Report>('reports')).flatMap((p) => p.docs);
    const sigs = learnSignatures(reports);
    assert.deepEqual(
      sigs.map((s) => [s.signature, s.attackers.map((a) => a.ip)]),
      [
        ['22-4-240', ['185.1.1.1']],
        ['2375-1-40', ['185.2.2.2']],
      ],
    );
    const large = new Set(reports.map((x) => x.ip));
    const found = await huntRange(store, DAY0, DAY0 + 2 * 24 * HOUR, sigs, undefined, large);
    const ssh = found.filter((f) => f.signature === '22-4-240');
    const foundIps = new Set(ssh.map((f) => f.ip));
    for (const m of truth.members) assert.ok(foundIps.has(m), `member ${m} found`);
    for (const d of truth.decoys) assert.ok(!foundIps.has(d), `decoy ${d} not reported`);
    assert.deepEqual(
      [...foundIps].filter((ip) => !truth.members.has(ip)),
      ['185.1.1.1'],
    );
    assert.equal(ssh.find((f) => f.ip === '185.1.1.1')!.largeScale, true);
    // Every finding row is exact: recount one member's flows by hand.
    const one = ssh.find((f) => f.ip === '45.10.0.9')!;
    const mine = flows.filter(
      (x) => x.sourceIPAddress === '45.10.0.9' && x.octetDeltaCount === 240 && x.packetDeltaCount === 4,
    );
    assert.deepEqual(
      [one.flows, one.destinations, one.sourcePorts],
      [
        mine.length,
        new Set(mine.map((x) => x.destinationIPAddress)).size,
        new Set(mine.map((x) => x.sourceTransportPort)).size,
      ],
    );
    // Stored per day, idempotently: hunting again replaces, and the master tables fold both days.
    await huntRange(store, DAY0, DAY0 + 2 * 24 * HOUR, sigs, undefined, large);
    const stored = (await store.getDocs<Finding>('findings')).flatMap((p) => p.docs);
    assert.equal(stored.length, found.length);
    const suspects = suspiciousIps(stored, reports);
    assert.equal(suspects.find((s) => s.ip === '185.1.1.1')!.largeScale, true);
    const master = signatureMaster(stored, sigs);
    assert.equal(master[0]!.signature, '22-4-240');
    assert.equal(master[0]!.hosts, truth.members.size + 1);
    const fams = families(stored);
    assert.equal(fams[0]!.size, truth.members.size + 1);
    assert.deepEqual(fams[0]!.signatures, ['22-4-240']);
    assert.ok(!fams.some((f) => f.signatures.includes('2375-1-40')), 'bare probes link no family');
  } finally {
    await store.close();
  }
});

test('exports: CSV quoting, a sorted blocklist, and a STIX 2.1 bundle of indicators', async () => {
  const { exportFindings, exportSuspects, stixBundle } = await import('./export.js');
  const f: Finding[] = [
    {
      day: '2026-11-20',
      signature: '22-4-240',
      protocol: 6,
      ip: '45.1.1.1',
      destinations: 12,
      flows: 12,
      sourcePorts: 12,
      firstSeen: DAY0,
      lastSeen: DAY0 + 1,
      role: 'client',
      sessionsPerTarget: 1,
      largeScale: false,
    },
    {
      day: '2026-11-21',
      signature: '22-4-240',
      protocol: 6,
      ip: '2001:db8::5',
      destinations: 3,
      flows: 3,
      sourcePorts: 3,
      firstSeen: DAY0 + 86_400_000,
      lastSeen: DAY0 + 86_400_001,
      role: 'client',
      sessionsPerTarget: 1,
      largeScale: true,
    },
  ];
  const csv = exportFindings('csv', f).trim().split('\n');
  assert.equal(
    csv[0],
    'day,signature,protocol,ip,destinations,flows,sourcePorts,firstSeen,lastSeen,role,largeScale',
  );
  assert.equal(csv.length, 3);
  assert.equal(exportFindings('blocklist', f), '45.1.1.1\n2001:db8::5\n');
  const suspects = suspiciousIps(f);
  const bundle = stixBundle(suspects, DAY0) as {
    type: string;
    objects: { type: string; id: string; pattern?: string; spec_version: string }[];
  };
  assert.equal(bundle.type, 'bundle');
  const ind = bundle.objects.filter((o) => o.type === 'indicator');
  assert.deepEqual(ind.map((o) => o.pattern).sort(), [
    "[ipv4-addr:value = '45.1.1.1']",
    "[ipv6-addr:value = '2001:db8::5']",
  ]);
  for (const o of bundle.objects) {
    assert.equal(o.spec_version, '2.1');
    assert.match(o.id, /^[a-z-]+--[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  }
  assert.equal(exportSuspects('stix', suspects, DAY0), exportSuspects('stix', suspects, DAY0), 'stable ids');
});
