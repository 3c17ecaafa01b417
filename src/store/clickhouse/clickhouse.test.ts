/**
 * The ClickHouse engine against a real two-shard cluster on loopback
 * (started by `scripts/clickhouse-cluster.sh`): the shared store contract,
 * then the same flows through DuckDB and through the cluster, answer for
 * answer. Skipped without `clickhouse-server`, failed without it in CI.
 */

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { detectWindow } from '../../detect/index.js';
import { defaultThresholds } from '../../detect/thresholds.js';
import { FlowBatch } from '../../flow/batch.js';
import { emptyRecord } from '../../flow/record.js';
import { CLUSTER_SCRIPT, freeClusterBase } from '../../testing/clickhouse.js';
import { hasTool, requireTool } from '../../testing/helpers.js';
import { leaseContract } from '../../testing/lease.case.js';
import { runStoreContract, sampleFlows } from '../../testing/store.case.js';
import { DuckFlowStore } from '../duckdb/index.js';
import { compileFilter } from '../filter/index.js';
import { openStore } from '../open.js';
import { raw, type Sql, sql } from '../sql.js';
import { type FlowQuery, type FlowStore, STAT_KEYS, STAT_ORDERS, StoreError } from '../types.js';
import { ClickHouseFlowStore } from './index.js';

const SCRIPT = CLUSTER_SCRIPT;

let clusterDir = '';
let clusterUrl = '';
let dbSeq = 0;

/** The cluster URL with another database: every `open` of the contract starts empty. */
function urlFor(db: string, cluster = true): string {
  const u = clusterUrl.replace('/default?', `/${db}?`);
  return cluster ? u : u.replace(/\?.*$/, '');
}

function freshDb(): string {
  return `fh_${process.pid}_${++dbSeq}`;
}

if (!hasTool('clickhouse-server')) {
  test('clickhouse: the engine runs against a two-shard cluster', (t) => {
    requireTool(t, 'clickhouse-server');
  });
} else {
  before(async () => {
    clusterDir = mkdtempSync(join(tmpdir(), 'fh-ch-'));
    const base = await freeClusterBase();
    clusterUrl = execFileSync('bash', [SCRIPT, 'start', clusterDir, String(base)], {
      encoding: 'utf8',
    }).trim();
  });
  let current = '';
  runStoreContract('clickhouse', {
    open: async () => {
      current = urlFor(freshDb());
      return openStore(current);
    },
    reopen: () => openStore(current),
  });

  registerClusterTests();
  // Registered last: after hooks run in order, so the stores above close before the cluster stops.
  after(() => {
    if (clusterDir) {
      execFileSync('bash', [SCRIPT, 'stop', clusterDir]);
      rmSync(clusterDir, { recursive: true, force: true });
    }
  });
}

// ------------------------------------------------------------------ helpers

/** A small deterministic generator (the same flows every run). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/**
 * Flows with many ties (few distinct ports and counters), IPv4 and IPv6
 * sources including halves above 2^63, over two days.
 */
function varied(n: number): FlowBatch {
  const r = lcg(42);
  const b = new FlowBatch(n);
  const t0 = Date.parse('2026-11-20T20:00:00Z');
  for (let i = 0; i < n; i++) {
    const k = b.add();
    const te = t0 + Math.floor(r() * 8 * 3_600_000);
    b.te[k] = te;
    b.ts[k] = te - Math.floor(r() * 60_000);
    const s = Math.floor(r() * 300);
    if (s % 5 === 0) b.setAddr('src', k, [0xffffffff, 0x20010db8 + s, 0x80000000 + s, s]);
    else b.setV4('src', k, (0x0a000000 + s * 7) >>> 0);
    b.setV4('dst', k, (0xc0000200 + Math.floor(r() * 40)) >>> 0);
    b.setV4('exporter', k, 0xc6336401);
    b.sport[k] = r() < 0.3 ? 53 : 40000 + Math.floor(r() * 100);
    b.dport[k] = [22, 53, 80, 443, 3389][Math.floor(r() * 5)]!;
    b.proto[k] = b.sport[k] === 53 ? 17 : 6;
    b.flags[k] = b.proto[k] === 6 ? [2, 18, 27][Math.floor(r() * 3)]! : 0;
    b.packets[k] = 1 + Math.floor(r() * 4);
    b.bytes[k] = b.packets[k]! * (40 + Math.floor(r() * 3) * 20);
    b.inIf[k] = 1 + Math.floor(r() * 3);
  }
  return b;
}

const QUERIES: [string, (s: FlowStore) => FlowQuery][] = [
  ['all', () => ({})],
  ['first day', () => ({ to: Date.parse('2026-11-21T00:00:00Z') })],
  ['an hour', () => ({ from: Date.parse('2026-11-21T01:00:00Z'), to: Date.parse('2026-11-21T02:00:00Z') })],
  [
    'src net 10.0.0.0/8 and flags S',
    (s) => ({ where: compileFilter('src net 10.0.0.0/8 and flags S', s.dialect) }),
  ],
  ['inet6 or port 3389', (s) => ({ where: compileFilter('inet6 or port 3389', s.dialect) })],
  [
    'packets > 2 and not proto udp',
    (s) => ({ where: compileFilter('packets > 2 and not proto udp', s.dialect) }),
  ],
];

function registerClusterTests(): void {
  let duck: DuckFlowStore;
  let ch: ClickHouseFlowStore;
  let n = 0;
  let dir = '';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fh-ch-duck-'));
    duck = await DuckFlowStore.open(dir);
    ch = await ClickHouseFlowStore.open(urlFor(freshDb()));
    const b = varied(20_000);
    n = b.length;
    await duck.append(b);
    await duck.flush();
    await ch.append(b);
    await ch.flush();
  });
  after(async () => {
    await duck?.close();
    await ch?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('clickhouse: a read (create: false) refuses a database that does not exist and creates none', async () => {
    const missing = urlFor(freshDb());
    const refused = (e: unknown) =>
      e instanceof StoreError &&
      e.code === 'no_store' &&
      /does not exist/.test(e.message) &&
      !e.message.includes('\n');
    await assert.rejects(openStore(missing, { create: false }), refused);
    // Refused twice: the first attempt created nothing.
    await assert.rejects(openStore(missing, { create: false }), refused);
    const existing = await openStore(urlFor(ch.database), { create: false });
    assert.equal((await existing.totals({})).flows, n);
    await existing.close();
  });

  test('clickhouse: flows land on both shards, each source address on one shard only', async () => {
    const counts: number[] = [];
    const sources: Set<string>[] = [];
    for (const server of ch.servers) {
      // Each server alone (no cluster): its own part of the data, in its local table.
      const one = await ClickHouseFlowStore.open(
        `clickhouse://${server.url.slice('http://'.length)}/${ch.database}`,
      );
      try {
        const local = raw(`\`${ch.database}\`.flows_local`);
        const c = await one.queryFlows({}, () => sql`SELECT count() AS n FROM ${local}`);
        counts.push(Number(c[0]!['n']));
        const srcs = await one.queryFlows({}, () => sql`SELECT DISTINCT src_hi, src_lo FROM ${local}`);
        sources.push(new Set(srcs.map((r) => `${r['src_hi']}/${r['src_lo']}`)));
      } finally {
        await one.close();
      }
    }
    assert.equal(counts.length, 2);
    assert.ok(
      counts.every((c) => c > 0),
      `rows per shard: ${counts.join(', ')}`,
    );
    assert.equal(counts[0]! + counts[1]!, n);
    const both = [...sources[0]!].filter((k) => sources[1]!.has(k));
    assert.deepEqual(both, [], "a host's flows are together on one shard");
    assert.equal(sources[0]!.size + sources[1]!.size, 300);
  });

  test('clickhouse: totals and every stat key/order are identical to DuckDB', async () => {
    for (const [name, q] of QUERIES) {
      const dq = q(duck);
      const cq = q(ch);
      assert.deepEqual(await ch.totals(cq), await duck.totals(dq), `totals ${name}`);
      for (const key of STAT_KEYS) {
        for (const order of STAT_ORDERS) {
          const want = await duck.stat(dq, key, order, 15);
          assert.ok(want.length > 0 || name !== 'all');
          assert.deepEqual(await ch.stat(cq, key, order, 15), want, `stat ${key}/${order} ${name}`);
        }
      }
    }
  });

  test('clickhouse: list and days agree with DuckDB', async () => {
    const q = { from: Date.parse('2026-11-21T03:00:00Z'), to: Date.parse('2026-11-21T03:20:00Z') };
    const got = await ch.list(q, 100_000);
    const want = await duck.list(q, 100_000);
    const key = (f: {
      flowEndMilliseconds: number;
      flowStartMilliseconds: number;
      sourceIPAddress: string;
      sourceTransportPort: number;
    }) => `${f.flowEndMilliseconds}|${f.flowStartMilliseconds}|${f.sourceIPAddress}|${f.sourceTransportPort}`;
    assert.ok(want.length > 100);
    assert.deepEqual(got.map((f) => JSON.stringify(f)).sort(), want.map((f) => JSON.stringify(f)).sort());
    assert.deepEqual(got.map(key), want.map(key), 'time order');
    assert.deepEqual(
      (await ch.days()).map((d) => [d.day, d.flows]),
      (await duck.days()).map((d) => [d.day, d.flows]),
    );
  });

  test('clickhouse: the dialect keeps the same top rows per group and group sizes as DuckDB', async () => {
    const build = (s: FlowStore, columns?: string[]) => (from: Sql) => {
      const inner = sql`SELECT dport, src_hi, src_lo, count(*) AS flows, sum(bytes) AS b FROM ${from} GROUP BY dport, src_hi, src_lo`;
      const q = s.dialect.withTables([['w', inner]], (ref) =>
        s.dialect.topPerGroup(
          sql`SELECT * FROM ${ref('w')} AS x`,
          ['dport'],
          'flows DESC, b DESC, src_hi, src_lo',
          3,
          columns,
        ),
      );
      return sql`SELECT * FROM (${q}) AS t ORDER BY dport, flows DESC, b DESC, src_hi, src_lo`;
    };
    const pick = (rows: Record<string, unknown>[]) =>
      rows.map((r) => ['dport', 'src_hi', 'src_lo', 'flows', 'b', 'group_rows'].map((k) => String(r[k])));
    const want = pick(await duck.queryFlows({}, build(duck)));
    assert.equal(want.length, 15);
    assert.deepEqual(pick(await ch.queryFlows({}, build(ch))), want);
    // The one-pass forms (named columns) cut the same rows on both engines.
    const cols = ['src_hi', 'src_lo', 'flows', 'b'];
    assert.deepEqual(pick(await duck.queryFlows({}, build(duck, cols))), want);
    assert.deepEqual(pick(await ch.queryFlows({}, build(ch, cols))), want);
    const distinct = (s: FlowStore) => (from: Sql) =>
      sql`SELECT ${raw(s.dialect.countDistinct(['src_hi', 'src_lo']))} AS n FROM ${from} WHERE ${s.dialect.inTuples(
        ['dport', 'proto'],
        [
          [22, 6],
          [53, 17],
        ],
      )}`;
    assert.deepEqual(await ch.queryFlows({}, distinct(ch)), await duck.queryFlows({}, distinct(duck)));
  });

  test('clickhouse: a lease in the cluster: one holder at a time, takeover after expiry, races', async () => {
    const s = await ClickHouseFlowStore.open(urlFor(freshDb()));
    try {
      await leaseContract(s);
    } finally {
      await s.close();
    }
  });

  test('clickhouse: documents replace per partition and read back in order', async () => {
    const s = await ClickHouseFlowStore.open(urlFor(freshDb()));
    try {
      assert.equal(await s.lastPartition('reports'), undefined);
      await s.putDocs('reports', '2026-11-20T13-05', [{ a: 1 }, { text: 'two\nlines "quoted" \\ 中文' }]);
      await s.putDocs('reports', '2026-11-20T13-00', [{ b: 1 }]);
      await s.putDocs('reports', '2026-11-20T13-05', [{ a: 2 }]);
      await s.putDocs('findings', '2026-11-20', []);
      await assert.rejects(s.putDocs('reports', '../x', []), /bad partition/);
      assert.deepEqual(await s.getDocs('reports'), [
        { partition: '2026-11-20T13-00', docs: [{ b: 1 }] },
        { partition: '2026-11-20T13-05', docs: [{ a: 2 }] },
      ]);
      assert.deepEqual(await s.getDocs('reports', { from: '2026-11-20T13-01' }), [
        { partition: '2026-11-20T13-05', docs: [{ a: 2 }] },
      ]);
      assert.deepEqual(await s.getDocs('findings'), [{ partition: '2026-11-20', docs: [] }]);
      assert.equal(await s.lastPartition('reports'), '2026-11-20T13-05');
      await s.putDocs('reports', '2026-11-20T13-00', [{ text: 'two\nlines "quoted" \\ 中文' }]);
      assert.deepEqual((await s.getDocs('reports', { to: '2026-11-20T13-00' }))[0]!.docs, [
        { text: 'two\nlines "quoted" \\ 中文' },
      ]);
    } finally {
      await s.close();
    }
  });

  test('clickhouse: concurrent openers migrate a new database once, and reopening changes nothing', async () => {
    const db = freshDb();
    const stores = await Promise.all([0, 1, 2, 3].map(() => ClickHouseFlowStore.open(urlFor(db))));
    try {
      await stores[0]!.append(varied(50));
      await stores[0]!.flush();
      assert.equal((await stores[3]!.totals({})).flows, 50);
      const again = await ClickHouseFlowStore.open(urlFor(db));
      assert.equal((await again.totals({})).flows, 50);
      const v = await again.queryFlows({}, () =>
        raw(`SELECT max(version) AS v FROM \`${db}\`.schema_migrations`),
      );
      assert.equal(v[0]!['v'], 1);
      await again.close();
    } finally {
      for (const s of stores) await s.close();
    }
  });

  test('clickhouse: one server without a cluster uses its local tables', async () => {
    const db = freshDb();
    const s = await ClickHouseFlowStore.open(urlFor(db, false));
    try {
      await s.append(varied(1000));
      await s.flush();
      assert.equal((await s.totals({})).flows, 1000);
      assert.deepEqual(
        (await s.days()).reduce((a, d) => a + d.flows, 0),
        1000,
      );
      const t = await s.queryFlows({}, () =>
        raw(`SELECT name FROM system.tables WHERE database = '${db}' ORDER BY name`),
      );
      assert.deepEqual(
        t.map((r) => r['name']),
        ['docs_local', 'flows_local', 'schema_migrations'],
      );
    } finally {
      await s.close();
    }
  });

  test('clickhouse: bad URLs and unreachable servers are one-line errors', async () => {
    await assert.rejects(openStore('clickhouse://127.0.0.1:1/db'), (e: Error) => {
      assert.match(e.message, /^cannot reach ClickHouse at http:\/\/127\.0\.0\.1:1: .*ECONNREFUSED/);
      assert.ok(!e.message.includes('\n'));
      return true;
    });
    await assert.rejects(
      openStore(urlFor(freshDb()).replace('cluster=flowhunt', 'cluster=nope')),
      /cluster nope is not in the remote_servers/,
    );
    // Without nodes= the second server is assumed on the entry node's HTTP port: the wrong one here.
    await assert.rejects(
      openStore(urlFor(freshDb()).replace(/&nodes=.*$/, '')),
      /list every server's HTTP endpoint with nodes=|not a member/,
    );
  });

  test('clickhouse: extreme values come back exactly (64-bit counters, time 0, top addresses, unicode)', async () => {
    const s = await ClickHouseFlowStore.open(urlFor(freshDb()));
    const d = await DuckFlowStore.open(mkdtempSync(join(tmpdir(), 'fh-ch-x-')));
    try {
      const base = sampleFlows()[0]!;
      const flows = [
        {
          ...base,
          flowStartMilliseconds: 0,
          flowEndMilliseconds: 2 ** 41 + 7,
          sourceIPAddress: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe',
          destinationIPAddress: '255.255.255.255',
          ipNextHopAddress: '8000::1',
          sourceTransportPort: 65535,
          tcpControlBits: 0xfff,
          packetDeltaCount: 2 ** 53 - 1,
          octetDeltaCount: 2 ** 40 + 3,
          ingressInterface: 2 ** 32 - 1,
          bgpSourceAsNumber: 4_200_000_000,
          ipClassOfService: 255,
          flowDirection: 1,
          samplingInterval: 2 ** 31,
          label: "ünïcödé 中文 \\ 'q'",
        },
      ];
      for (const st of [s, d] as FlowStore[]) {
        const b = new FlowBatch(1);
        for (const f of flows) b.push(f);
        await st.append(b);
        await st.flush();
      }
      assert.deepEqual(await s.list({}, 10), flows);
      assert.deepEqual(await s.list({}, 10), await d.list({}, 10));
      assert.deepEqual(await s.stat({}, 'srcip', 'bytes', 5), await d.stat({}, 'srcip', 'bytes', 5));
    } finally {
      await s.close();
      await d.close();
    }
  });

  test('clickhouse: a labelled and an unlabelled flow keep their label exactly (null is not "")', async () => {
    const s = await ClickHouseFlowStore.open(urlFor(freshDb()));
    try {
      const b = new FlowBatch(4);
      const f = sampleFlows();
      b.push(f[0]!);
      b.push(f[1]!);
      b.push({ ...f[2]!, label: '' });
      await s.append(b);
      await s.flush();
      assert.deepEqual(
        (await s.list({}, 10)).map((r) => r.label),
        ['labelled', null, ''],
      );
    } finally {
      await s.close();
    }
  });

  test('clickhouse: a window whose top-N is full in both roles (500 sources and 500 destinations profiled) detects as on DuckDB', async () => {
    // 500 scanners probe 400 each of 500 busy destinations; 200 quieter ones probe 60 each of 500
    // others. Both roles fill the top 500, with a clear gap to the rest: which hosts are kept does
    // not hang on an engine's approximate distinct count, and the many exact ties must rank the same.
    const w0 = Date.parse('2026-11-22T10:00:00Z');
    const b = new FlowBatch(500 * 400 + 200 * 60);
    const probe = (i: number, d: number, k: number) =>
      b.push({
        ...emptyRecord(),
        flowStartMilliseconds: w0 + k,
        flowEndMilliseconds: w0 + k + 50,
        sourceIPAddress: `10.${i >> 8}.${i & 255}.1`,
        destinationIPAddress: `172.16.${d >> 8}.${d & 255}`,
        sourceTransportPort: 40000 + (k % 20000),
        destinationTransportPort: 445,
        protocolIdentifier: 6,
        tcpControlBits: 2,
        packetDeltaCount: 1,
        octetDeltaCount: 40,
      });
    let k = 0;
    for (let i = 0; i < 500; i++) for (let j = 0; j < 400; j++) probe(i, (i + j) % 500, k++);
    for (let i = 500; i < 700; i++) for (let j = 0; j < 60; j++) probe(i, 500 + ((i * 3 + j) % 500), k++);
    const dir = mkdtempSync(join(tmpdir(), 'fh-ch-topn-'));
    const d = await DuckFlowStore.open(dir);
    const c = await ClickHouseFlowStore.open(urlFor(freshDb()));
    try {
      for (const s of [d, c]) {
        await s.append(b);
        await s.flush();
      }
      // Pinned thresholds: 500 of the window's 700 sources scan, so this window's own normal is scanning
      // (the learned baseline's engine equality is tested on its own).
      const t = defaultThresholds();
      const o = { thresholds: { ...t, baseline: { ...t.baseline, mode: 'pinned' as const } } };
      const want = await detectWindow(d, w0, {}, o);
      assert.deepEqual(want.ranked, { sources: 500, destinations: 500 });
      assert.ok(want.reports.length >= 500, `${want.reports.length} reports`);
      assert.deepEqual(await detectWindow(c, w0, {}, o), want);
    } finally {
      await d.close();
      await c.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
