/**
 * @module Fast synthetic flows for benchmarks: a backbone-like mix of many
 * clients and servers, with a few scanners, filled straight into columns.
 * (Accuracy is measured on the simulator's labelled scenarios; this only
 * has to be big and shaped like real traffic for the engine's work.)
 */

import { FlowBatch } from '../src/flow/batch.js';
import { exactSignature, profileSignature, type SignatureKey } from '../src/hunt/signature.js';
import { num } from '../src/store/queries.js';
import { sql } from '../src/store/sql.js';
import type { FlowStore } from '../src/store/types.js';
import { rng } from '../src/testing/rng.js';

export { rng };

/** Fills `n` flows ending in [t0, t1) into batches of `batchSize`, calling `sink` for each. */
export async function synthFlows(
  n: number,
  t0: number,
  t1: number,
  seed: number,
  sink: (b: FlowBatch) => Promise<void>,
  batchSize = 1 << 20,
): Promise<void> {
  const r = rng(seed);
  const ports = [443, 80, 53, 22, 25, 123, 993, 8080, 3389, 1433];
  for (let done = 0; done < n; ) {
    const m = Math.min(batchSize, n - done);
    const b = new FlowBatch(m);
    b.length = m;
    for (let i = 0; i < m; i++) {
      const k = done + i;
      const x = r();
      b.ts[i] = t0 + Math.floor(((t1 - t0) * k) / n);
      b.te[i] = b.ts[i]! + Math.floor(x * 1000);
      const s4 = i * 4;
      b.src[s4 + 2] = 0xffff;
      b.dst[s4 + 2] = 0xffff;
      b.exporter[s4 + 2] = 0xffff;
      b.nexthop[s4 + 2] = 0xffff;
      b.exporter[s4 + 3] = 0xc6336401 + (k % 4);
      b.sampling[i] = 1;
      b.inIf[i] = 1 + (k % 8);
      if (x < 0.002) {
        // A few scanners: bare SYNs to many targets.
        b.src[s4 + 3] = 0xb9000000 + (k % 5);
        b.dst[s4 + 3] = 0x8c700000 + Math.floor(r() * 65536);
        b.sport[i] = 32768 + Math.floor(r() * 28000);
        b.dport[i] = 2375;
        b.proto[i] = 6;
        b.flags[i] = 2;
        b.packets[i] = 1;
        b.bytes[i] = 40;
      } else {
        // Zipf-ish clients toward popular servers, and the servers' answers.
        const client = 0x8c700000 + Math.floor(r() ** 2 * 400_000);
        const server = 0x08000000 + Math.floor(r() ** 3 * 50_000);
        const port = ports[Math.floor(r() ** 2 * ports.length)]!;
        const fwd = r() < 0.5;
        b.src[s4 + 3] = fwd ? client : server;
        b.dst[s4 + 3] = fwd ? server : client;
        const eph = 32768 + Math.floor(r() * 28000);
        b.sport[i] = fwd ? eph : port;
        b.dport[i] = fwd ? port : eph;
        b.proto[i] = port === 53 || port === 123 ? 17 : 6;
        b.flags[i] = b.proto[i] === 6 ? 0x1b : 0;
        const p = 1 + Math.floor(r() ** 3 * 200);
        b.packets[i] = p;
        b.bytes[i] = p * (40 + Math.floor(r() * 1400));
      }
    }
    await sink(b);
    done += m;
  }
}

/**
 * The hunt benchmarks' 1,000 signatures for the day from `t0`: the 500 most
 * common exact combinations in `store`, and 500 that match nothing.
 */
export async function benchSignatures(store: FlowStore, t0: number): Promise<SignatureKey[]> {
  const common = await store.queryFlows(
    { from: t0, to: t0 + 86_400_000 },
    (from) =>
      sql`SELECT proto, dport, packets, bytes, count(*) AS n FROM ${from} GROUP BY proto, dport, packets, bytes ORDER BY n DESC, proto, dport, packets, bytes LIMIT ${500}`,
  );
  const sigs: SignatureKey[] = common.map((r) =>
    exactSignature(num(r['proto']), num(r['dport']), num(r['packets']), num(r['bytes'])),
  );
  const r = rng(9);
  while (sigs.length < 1000)
    sigs.push(
      exactSignature(
        6,
        1 + Math.floor(r() * 65000),
        1 + Math.floor(r() * 20),
        40_000 + Math.floor(r() * 100_000),
      ),
    );
  return sigs;
}

/**
 * 1,000 profiles for the day from `t0`: 500 pairs and triples of the day's
 * common exact combinations on one port (weighted by their counts), and 500
 * of two to four exchanges that match nothing.
 */
export async function benchProfiles(store: FlowStore, t0: number): Promise<SignatureKey[]> {
  const common = await store.queryFlows(
    { from: t0, to: t0 + 86_400_000 },
    (from) =>
      sql`SELECT proto, dport, packets, bytes, count(*) AS n FROM ${from} GROUP BY proto, dport, packets, bytes ORDER BY n DESC, proto, dport, packets, bytes LIMIT ${3000}`,
  );
  const byPort = new Map<string, { packets: number; octets: number; weight: number }[]>();
  for (const r of common) {
    const k = `${num(r['proto'])}/${num(r['dport'])}`;
    const list = byPort.get(k) ?? [];
    list.push({ packets: num(r['packets']), octets: num(r['bytes']), weight: num(r['n']) });
    byPort.set(k, list);
  }
  const out: SignatureKey[] = [];
  const r = rng(10);
  const ports = [...byPort.entries()];
  for (let i = 0; out.length < 500 && i < 100_000; i++) {
    const [k, list] = ports[i % ports.length]!;
    const size = 2 + (i % 2);
    const start = Math.floor(i / ports.length) * size;
    if (start + size > list.length) continue;
    const [proto, port] = k.split('/').map(Number) as [number, number];
    out.push(profileSignature(proto, port, list.slice(start, start + size)));
  }
  while (out.length < 1000) {
    const port = 1 + Math.floor(r() * 65000);
    const n = 2 + Math.floor(r() * 3);
    out.push(
      profileSignature(
        6,
        port,
        Array.from({ length: n }, (_, j) => ({
          packets: 1 + j + Math.floor(r() * 20),
          octets: 40_000 + j + Math.floor(r() * 100_000),
          weight: 1 + r(),
        })),
      ),
    );
  }
  return out;
}
