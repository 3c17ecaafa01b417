/**
 * The acceptance test of the filter language: the same few thousand flows
 * go to a real `nfcapd` (as NetFlow v5) and into flowhunt, and for each
 * filter `flowhunt query FILTER --stat ...` must answer exactly what
 * `nfdump -r FILE -s ... FILTER` answers: the same totals and the same top-N
 * rows (key, flows, packets, bytes).
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FlowBatch } from '../flow/batch.js';
import { emptyRecord, type FlowRecord } from '../flow/record.js';
import { openStore } from '../store/open.js';
import { requireTool, tempDir } from '../testing/helpers.js';
import {
  assertSameTop,
  captureWithNfcapd,
  encodeNetflowV5,
  flowhuntStat as flowhunt,
  type Row,
  nfdumpStat as reference,
} from '../testing/nfcapd.js';
import { rng } from '../testing/rng.js';

/**
 * 60 sources with 5..64 flows each (2070 flows), so the unfiltered top-N by
 * flows has no ties; 40 of them in 10.1.0.0/16. Protocols, ports, flags,
 * sizes, interfaces, AS numbers and ToS vary.
 */
function flows(): FlowRecord[] {
  const r = rng(20261120);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const t0 = Date.parse('2026-11-20T12:00:00Z');
  const out: FlowRecord[] = [];
  for (let k = 0; k < 60; k++) {
    const src = k < 40 ? `10.1.${k % 4}.${k + 1}` : `172.16.${k % 3}.${k}`;
    for (let n = 0; n < 5 + k; n++) {
      const f = emptyRecord();
      f.flowStartMilliseconds = t0 + Math.floor(r() * 3_600_000);
      f.flowEndMilliseconds = f.flowStartMilliseconds + Math.floor(r() * 120_000);
      f.sourceIPAddress = src;
      f.destinationIPAddress =
        r() < 0.2
          ? `10.1.9.${1 + Math.floor(r() * 20)}`
          : `192.168.${Math.floor(r() * 3)}.${1 + Math.floor(r() * 40)}`;
      const u = r();
      f.protocolIdentifier = u < 0.7 ? 6 : u < 0.9 ? 17 : u < 0.97 ? 1 : 47;
      if (f.protocolIdentifier === 6) {
        f.sourceTransportPort = 1024 + Math.floor(r() * 64000);
        f.destinationTransportPort =
          r() < 0.8 ? pick([22, 80, 443, 23, 2375, 3389, 8080]) : Math.floor(r() * 65536);
        f.tcpControlBits = pick([0x02, 0x02, 0x12, 0x10, 0x18, 0x11, 0x04, 0x19, 0x1b]);
        if (r() < 0.25) {
          // A server's answer: the well-known port is the source.
          [f.sourceTransportPort, f.destinationTransportPort] = [
            f.destinationTransportPort,
            f.sourceTransportPort,
          ];
        }
      } else if (f.protocolIdentifier === 17) {
        f.sourceTransportPort = r() < 0.3 ? 53 : 1024 + Math.floor(r() * 64000);
        f.destinationTransportPort = r() < 0.7 ? pick([53, 123, 161, 1900]) : Math.floor(r() * 65536);
      } else if (f.protocolIdentifier === 1) {
        // nfcapd keeps type/code in the destination port when the source port is 0.
        f.destinationTransportPort = pick([0x0800, 0x0000, 0x0303, 0x0b00]);
      }
      f.packetDeltaCount = r() < 0.05 ? 1000 + Math.floor(r() * 100_000) : 1 + Math.floor(r() * 12);
      f.octetDeltaCount = f.packetDeltaCount * (40 + Math.floor(r() * 1400));
      f.ingressInterface = 1 + Math.floor(r() * 4);
      f.egressInterface = 1 + Math.floor(r() * 4);
      f.bgpSourceAsNumber = pick([0, 65001, 65002]);
      f.bgpDestinationAsNumber = pick([0, 15169, 13335]);
      f.ipClassOfService = r() < 0.1 ? 184 : 0;
      out.push(f);
    }
  }
  return out;
}

const FILTERS = [
  'any',
  'proto tcp',
  'src net 10.1.0.0/16 and dst port 22',
  'not port in [22 80]',
  'packets > 3 or flags S',
  'bytes >= 1k',
  'flags SA',
  'proto udp and dst port in [53, 123]',
  'dst net 192.168.1.0/24 or proto icmp',
  'src port > 1024 and bytes < 10k',
  'not (proto tcp or proto udp)',
  // (AS filters are left out: nfdump 1.7.1 refuses them without a geo location database.)
  'in if 3 or out if 1',
  'tos 184 and packets >= 5',
  'net 10.1.0.0 255.255.252.0 and not dst net 10.1.9.0/24',
  'host 10.1.2.11 || dst port gt 8000',
  'if 2 and not proto tcp and packets le 6',
];

test('query matches nfdump: totals and top-N for each filter', async (t) => {
  if (!requireTool(t, 'nfcapd') || !requireTool(t, 'nfdump')) return;
  const capDir = tempDir(t, 'fh-nfcapd-');
  const dataDir = tempDir(t, 'fh-query-');
  const records = flows();
  assert.equal(records.length, 2070);
  const file = await captureWithNfcapd(encodeNetflowV5(records), capDir);
  const store = await openStore(`duckdb:${dataDir}`);
  const b = new FlowBatch(records.length);
  for (const r of records) b.push(r);
  await store.append(b);
  await store.close();

  // Unfiltered, every source has its own flow count: the top 10 is one exact answer.
  const ref = await reference(file, 'srcip/flows', 10, 'any');
  assert.equal(ref.total.flows, 2070, 'nfcapd received every flow');
  assert.deepEqual(
    ref.rows.map((r) => r.flows),
    [64, 63, 62, 61, 60, 59, 58, 57, 56, 55],
  );
  assert.deepEqual(await flowhunt(dataDir, 'srcip/flows', 10, 'any'), ref);

  const checks: [string, string, keyof Row][] = FILTERS.map((f) => [f, 'srcip/flows', 'flows']);
  for (const f of ['any', 'proto tcp', 'not port in [22 80]', 'src net 10.1.0.0/16 and dst port 22']) {
    checks.push([f, 'dstport/bytes', 'bytes'], [f, 'proto/flows', 'flows']);
  }
  checks.push(['bytes >= 1k', 'dstip/packets', 'packets'], ['flags SA', 'srcport/flows', 'flows']);
  // A few checks at a time: each runs one flowhunt process and two nfdump ones.
  const queue = [...checks];
  const worker = async () => {
    for (let c = queue.shift(); c; c = queue.shift()) {
      const [filter, stat, order] = c;
      const what = `${stat} "${filter}"`;
      const [theirs, all, ours] = await Promise.all([
        reference(file, stat, 10, filter),
        reference(file, stat, 0, filter),
        flowhunt(dataDir, stat, 10, filter),
      ]);
      assert.ok(theirs.total.flows > 0, `${what} selects some flows`);
      assert.deepEqual(ours.total, theirs.total, `${what}: totals`);
      assertSameTop(ours.rows, theirs.rows, all.rows, order, what);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
});
