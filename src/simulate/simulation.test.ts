import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { AMPLIFICATION_PORTS } from '../flow/names.js';
import { LARGE_MIN_PER_WINDOW } from './families.js';
import { UPLINKS } from './network.js';
import { comboShare, hostKey, Observer, windowRange } from './observe.js';
import { createSimulation, DEFAULT_FROM, type SimulationOptions } from './simulation.js';
import { ANOMALY_TYPES, ROLES, type Truth } from './truth.js';
import { DDOS_UPLINK, DDOS_UPLINK_SHARE } from './volumetric.js';

/** Runs a simulation, observing every labelled host that is not a plain client or server. */
function run(opts: SimulationOptions, alsoRoles: string[] = []): { truth: Truth; obs: Observer } {
  const sim = createSimulation(opts);
  const pre = sim.truth();
  const watched = pre.hosts.filter(
    (h) => !['client', 'server', 'mail', 'cdn'].includes(h.role) || h.decoy || alsoRoles.includes(h.role),
  );
  const obs = new Observer(watched.map((h) => h.ip));
  for (const b of sim.batches()) obs.add(b);
  return { truth: sim.truth(), obs };
}

function hashRun(opts: SimulationOptions): { digest: string; truth: string } {
  const sim = createSimulation(opts);
  const h = createHash('sha256');
  for (const b of sim.batches()) {
    for (const col of [
      'ts',
      'te',
      'src',
      'dst',
      'sport',
      'dport',
      'proto',
      'flags',
      'packets',
      'bytes',
      'inIf',
    ] as const) {
      const a = b[col];
      h.update(
        new Uint8Array(a.buffer, a.byteOffset, (a.length / b.capacity) * b.length * a.BYTES_PER_ELEMENT),
      );
    }
  }
  return { digest: h.digest('hex'), truth: JSON.stringify(sim.truth()) };
}

/** The checks every scenario with botnet families must pass. */
function checkFamilies(truth: Truth, obs: Observer): void {
  assert.ok(truth.families.length > 0);
  const large = truth.hosts.filter((h) => h.scale === 'large');
  const small = truth.hosts.filter((h) => h.scale === 'small');
  // Large attackers: thousands of targets in every 5-minute window they are active in.
  let smallestLarge = Number.POSITIVE_INFINITY;
  for (const h of large) {
    const o = obs.get(h.ip);
    const { min } = windowRange(o);
    assert.ok(min >= LARGE_MIN_PER_WINDOW, `${h.ip} (${h.family}) has a window with only ${min} targets`);
    smallestLarge = Math.min(smallestLarge, min);
    const share = comboShare(o, h.signature!);
    assert.ok(share > 0.6 && share < 0.97, `${h.ip}: signature share ${share}`);
    const bp = o.byPort.get(Number(h.signature!.split('-')[0]))!;
    assert.equal(Math.max(...bp.targets.values()), 1, `${h.ip} probes a target twice`);
  }
  // Small-scale members: far below any threshold that catches the large ones.
  let checked = 0;
  for (const h of small) {
    const o = obs.get(h.ip);
    if (o.flows === 0) continue;
    const { max } = windowRange(o);
    assert.ok(max < smallestLarge / 10, `${h.ip}: ${max} targets in a window (large: ${smallestLarge})`);
    const port = Number(h.signature!.split('-')[0]);
    const bp = o.byPort.get(port);
    if (!bp) continue;
    const onPort = bp.flows;
    // One session per target, each from a new ephemeral source port.
    assert.equal(Math.max(...bp.targets.values()), 1, `${h.ip} probes a target twice`);
    for (const p of bp.sourcePorts) assert.ok(p >= 1024, `${h.ip}: source port ${p}`);
    assert.ok(
      bp.sourcePorts.size >= 0.85 * onPort,
      `${h.ip}: ${bp.sourcePorts.size} source ports for ${onPort} flows`,
    );
    if (onPort >= 40) {
      checked++;
      const share = comboShare(o, h.signature!);
      assert.ok(share >= 0.45, `${h.ip}: signature on ${share} of its flows`);
      assert.ok(
        Math.abs(share - h.signatureShare!) < 0.2,
        `${h.ip}: share ${share} vs truth ${h.signatureShare}`,
      );
    }
  }
  assert.ok(checked >= 5, `only ${checked} small members with enough flows to check`);
  // Signature flows of one family carry the same signature for large and small alike.
  for (const f of truth.families) {
    for (const ip of f.members)
      assert.equal(truth.hosts.find((h) => h.ip === ip)!.signature, f.signatures[0]);
  }
}

function checkVolumetric(truth: Truth, obs: Observer): void {
  const ddos = truth.hosts.find((h) => h.expectedTypes?.[0] === 'ddos-victim')!;
  const d = obs.get(ddos.ip);
  const total = [...d.inPacketsByIf.values()].reduce((a, b) => a + b, 0);
  const main = d.inPacketsByIf.get(UPLINKS[DDOS_UPLINK]!.ifIndex) ?? 0;
  assert.ok(d.inSources.size > 10_000, `DDoS from ${d.inSources.size} sources`);
  assert.ok(main / total > DDOS_UPLINK_SHARE - 0.05, `DDoS: ${main / total} through the main interface`);

  const refl = truth.hosts.find((h) => h.expectedTypes?.[0] === 'reflection-victim')!;
  const r = obs.get(refl.ip);
  let amp = 0;
  let all = 0;
  for (const [port, bytes] of r.inBytesBySport) {
    all += bytes;
    if (AMPLIFICATION_PORTS.has(port)) amp += bytes;
  }
  assert.ok(amp / all > 0.99, `reflection: ${amp / all} of bytes from amplification ports`);
  const reflectors = truth.hosts.filter((h) => h.role === 'reflector');
  assert.ok(reflectors.length >= 200 && r.inSources.size >= 200);
  for (const h of reflectors.slice(0, 50)) {
    const o = obs.get(h.ip);
    for (const c of o.combos.keys()) {
      const [, pk, by] = c.split('-').map(Number);
      assert.ok(by! / pk! >= 400, `reflector ${h.ip} sends ${c}`);
    }
  }
}

function checkDecoys(truth: Truth, obs: Observer): void {
  const near = truth.hosts.filter((h) => h.decoy === 'near-miss');
  assert.ok(near.length >= 2);
  for (const h of near) {
    const [port, packets, octets] = h.nearMiss!.resembles.split('-');
    const o = obs.get(h.ip);
    assert.ok(o.flows > 0, `${h.ip} sent nothing`);
    for (const c of o.combos.keys()) {
      const [p, pk, by] = c.split('-');
      assert.equal(p, port);
      assert.equal(pk, packets, `${h.ip} ${c} vs ${h.nearMiss!.resembles}`);
      assert.notEqual(by, octets);
    }
  }
  for (const what of ['attacked-port', 'fan-out'] as const) {
    assert.ok(
      truth.hosts.some((h) => h.decoy === what),
      `no ${what} decoy`,
    );
  }
}

describe('simulation', () => {
  test('the same seed gives the same flows and truth; another seed does not', () => {
    const opts = { scenario: 'demo', seed: 42, hours: 0.25, scale: 0.1 };
    const a = hashRun(opts);
    const b = hashRun(opts);
    const c = hashRun({ ...opts, seed: 43 });
    assert.equal(a.digest, b.digest);
    assert.equal(a.truth, b.truth);
    assert.notEqual(a.digest, c.digest);
    assert.notEqual(a.truth, c.truth);
  });

  test('demo holds every anomaly type, role and decoy its truth claims', () => {
    const { truth, obs } = run({ scenario: 'demo', seed: 1 });
    assert.ok(obs.ordered, 'flows must come in non-decreasing end time');
    assert.ok(obs.minEnd >= DEFAULT_FROM && obs.maxEnd < DEFAULT_FROM + 3 * 3_600_000);
    assert.equal(truth.totals.flows, obs.flows);
    for (const t of ANOMALY_TYPES) {
      assert.ok(truth.anomalies[t].length > 0, `no ${t}`);
      for (const ip of truth.anomalies[t]) {
        const o = obs.get(ip);
        assert.ok(o.flows + o.inFlows > 0, `${t} host ${ip} has no traffic`);
      }
    }
    for (const role of ROLES)
      assert.ok(
        truth.hosts.some((h) => h.role === role),
        `no ${role}`,
      );
    assert.ok(
      truth.hosts.some((h) => h.scale === 'large' && h.ip.includes(':')),
      'an IPv6 attacker',
    );
    checkFamilies(truth, obs);
    checkVolumetric(truth, obs);
    checkDecoys(truth, obs);
    // The port sweeper walks thousands of ports on a few hosts.
    const sweep = obs.get(truth.anomalies['port-sweep'][0]!);
    const ports = new Set([...sweep.combos.keys()].map((c) => c.split('-')[0]));
    assert.ok(ports.size > 5000 && sweep.destinations.size < 10);
    // Resolvers reach thousands of servers on UDP 53 with one packet a flow: legitimate.
    const resolver = truth.hosts.find((h) => h.role === 'resolver' && h.side === 'campus')!;
    assert.ok(obs.get(resolver.ip).destinations.size > 1000);
  });

  for (const scenario of ['day', 'paper']) {
    test(`${scenario} holds its families, anomalies and decoys`, () => {
      const { truth, obs } = run({ scenario, seed: 5, scale: 0.15 });
      assert.ok(obs.ordered);
      for (const t of ANOMALY_TYPES) assert.ok(truth.anomalies[t].length > 0, `no ${t}`);
      checkFamilies(truth, obs);
      checkVolumetric(truth, obs);
      checkDecoys(truth, obs);
      if (scenario === 'paper') {
        assert.deepEqual(
          truth.families.map((f) => f.signatures[0]),
          ['22-4-240', '1433-3-152', '2375-1-40'],
        );
        for (const f of truth.families) assert.ok(f.small.length >= 30 && f.large.length >= 2);
      }
    });
  }

  test('a day of clients: tens to hundreds of destinations, repeated sessions; gateways reach thousands', () => {
    const sim = createSimulation({ scenario: 'baseline', seed: 3, scale: 0.2 });
    const pre = sim.truth();
    const clients = pre.hosts.filter((h) => h.role === 'client' && h.side === 'campus' && !h.decoy);
    const nats = pre.hosts.filter((h) => h.role === 'nat');
    const obs = new Observer([...clients, ...nats].map((h) => h.ip));
    for (const b of sim.batches()) obs.add(b);
    const dsts = clients.map((h) => obs.get(h.ip).destinations.size).sort((a, b) => a - b);
    const median = dsts[Math.floor(dsts.length / 2)]!;
    assert.ok(median >= 10 && median <= 200, `median client reaches ${median} destinations a day`);
    assert.ok(dsts[dsts.length - 1]! <= 1100, `busiest client reaches ${dsts[dsts.length - 1]}`);
    const repeat = clients.filter((h) => {
      const o = obs.get(h.ip);
      return o.flows >= 20 && o.flows > 2 * o.destinations.size;
    });
    assert.ok(repeat.length > clients.length / 2, 'most clients return to the same servers');
    for (const n of nats) {
      const o = obs.get(n.ip);
      assert.ok(o.destinations.size > 1000 && o.flows > 3 * o.destinations.size, `NAT ${n.ip}`);
    }
    // No attackers in the baseline.
    assert.ok(!pre.hosts.some((h) => h.role === 'attacker' || h.role === 'bot'));
  });

  test('unknown scenarios and bad numbers are refused with a clear message', () => {
    assert.throws(() => createSimulation({ scenario: 'nope' }), /unknown scenario "nope" \(known: demo, day/);
    assert.throws(() => createSimulation({ scenario: 'demo', scale: 0 }), /scale must be > 0/);
    assert.throws(() => createSimulation({ scenario: 'demo', hours: -1 }), /hours must be > 0/);
    assert.equal(hostKey('198.18.0.1'), 0xc6120001);
  });
});
