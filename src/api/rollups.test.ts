/**
 * The closed days' traffic rollups (rollups.ts) behind /api/traffic, on a
 * real DuckDB store and the real API: every bucket equal to the sums of the
 * flows written (all, and each campus token's own), rolled up in the
 * background and kept as documents, a late flow into a closed day shown at
 * the next view, and a restart that reads the documents instead of summing.
 */

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { loadConfig } from '../config.js';
import { type Cidr, cidrContains, parseAddress, parseCidr } from '../flow/address.js';
import { FlowBatch } from '../flow/batch.js';
import { emptyRecord, type FlowRecord } from '../flow/record.js';
import { DuckFlowStore } from '../store/duckdb/index.js';
import { CONFIG_YAML, DIRECTORY_YAML, scratchDir, TOKENS } from '../testing/api.js';
import { rng } from '../testing/rng.js';
import { registerApi } from './index.js';
import { DayCounts, DayRollups } from './rollups.js';

const DAY = 86_400_000;
const D0 = Date.parse('2026-10-01T00:00:00Z');
const NOW = D0 + 3 * DAY + 3_600_000;
const A = parseCidr('140.112.0.0/16')!;
const B = parseCidr('140.114.0.0/16')!;
let scratch: ReturnType<typeof scratchDir>;
let store: DuckFlowStore;
let app: FastifyInstance;
let rollUp: () => Promise<void>;
const flows: FlowRecord[] = [];

const inNet = (c: Cidr, ip: string) => cidrContains(c, parseAddress(ip)!);

async function write(fs: readonly FlowRecord[]): Promise<void> {
  const b = new FlowBatch(1 << 14);
  for (const f of fs) b.push(f);
  await store.append(b);
  await store.flush();
  flows.push(...fs);
}

function flow(end: number, src: string, dst: string, i: number): FlowRecord {
  return {
    ...emptyRecord(),
    flowStartMilliseconds: end - 50,
    flowEndMilliseconds: end,
    sourceIPAddress: src,
    destinationIPAddress: dst,
    sourceTransportPort: 40000 + (i % 1000),
    destinationTransportPort: 443,
    protocolIdentifier: 6,
    packetDeltaCount: 1 + (i % 5),
    octetDeltaCount: 60 * (1 + (i % 11)),
  };
}

/** The ground truth: the flows written, summed per bucket in JS. */
function truth(from: number, to: number, size: number, net?: Cidr) {
  const out = [];
  for (let t = from; t < to; t += size) {
    const mine = flows.filter(
      (f) =>
        f.flowEndMilliseconds >= t &&
        f.flowEndMilliseconds < t + size &&
        (!net || inNet(net, f.sourceIPAddress) || inNet(net, f.destinationIPAddress)),
    );
    out.push({
      t,
      flows: mine.length,
      packets: mine.reduce((a, f) => a + f.packetDeltaCount, 0),
      bytes: mine.reduce((a, f) => a + f.octetDeltaCount, 0),
    });
  }
  return out;
}

const traffic = async (query: string, token: string) => {
  const r = await app.inject({ url: `/api/traffic?${query}`, headers: { authorization: `Bearer ${token}` } });
  assert.equal(r.statusCode, 200, r.body);
  return r.json().points as { t: number; flows: number; packets: number; bytes: number }[];
};
const range = (from: number, to: number, bucket: string) =>
  `from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}&bucket=${bucket}`;

before(async () => {
  scratch = scratchDir();
  writeFileSync(join(scratch.dir, 'directory.yaml'), DIRECTORY_YAML);
  writeFileSync(join(scratch.dir, 'flowhunt.yaml'), CONFIG_YAML(scratch.dir));
  store = await DuckFlowStore.open(join(scratch.dir, 'data'));
  // Three closed days and an hour of the open one: Campus A, Campus B and outside hosts, among each other.
  const r = rng(11);
  const hosts = ['140.112.3.4', '140.112.9.1', '140.114.5.5', '8.8.8.8', '192.0.2.7'];
  const fs: FlowRecord[] = [];
  for (let i = 0; i < 4000; i++) {
    const src = hosts[Math.floor(r() * hosts.length)]!;
    const dst = hosts[Math.floor(r() * hosts.length)]!;
    fs.push(flow(D0 + Math.floor(r() * (NOW - D0)), src, dst, i));
  }
  await write(fs);
  app = Fastify();
  ({ rollUp } = await registerApi(app, {
    store,
    config: await loadConfig(join(scratch.dir, 'flowhunt.yaml')),
    envToken: '',
    log: () => undefined,
    data: { ttlMs: 0, now: () => NOW },
  }));
});

after(async () => {
  await app.close();
  await store.close();
  scratch.remove();
});

test('the closed days are rolled up in the background, one document per day and scope, each bucket exact', async () => {
  await rollUp();
  const parts = await store.getDocs<{ scope: string; day: number; flows: number }>('rollups');
  // Three closed days (the open fourth is not rolled up) for all flows and each campus token's networks.
  assert.equal(parts.length, 9);
  assert.deepEqual([...new Set(parts.flatMap((p) => p.docs.map((d) => d.scope)))].sort(), [
    '*',
    '140.112.0.0/16,2001:db8:a::/48',
    '140.114.0.0/16',
  ]);
  const days = await store.days();
  for (const p of parts)
    for (const d of p.docs)
      assert.equal(d.flows, days.find((x) => Date.parse(`${x.day}T00:00:00Z`) === d.day)!.flows);
  for (const [bucket, size] of [
    ['window', 300_000],
    ['hour', 3_600_000],
    ['day', DAY],
  ] as const) {
    // Over the closed days and into the open one (that part from the flows).
    const to = bucket === 'window' ? D0 + 2 * DAY : D0 + 4 * DAY;
    const from = bucket === 'window' ? D0 + DAY - 3_600_000 : D0;
    assert.deepEqual(await traffic(range(from, to, bucket), TOKENS.admin), truth(from, to, size));
  }
  const b = await traffic(range(D0, D0 + 4 * DAY, 'hour'), TOKENS.campusB);
  assert.deepEqual(b, truth(D0, D0 + 4 * DAY, 3_600_000, B));
  const a = await traffic(range(D0, D0 + 4 * DAY, 'hour'), TOKENS.campusA);
  assert.deepEqual(a, truth(D0, D0 + 4 * DAY, 3_600_000, A));
  assert.notDeepEqual(a, b);
  // A campus token asking for the other's traffic is refused, rollups or not.
  const other = await app.inject({
    url: `/api/traffic?${range(D0, D0 + DAY, 'hour')}&org=Campus%20A`,
    headers: { authorization: `Bearer ${TOKENS.campusB}` },
  });
  assert.equal(other.statusCode, 403);
});

test('a late flow into a closed day shows at the next view, in its scopes only', async () => {
  const q = range(D0, D0 + 3 * DAY, 'hour');
  const beforeA = await traffic(q, TOKENS.campusA);
  const beforeAll = await traffic(q, TOKENS.admin);
  const at = D0 + DAY + 7 * 3_600_000 + 1234;
  await write([flow(at, '140.114.5.5', '192.0.2.7', 7)]);
  const all = await traffic(q, TOKENS.admin);
  assert.deepEqual(all, truth(D0, D0 + 3 * DAY, 3_600_000));
  // Day 2, 07:00-08:00: one flow more, 3 packets and 480 bytes (flow(…, 7)).
  assert.deepEqual(
    [
      all[31]!.flows - beforeAll[31]!.flows,
      all[31]!.packets - beforeAll[31]!.packets,
      all[31]!.bytes - beforeAll[31]!.bytes,
    ],
    [1, 3, 480],
  );
  assert.deepEqual(await traffic(q, TOKENS.campusB), truth(D0, D0 + 3 * DAY, 3_600_000, B));
  assert.deepEqual(await traffic(q, TOKENS.campusA), beforeA);
  // The stored rollup of that day now counts it too.
  const day = (
    await store.getDocs<{ scope: string; flows: number; slots: number[] }>('rollups', {
      from: '2026-10-02',
      to: '2026-10-02.z',
    })
  )
    .flatMap((p) => p.docs)
    .find((d) => d.scope === '*')!;
  assert.equal(
    day.flows,
    flows.filter((f) => f.flowEndMilliseconds >= D0 + DAY && f.flowEndMilliseconds < D0 + 2 * DAY).length,
  );
  assert.equal(
    day.slots.filter((_, i) => i % 3 === 0).reduce((x, y) => x + y, 0),
    day.flows,
  );
});

test('after a restart the rollups are read from the store, not summed again', async () => {
  const days = [D0, D0 + DAY, D0 + 2 * DAY];
  const fresh = new DayRollups(store, new DayCounts(store));
  const got = await fresh.get(days, ['140.114.0.0/16']);
  assert.equal(fresh.summed, 0);
  const want = truth(D0, D0 + 3 * DAY, 300_000, B);
  assert.deepEqual(
    days.flatMap((d) => [...got.get(d)!].filter((_, i) => i % 3 === 0)),
    want.map((x) => x.flows),
  );
  // A scope no document was made for is summed once, then kept.
  const lab = await fresh.get(days, ['198.18.0.0/15']);
  assert.equal(fresh.summed, 1);
  assert.equal(
    [...lab.values()].reduce((a, s) => a + s.reduce((x, y) => x + y, 0), 0),
    0,
  );
});
