import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FlowBatch } from '../flow/batch.js';
import { AMPLIFICATION_PORTS } from '../flow/names.js';
import type { FlowRecord } from '../flow/record.js';
import { DuckFlowStore } from '../store/duckdb/index.js';
import { tempDir } from '../testing/helpers.js';
import { labelledWindow, W0, WIN } from '../testing/windows.js';
import { METRICS, type MetricKey, type Role } from './metrics.js';
import { profileHosts } from './profile.js';
import { APPROX_SLACK, rankWindow } from './rank.js';
import { kindOf } from './rules.js';
import { defaultThresholds } from './thresholds.js';

/**
 * Each metric counted by hand over one host's flows: what a flow adds (a
 * number), or for a distinct count the value counted. A metric added to the
 * table does not compile here until it has its entry.
 */
const BY_HAND: Record<MetricKey, (f: FlowRecord, role: Role) => number | string> = {
  flows: () => 1,
  packets: (f) => f.packetDeltaCount,
  bytes: (f) => f.octetDeltaCount,
  peers: (f, role) => (role === 'source' ? f.destinationIPAddress : f.sourceIPAddress),
  ports: (f, role) => (role === 'source' ? f.destinationTransportPort : f.sourceTransportPort),
  synOnlyFlows: (f) => (f.protocolIdentifier === 6 && (f.tcpControlBits & 0x12) === 0x02 ? 1 : 0),
  tcpFlows: (f) => (f.protocolIdentifier === 6 ? 1 : 0),
  icmpFlows: (f) => (f.protocolIdentifier === 1 || f.protocolIdentifier === 58 ? 1 : 0),
  ampFlows: (f) => (f.protocolIdentifier === 17 && AMPLIFICATION_PORTS.has(f.sourceTransportPort) ? 1 : 0),
  ampBytes: (f) =>
    f.protocolIdentifier === 17 && AMPLIFICATION_PORTS.has(f.sourceTransportPort) ? f.octetDeltaCount : 0,
};

function byHand(key: MetricKey, flows: readonly FlowRecord[], role: Role, ip: string): number {
  const mine = flows.filter((f) => (role === 'source' ? f.sourceIPAddress : f.destinationIPAddress) === ip);
  const per = METRICS.find((m) => m.key === key)!.per;
  if ('distinct' in per) return new Set(mine.map((f) => BY_HAND[key](f, role))).size;
  return mine.reduce((a, f) => a + (BY_HAND[key](f, role) as number), 0);
}

test('every metric of the table, for every kept host of a labelled window: the rank stage counts it on its ranked roles (distinct counts approximately), the profile stage exactly', async (t) => {
  const { flows } = labelledWindow(W0, 1);
  // And a ping sweep (the labelled window has no ICMP): echo requests to 400 addresses, one flow each.
  const sweep = flows.find((f) => f.protocolIdentifier === 6)!;
  for (let i = 0; i < 400; i++)
    flows.push({
      ...sweep,
      sourceIPAddress: '10.99.0.1',
      destinationIPAddress: `172.20.${i >> 8}.${i & 255}`,
      sourceTransportPort: 0,
      destinationTransportPort: 2048,
      protocolIdentifier: 1,
      tcpControlBits: 0,
      packetDeltaCount: 1,
      octetDeltaCount: 84,
    });
  // And an IPv6 host probing 40 networks that differ only in their upper 64 bits, one flow of equal
  // bytes each: its top peers are the lowest addresses, each exactly as it was (a sum added as a double
  // beside the address columns once rounded them to their neighbours').
  const v6 = '2001:db8:ff::1';
  for (let i = 0; i < 40; i++)
    flows.push({
      ...sweep,
      sourceIPAddress: v6,
      destinationIPAddress: `2001:db8:100:${i.toString(16)}::7`,
      packetDeltaCount: 1,
      octetDeltaCount: 60,
    });
  const s = await DuckFlowStore.open(tempDir(t));
  try {
    const b = new FlowBatch(1 << 16);
    for (const f of flows) b.push(f);
    await s.append(b);
    await s.flush();
    const { sources, destinations } = await rankWindow(s, W0, W0 + WIN, defaultThresholds());
    assert.ok(sources.length >= 5 && destinations.length >= 5, `${sources.length} / ${destinations.length}`);
    const exact = await profileHosts(s, sources, destinations, W0, W0 + WIN);
    assert.deepEqual(
      exact.get(`source|${v6}`)?.profile.peers.top.map((p) => p.value),
      Array.from({ length: 10 }, (_, i) => `2001:db8:100:${i === 0 ? '' : `${i}:`}:7`),
    );
    const nonZero = new Set<MetricKey>();
    for (const h of [...sources, ...destinations]) {
      for (const m of METRICS) {
        const want = byHand(m.key, flows, h.role, h.ip);
        if (want > 0) nonZero.add(m.key);
        const at = `${m.key} of ${h.role} ${h.ip}`;
        assert.equal(exact.get(`${h.role}|${h.ip}`)!.exact[m.key], want, `exact ${at}`);
        if (!m.ranked.includes(h.role)) continue;
        // DuckDB's approximate distinct counts here are 0.86 to 1.33 times the exact ones
        // (689 peers for 800, 5,322 for 4,000): the rank stage's counts only choose candidates.
        if ('distinct' in m.per) {
          assert.ok(Math.abs(h[m.key] - want) <= want * 0.35, `ranked ${at}: ${h[m.key]}, by hand ${want}`);
          // What the candidate floors rely on: no approximate count below the exact one by more than the slack.
          assert.ok(h[m.key] >= want * APPROX_SLACK, `ranked ${at}: ${h[m.key]} < ${APPROX_SLACK} × ${want}`);
        } else assert.equal(h[m.key], want, `ranked ${at}`);
      }
    }
    // The classifying depth: what the rules of each role read, the same as the full profile's: the
    // exact metrics (a destination's distinct source ports, read by no rule, are left to the full
    // profile), whether a source is a server, and the distinct count and top value of the dimensions
    // read; the others are left empty.
    const judged = await profileHosts(s, sources, destinations, W0, W0 + WIN, 'classify');
    const read = { source: ['dstPorts', 'ppo', 'peers'], destination: ['ppo', 'peers'] } as const;
    const kinds = new Set<string>();
    for (const [key, full] of exact) {
      const c = judged.get(key)!;
      const role: Role = key.startsWith('source|') ? 'source' : 'destination';
      assert.deepEqual(c.exact, role === 'source' ? full.exact : { ...full.exact, ports: 0 }, key);
      assert.equal(c.profile.ephemeralSrcShare, full.profile.ephemeralSrcShare, key);
      const kind = kindOf(role, full.exact, full.profile);
      assert.equal(kindOf(role, c.exact, c.profile), kind, `kind of ${key}`);
      kinds.add(`${role} ${kind}`);
      for (const dim of read[role]) {
        assert.equal(c.profile[dim].distinct, full.profile[dim].distinct, `${dim} of ${key}`);
        assert.deepEqual(c.profile[dim].top, full.profile[dim].top.slice(0, 1), `${dim} of ${key}`);
      }
      const unread = ['protocols', 'tcpFlags', 'packetsPerFlow', 'octetsPerFlow', 'ingress'] as const;
      for (const dim of role === 'source' ? unread : ([...unread, 'dstPorts', 'srcPorts'] as const))
        assert.deepEqual(c.profile[dim], { distinct: 0, top: [] }, `${dim} of ${key}`);
    }
    // Servers and clients both, so the kind judged on the classifying profile is put to the test.
    assert.ok(kinds.has('source server') && kinds.has('source client'), [...kinds].join(', '));
    // The window has flows of every kind a metric counts, so no metric passes by being 0 everywhere.
    assert.deepEqual(
      METRICS.map((m) => m.key).filter((k) => !nonZero.has(k)),
      [],
    );
  } finally {
    await s.close();
  }
});
