import assert from 'node:assert/strict';
import { test } from 'node:test';
import { detectRange } from '../detect/index.js';
import type { Report } from '../detect/report.js';
import { defaultThresholds } from '../detect/thresholds.js';
import { FlowBatch } from '../flow/batch.js';
import { emptyRecord, type FlowRecord } from '../flow/record.js';
import { DuckFlowStore } from '../store/duckdb/index.js';
import { openStore } from '../store/open.js';
import type { FlowStore } from '../store/types.js';
import { startCluster } from '../testing/clickhouse.js';
import { hasTool, requireTool, tempDir } from '../testing/helpers.js';
import { rng } from '../testing/rng.js';
import { learnSignatures } from './catalog.js';
import { families, similarity } from './families.js';
import { DEFAULT_HUNT, type Finding, huntRange, mixSimilarity } from './hunt.js';
import { isProfile, parseSignature, signatureKey } from './signature.js';

const DAY0 = Date.parse('2026-11-20T00:00:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The family's three exchanges on MSSQL: a login refused, a login accepted, a server that hangs up. */
const MIX = [
  { packets: 5, octets: 420, weight: 0.45 },
  { packets: 4, octets: 320, weight: 0.3 },
  { packets: 3, octets: 210, weight: 0.25 },
];

interface Labelled {
  flows: FlowRecord[];
  members: Set<string>;
  retrying: Set<string>;
  decoys: Map<string, string>;
}

/**
 * Two days on port 1433: one large attacker in the 10:00 window of day 1
 * mixing three exchanges (45/30/25, none over half), small members of the
 * same family trickling all day (a fifth of them retrying each target two
 * or three times within a minute), and hosts that must not be found: near
 * misses with one other exchange, a legitimate client of the port with
 * varied sizes, a monitoring poller returning every five minutes with the
 * family's exchanges, and the server answering.
 */
function traffic(): Labelled {
  const r = rng(11);
  const flows: FlowRecord[] = [];
  const members = new Set<string>();
  const retrying = new Set<string>();
  const decoys = new Map<string, string>();
  const f = (end: number, x: Partial<FlowRecord>): FlowRecord => ({
    ...emptyRecord(),
    flowStartMilliseconds: end - 900,
    flowEndMilliseconds: end,
    protocolIdentifier: 6,
    tcpControlBits: 0x1b,
    destinationTransportPort: 1433,
    ...x,
  });
  const target = (i: number) => `140.${112 + (i % 3)}.${(i >> 8) & 255}.${i & 255}`;
  const eph = () => 32768 + Math.floor(r() * 28000);
  const pick = (mix: readonly { packets: number; octets: number; weight: number }[]) => {
    let u = r();
    for (const c of mix) {
      u -= c.weight;
      if (u < 0) return c;
    }
    return mix[mix.length - 1]!;
  };
  for (let i = 0; i < 1500; i++) {
    const c = pick(MIX);
    flows.push(
      f(DAY0 + 10 * HOUR + Math.floor(r() * 290_000), {
        sourceIPAddress: '185.3.3.3',
        destinationIPAddress: target(i),
        sourceTransportPort: eph(),
        packetDeltaCount: c.packets,
        octetDeltaCount: c.octets,
      }),
    );
  }
  for (let day = 0; day < 2; day++) {
    const d0 = DAY0 + day * DAY;
    for (let m = 0; m < 30; m++) {
      const ip = `46.${20 + m}.${day}.7`;
      members.add(ip);
      // Each member's own mix differs a little from the attacker's.
      const jitter = (r() - 0.5) * 0.1;
      const mine = [
        { ...MIX[0]!, weight: MIX[0]!.weight + jitter },
        { ...MIX[1]!, weight: MIX[1]!.weight - jitter / 2 },
        { ...MIX[2]!, weight: MIX[2]!.weight - jitter / 2 },
      ];
      const retries = m % 5 === 0 ? 2 + (m % 2) : 1;
      if (retries > 1) retrying.add(ip);
      const n = 4 + Math.floor(r() * 200);
      for (let i = 0; i < n; i++) {
        const at = d0 + Math.floor(r() * (DAY - 120_000));
        for (let k = 0; k < retries; k++) {
          const c = pick(mine);
          flows.push(
            f(at + k * 15_000, {
              sourceIPAddress: ip,
              destinationIPAddress: target(i * 11 + m),
              sourceTransportPort: eph(),
              packetDeltaCount: c.packets,
              octetDeltaCount: c.octets,
            }),
          );
        }
      }
    }
    for (let m = 0; m < 4; m++) {
      const ip = `77.9.${day}.${m + 1}`;
      decoys.set(ip, 'near miss: one other exchange (1433-5-424)');
      for (let i = 0; i < 120; i++)
        flows.push(
          f(d0 + Math.floor(r() * DAY), {
            sourceIPAddress: ip,
            destinationIPAddress: target(i * 5),
            sourceTransportPort: eph(),
            packetDeltaCount: 5,
            octetDeltaCount: 424,
          }),
        );
    }
    // A client of the port: 40 servers once each, varied sizes, a third of its flows on the family's exchanges
    // in the family's mix; only the coverage rule tells it apart.
    decoys.set('140.112.7.7', 'legitimate client with varied sizes');
    for (let i = 0; i < 120; i++) {
      const c =
        i % 3 === 0
          ? pick(MIX)
          : { packets: 6 + Math.floor(r() * 40), octets: 600 + Math.floor(r() * 40_000) };
      flows.push(
        f(d0 + i * 700_000, {
          sourceIPAddress: '140.112.7.7',
          destinationIPAddress: `192.0.2.${1 + (i % 40)}`,
          sourceTransportPort: eph(),
          packetDeltaCount: c.packets,
          octetDeltaCount: c.octets,
        }),
      );
    }
    // A login checker: 150 servers once a day, nearly always accepted (4-320); only the mix tells it apart.
    decoys.set('140.112.8.8', 'login checker with another mix');
    for (let i = 0; i < 150; i++) {
      const c = i % 20 === 0 ? MIX[0]! : MIX[1]!;
      flows.push(
        f(d0 + i * 500_000, {
          sourceIPAddress: '140.112.8.8',
          destinationIPAddress: `140.114.${i >> 8}.${i & 255}`,
          sourceTransportPort: eph(),
          packetDeltaCount: c.packets,
          octetDeltaCount: c.octets,
        }),
      );
    }
    // A poller that checks six servers every four hours: six sessions a target, but six visits.
    decoys.set('140.112.51.5', 'poller returning every four hours');
    for (let t = 0; t < 6; t++)
      for (let s = 0; s < 6; s++) {
        const c = MIX[(t + s) % 2]!;
        flows.push(
          f(d0 + t * 4 * HOUR + s * 1000 + 500, {
            sourceIPAddress: '140.112.51.5',
            destinationIPAddress: `140.113.8.${10 + s}`,
            sourceTransportPort: eph(),
            packetDeltaCount: c.packets,
            octetDeltaCount: c.octets,
          }),
        );
      }
    // A monitoring poller: every five minutes, six servers, the family's exchanges exactly.
    decoys.set('140.112.50.5', 'monitoring poller');
    for (let t = 0; t < 288; t++)
      for (let s = 0; s < 6; s++) {
        const c = MIX[(t + s) % 3]!;
        flows.push(
          f(d0 + t * 300_000 + s * 1000 + 500, {
            sourceIPAddress: '140.112.50.5',
            destinationIPAddress: `140.113.9.${10 + s}`,
            sourceTransportPort: eph(),
            packetDeltaCount: c.packets,
            octetDeltaCount: c.octets,
          }),
        );
      }
    // The database server answering from 1433.
    decoys.set('140.113.9.10', 'server answering');
    for (let i = 0; i < 400; i++)
      flows.push(
        f(d0 + i * 200_000 + 700, {
          sourceIPAddress: '140.113.9.10',
          destinationIPAddress: `60.2.${i >> 8}.${i & 255}`,
          sourceTransportPort: 1433,
          destinationTransportPort: eph(),
          packetDeltaCount: 4,
          octetDeltaCount: 320,
        }),
      );
  }
  return {
    flows: flows.sort((a, b) => a.flowEndMilliseconds - b.flowEndMilliseconds),
    members,
    retrying,
    decoys,
  };
}

async function learnAndHuntOn(store: FlowStore, t: Labelled) {
  const b = new FlowBatch(1 << 17);
  for (const x of t.flows) b.push(x);
  await store.append(b);
  await store.flush();
  await detectRange(store, DAY0 + 10 * HOUR, DAY0 + 10 * HOUR + 300_000, { thresholds: defaultThresholds() });
  const reports = (await store.getDocs<Report>('reports')).flatMap((p) => p.docs);
  const catalog = learnSignatures(reports);
  const large = new Set(reports.map((x) => x.ip));
  const found = await huntRange(store, DAY0, DAY0 + 2 * DAY, catalog, DEFAULT_HUNT, large);
  return { reports, catalog, found };
}

test('a family mixing three exchanges: its profile is learned from the large attacker and its small members, retrying or not, are found; no decoy is', async (t) => {
  const labelled = traffic();
  const store = await DuckFlowStore.open(tempDir(t));
  try {
    const { reports, catalog, found } = await learnAndHuntOn(store, labelled);
    const attacker = reports.find((x) => x.ip === '185.3.3.3');
    assert.ok(attacker, 'the large attacker is reported');
    assert.ok(attacker.profile.ppo.top[0]!.share < 0.5, 'no single combination covers half of its flows');
    assert.equal(catalog.length, 1, catalog.map((s) => s.signature).join(' '));
    const sig = catalog[0]!;
    assert.ok(isProfile(sig));
    // The fewest exchanges that cover half: the two heaviest.
    assert.equal(signatureKey(sig), '6/1433:4-320,5-420');
    assert.match(sig.signature, /^1433:5-420=\d\d,4-320=\d\d$/);
    assert.deepEqual(
      sig.attackers.map((a) => a.ip),
      ['185.3.3.3'],
    );
    assert.ok(sig.strength > 0);

    const ips = new Set(found.map((f) => f.ip));
    const members = [...labelled.members];
    const hit = members.filter((m) => ips.has(m));
    assert.deepEqual(
      members.filter((m) => !ips.has(m)),
      [],
      'every member found (recall 1)',
    );
    for (const [ip, what] of labelled.decoys) assert.ok(!ips.has(ip), `${what} ${ip} not found`);
    assert.deepEqual(
      [...ips].filter((ip) => !labelled.members.has(ip)),
      ['185.3.3.3'],
      'nothing else found (precision 1)',
    );
    assert.equal(hit.length, labelled.members.size);
    for (const ip of labelled.retrying) {
      const f = found.find((x) => x.ip === ip)!;
      // Two or three sessions a target, of which the profile's two exchanges carry about three quarters.
      assert.ok(f.sessionsPerTarget >= 1.3, `${ip} retries (${f.sessionsPerTarget} sessions a target)`);
      assert.ok(f.visitsPerTarget! <= 1.5, `${ip} visits each target once (${f.visitsPerTarget})`);
    }
    // A finding's numbers are exact: recount one member's flows on the profile's exchanges by hand.
    const one = found.find((x) => x.ip === '46.20.0.7')!;
    const mine = labelled.flows.filter(
      (x) =>
        x.sourceIPAddress === '46.20.0.7' &&
        ((x.packetDeltaCount === 5 && x.octetDeltaCount === 420) ||
          (x.packetDeltaCount === 4 && x.octetDeltaCount === 320)),
    );
    const onPort = labelled.flows.filter((x) => x.sourceIPAddress === '46.20.0.7');
    assert.deepEqual(
      [one.flows, one.destinations, one.sourcePorts, one.coverage],
      [
        mine.length,
        new Set(mine.map((x) => x.destinationIPAddress)).size,
        new Set(mine.map((x) => x.sourceTransportPort)).size,
        Math.round((mine.length / onPort.length) * 1000) / 1000,
      ],
    );
    assert.equal(one.signature, sig.signature);
  } finally {
    await store.close();
  }
});

test('the similarity of a mix: 1 for the same mix, lower the further it is, and the small-sample allowance', () => {
  const p = parseSignature('1433:5-420=60,4-320=40')!;
  assert.equal(mixSimilarity(p, [60, 40]), 1);
  assert.equal(mixSimilarity(p, [6, 4]), 1);
  assert.ok(Math.abs(mixSimilarity(p, [100, 0]) - 0.6) < 1e-9);
  assert.ok(Math.abs(mixSimilarity(p, [0, 100]) - 0.4) < 1e-9);
  assert.equal(mixSimilarity(p, [0, 0]), 0);
  // A host that uses only the main exchange matches at 3 flows (0.6 ≥ 0.75 − 1/√3), not at 50 (0.6 < 0.75 − 1/√50).
  assert.ok(mixSimilarity(p, [3, 0]) >= DEFAULT_HUNT.minSimilarity - 1 / Math.sqrt(3));
  assert.ok(mixSimilarity(p, [50, 0]) < DEFAULT_HUNT.minSimilarity - 1 / Math.sqrt(50));
});

test('profiles and exact signatures hunted in one pass give the same findings on DuckDB and a two-shard ClickHouse cluster', async (t) => {
  if (!hasTool('clickhouse-server')) {
    requireTool(t, 'clickhouse-server');
    return;
  }
  const labelled = traffic();
  const cluster = await startCluster();
  try {
    const duck = await DuckFlowStore.open(tempDir(t));
    const ch = await openStore(cluster.url.replace('/default?', `/fh_profile_${process.pid}?`));
    try {
      const a = await learnAndHuntOn(duck, labelled);
      const b = await learnAndHuntOn(ch, labelled);
      assert.deepEqual(b.catalog, a.catalog);
      // Exact signatures beside the profile in the same scan: the near misses' own combination.
      const extra = [...a.catalog, parseSignature('1433-5-424')!];
      const fa = await huntRange(duck, DAY0, DAY0 + 2 * DAY, extra);
      const fb = await huntRange(ch, DAY0, DAY0 + 2 * DAY, extra);
      assert.ok(fa.some((f: Finding) => f.signature === '1433-5-424'));
      assert.ok(fa.some((f: Finding) => f.signature === a.catalog[0]!.signature));
      assert.deepEqual(fb, fa);
    } finally {
      await duck.close();
      await ch.close();
    }
  } finally {
    cluster.stop();
  }
});

test('families: hosts found with alike profiles of one port are one family; another exchange or port is not', () => {
  const f = (ip: string, signature: string, day = '2026-11-20'): Finding => ({
    day,
    signature,
    protocol: 6,
    ip,
    destinations: 5,
    flows: 5,
    sourcePorts: 5,
    firstSeen: DAY0,
    lastSeen: DAY0,
    role: 'client',
    sessionsPerTarget: 1,
    largeScale: false,
  });
  const fams = families([
    f('46.0.0.1', '1433:5-420=60,4-320=40'),
    f('46.0.0.2', '1433:5-420=62,4-320=38', '2026-11-21'),
    f('46.0.0.3', '1433:5-420=45,4-320=30,3-210=25'),
    f('77.0.0.1', '1433-5-424'),
    f('78.0.0.1', '1434:5-420=60,4-320=40'),
    f('79.0.0.1', '1433:1-40=50,1-44=50'),
  ]);
  assert.deepEqual(
    fams.map((x) => [x.members, x.signatures, x.days]),
    [
      [
        ['46.0.0.1', '46.0.0.2', '46.0.0.3'],
        ['1433:5-420=45,4-320=30,3-210=25', '1433:5-420=60,4-320=40', '1433:5-420=62,4-320=38'],
        ['2026-11-20', '2026-11-21'],
      ],
      [['77.0.0.1'], ['1433-5-424'], ['2026-11-20']],
      [['78.0.0.1'], ['1434:5-420=60,4-320=40'], ['2026-11-20']],
    ],
    'the bare-probe profile links nobody',
  );
  const a = parseSignature('1433:5-420=60,4-320=40')!;
  assert.ok(Math.abs(similarity(a, parseSignature('1433:5-420=45,4-320=30,3-210=25')!) - 0.75) < 1e-9);
  assert.equal(similarity(a, parseSignature('1433-5-424')!), 0);
  assert.equal(similarity(a, parseSignature('1434:5-420=60,4-320=40')!), 0);
});

test('exports of a profile finding: its written form is one CSV cell and the STIX indicator says what it means', async () => {
  const { exportFindings, exportSuspects } = await import('./export.js');
  const { suspiciousIps } = await import('./master.js');
  const f: Finding = {
    day: '2026-11-20',
    signature: '1433:5-420=60,4-320=40',
    protocol: 6,
    ip: '46.0.0.1',
    destinations: 12,
    flows: 20,
    sourcePorts: 20,
    firstSeen: DAY0,
    lastSeen: DAY0 + 1,
    role: 'client',
    sessionsPerTarget: 1.667,
    visitsPerTarget: 1,
    coverage: 0.9,
    similarity: 0.95,
    largeScale: false,
  };
  const row = exportFindings('csv', [f]).trim().split('\n')[1]!;
  assert.equal(row.split('"')[1], '1433:5-420=60,4-320=40');
  assert.equal(row.replace(/"[^"]*"/, 'S').split(',').length, 11, row);
  const bundle = JSON.parse(exportSuspects('stix', suspiciousIps([f]), DAY0)) as {
    objects: { type: string; description?: string; labels?: string[] }[];
  };
  const ind = bundle.objects.find((o) => o.type === 'indicator')!;
  assert.match(ind.description!, /1433:5-420=60,4-320=40 \(a profile: port, then packets-octets=percent/);
  assert.deepEqual(ind.labels, ['signature:1433:5-420=60,4-320=40']);
});
