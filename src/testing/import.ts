/**
 * @module Flows for the import tests: a deterministic, varied set that
 * NetFlow v5 can carry (so nfcapd/nfdump can make real files of it), and
 * the check that a flow read back from nfdump's CSV is the flow sent.
 */

import assert from 'node:assert/strict';
import { formatIPv4 } from '../flow/address.js';
import { emptyRecord, type FlowRecord } from '../flow/record.js';
import type { ImportFormat, ReadOptions } from '../import/format.js';

/** A small seeded PRNG (mulberry32): the same flows on every run. */
function prng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

/**
 * `n` IPv4 flows over three days from `base`, every one with its own source
 * address (10.x.y.z by index) so a stored flow finds its original. The first
 * 256 use every IP protocol number once; then mostly TCP/UDP/ICMP. ICMP
 * flows carry type·256+code in the destination port and 0 as source port
 * (nfdump rewrites v5 ICMP flows whose source port is set).
 */
export function sampleV5Flows(
  n: number,
  seed: number,
  base = Date.parse('2026-11-18T00:00:00Z'),
): FlowRecord[] {
  const r = prng(seed);
  const common = [6, 6, 6, 6, 17, 17, 17, 1, 47, 50, 58];
  const out: FlowRecord[] = [];
  for (let i = 0; i < n; i++) {
    const proto = i < 256 ? i : r(10) === 0 ? r(256) : common[r(common.length)]!;
    const packets = r(5) === 0 ? 1 : 1 + r(r(2) ? 100 : 1_000_000);
    const bytes = Math.min(0xffffffff, packets * (20 + r(1481)));
    const start = base + r(3 * 86_400_000);
    const icmp = proto === 1;
    out.push({
      ...emptyRecord(),
      flowStartMilliseconds: start,
      flowEndMilliseconds: start + (r(4) === 0 ? 0 : r(r(2) ? 2000 : 300_000)),
      sourceIPAddress: formatIPv4((0x0a000000 + i + 1) >>> 0),
      destinationIPAddress: formatIPv4((0xc0000000 + r(0x3fffffff)) >>> 0),
      sourceTransportPort: icmp ? 0 : r(65536),
      destinationTransportPort: icmp
        ? r(16) * 256 + r(6)
        : r(2)
          ? [22, 23, 53, 80, 443, 445, 3389][r(7)]!
          : r(65536),
      protocolIdentifier: proto,
      tcpControlBits: r(256),
      packetDeltaCount: packets,
      octetDeltaCount: bytes,
      ingressInterface: r(65536),
      egressInterface: r(65536),
      ipClassOfService: r(256),
      bgpSourceAsNumber: r(65536),
      bgpDestinationAsNumber: r(65536),
      ipNextHopAddress: formatIPv4((0xac100000 + r(0xfffff)) >>> 0),
    });
  }
  return out;
}

/**
 * Asserts that a flow read from nfdump's CSV of a v5 capture is `sent`:
 * every field v5 carries, the exporter (nfcapd records the sender,
 * 127.0.0.1), and the times to what nfdump prints — the same second for
 * start and end, and the exact duration. nfdump prints protocol 38 as
 * `IDPR`, the name of 35, so 38 reads back as 35.
 */
export function assertSameV5Flow(got: FlowRecord, sent: FlowRecord): void {
  const what = `flow from ${sent.sourceIPAddress}`;
  const sec = (ms: number) => Math.floor(ms / 1000);
  assert.deepEqual(
    {
      ...got,
      flowStartMilliseconds: sec(got.flowStartMilliseconds),
      flowEndMilliseconds: sec(got.flowEndMilliseconds),
      duration: got.flowEndMilliseconds - got.flowStartMilliseconds,
    },
    {
      ...sent,
      protocolIdentifier: sent.protocolIdentifier === 38 ? 35 : sent.protocolIdentifier,
      exporterIPAddress: '127.0.0.1',
      flowStartMilliseconds: sec(sent.flowStartMilliseconds),
      flowEndMilliseconds: sec(sent.flowEndMilliseconds),
      duration: sent.flowEndMilliseconds - sent.flowStartMilliseconds,
    },
    what,
  );
}

export interface ReadResult {
  flows: FlowRecord[];
  rejects: { where: number; message: string }[];
  skips: { where: number; reason: string }[];
}

/** Reads a whole file with one format, keeping everything (for small test files). */
export async function readAll(format: ImportFormat, path: string, opts?: ReadOptions): Promise<ReadResult> {
  const out: ReadResult = { flows: [], rejects: [], skips: [] };
  await format.read(
    path,
    {
      batch: (b) => {
        out.flows.push(...b.records());
      },
      reject: (where, message) => {
        out.rejects.push({ where, message });
      },
      skip: (where, reason) => {
        out.skips.push({ where, reason });
      },
    },
    opts,
  );
  return out;
}
