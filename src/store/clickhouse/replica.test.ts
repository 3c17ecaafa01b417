/**
 * The replicated layout on a real cluster: ZooKeeper and four
 * clickhouse-server processes on loopback (two shards × two replicas,
 * ReplicatedMergeTree, started by scripts/clickhouse-cluster.sh). A replica
 * is killed (SIGKILL) while flows are being inserted: every flow is stored
 * once, detection and the hunt keep answering as on DuckDB while it is down,
 * and it catches up with its peer when it returns. Skipped without
 * clickhouse-server or zookeeper, failed without them in CI.
 */

import assert from 'node:assert/strict';
import { cpSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { detectRange } from '../../detect/index.js';
import { type Report, readReports } from '../../detect/report.js';
import { defaultThresholds } from '../../detect/thresholds.js';
import { DAY_MS, dayOf, FlowBatch } from '../../flow/batch.js';
import { learnSignatures } from '../../hunt/catalog.js';
import { DEFAULT_HUNT, huntRange } from '../../hunt/hunt.js';
import { allFindings } from '../../hunt/master.js';
import { createSimulation } from '../../simulate/simulation.js';
import { startCluster, type TestCluster, ZOOKEEPER_JAR } from '../../testing/clickhouse.js';
import { hasTool, requireTool, tempDir } from '../../testing/helpers.js';
import { rng } from '../../testing/rng.js';
import { DuckFlowStore } from '../duckdb/index.js';
import type { FlowStore } from '../types.js';
import { Conn } from './conn.js';
import { ClickHouseFlowStore, REVIVE_MS } from './index.js';

/** Server n of the script's replicated layout: 1,2 hold shard 1 and 3,4 shard 2, replica 1 first. */
const SHARD2_FIRST = 3;
const SHARD2_SECOND = 4;

const missing = !hasTool('clickhouse-server')
  ? 'clickhouse-server'
  : !existsSync(ZOOKEEPER_JAR)
    ? 'zookeeper'
    : '';

let cluster: TestCluster | undefined;
let seq = 0;

function urlFor(db: string): string {
  return cluster!.url.replace('/default?', `/${db}?`);
}

function freshDb(): string {
  return `fh_repl_${process.pid}_${++seq}`;
}

/** Server n's own connection (its local tables). */
function server(n: number): Conn {
  const port = Number(/:(\d+)\//.exec(cluster!.url)![1]) + n - 1;
  return new Conn(`http://127.0.0.1:${port}`, {
    username: 'default',
    password: '',
    requestTimeoutMs: 120_000,
  });
}

async function localCount(n: number, db: string): Promise<number> {
  const c = server(n);
  try {
    return Number((await c.rows(`SELECT count() AS n FROM \`${db}\`.flows_local`))[0]!['n']);
  } finally {
    await c.close();
  }
}

/** 400 flows (sources 10.0.0.0 up) on each day from `from` to `to - 1` days back from `now`. */
function daysBack(now: number, from: number, to: number): FlowBatch {
  const b = new FlowBatch((to - from) * 400);
  for (let d = from; d < to; d++)
    for (let i = 0; i < 400; i++) {
      const k = b.add();
      b.te[k] = now - d * DAY_MS - i * 1000;
      b.ts[k] = b.te[k]! - 10;
      b.setV4('src', k, (0x0a000000 + i) >>> 0);
    }
  return b;
}

/** Waits until server n has done every replication task it has (fetches of the parts it missed). */
async function syncReplica(n: number, db: string): Promise<void> {
  const c = server(n);
  try {
    for (const t of ['flows_local', 'docs_local']) await c.command(`SYSTEM SYNC REPLICA \`${db}\`.${t}`);
  } finally {
    await c.close();
  }
}

/** As the collector does: a failed flush keeps its rows and is tried again (bounded here). */
async function flushRetrying(s: FlowStore, failures: string[]): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await s.flush();
      return;
    } catch (e) {
      failures.push((e as Error).message);
      if (attempt >= 300) throw e;
      await sleep(100);
    }
  }
}

if (missing) {
  test('clickhouse replicated: two shards × two replicas survive a killed replica', (t) => {
    requireTool(t, missing);
  });
} else {
  before(async () => {
    cluster = await startCluster('replicated');
  });
  registerTests();
  after(() => cluster?.stop());
}

/** Random flows of one day, every one different (a random start time and source port). */
function synthetic(n: number, r: () => number): FlowBatch {
  const b = new FlowBatch(n);
  const t0 = Date.parse('2026-11-18T00:00:00Z');
  for (let i = 0; i < n; i++) {
    const k = b.add();
    b.ts[k] = t0 + Math.floor(r() * 80_000_000);
    b.te[k] = b.ts[k]! + Math.floor(r() * 60_000);
    b.setV4('src', k, (0x0a000000 + Math.floor(r() * 65536)) >>> 0);
    b.setV4('dst', k, (0xc0a80000 + Math.floor(r() * 256)) >>> 0);
    b.sport[k] = 1024 + Math.floor(r() * 60000);
    b.dport[k] = [22, 53, 80, 443][Math.floor(r() * 4)]!;
    b.proto[k] = 6;
    b.packets[k] = 1 + Math.floor(r() * 10);
    b.bytes[k] = b.packets[k]! * 60;
  }
  return b;
}

function registerTests(): void {
  test('clickhouse replicated: the layout follows the cluster (ReplicatedMergeTree on four servers)', async () => {
    const db = freshDb();
    const s = await ClickHouseFlowStore.open(urlFor(db));
    try {
      assert.equal(s.layout, 'replicated');
      assert.deepEqual(
        s.servers.map((x) => [x.shard, x.replica]),
        [
          [1, 1],
          [1, 2],
          [2, 1],
          [2, 2],
        ],
      );
      for (let n = 1; n <= 4; n++) {
        const c = server(n);
        const rows = await c.rows(
          `SELECT name, engine FROM system.tables WHERE database = '${db}' AND name LIKE '%_local' ORDER BY name`,
        );
        await c.close();
        assert.deepEqual(
          rows.map((r) => `${r['name']} ${r['engine']}`),
          ['docs_local ReplicatedReplacingMergeTree', 'flows_local ReplicatedMergeTree'],
          `server ${n}`,
        );
      }
    } finally {
      await s.close();
    }
  });

  test('clickhouse replicated: mistakes and a dead shard are one-line errors', async () => {
    const one = (re: RegExp) => (e: Error) => re.test(e.message) && !e.message.includes('\n');
    const port = (n: number) => Number(/:(\d+)\//.exec(cluster!.url)![1]) + n - 1;
    // The same server twice under two names, and one of its peers left out.
    const twice = urlFor(freshDb()).replace(
      /&nodes=.*$/,
      `&nodes=127.0.0.1:${port(1)},localhost:${port(1)},127.0.0.1:${port(3)},127.0.0.1:${port(4)}`,
    );
    await assert.rejects(ClickHouseFlowStore.open(twice), one(/names replica node1 of shard 1 twice/));
    // A database made unreplicated (by hand here; by an older layout in life) is refused.
    const db = freshDb();
    const c = server(1);
    try {
      await c.command(`CREATE DATABASE \`${db}\``);
      await c.command(`CREATE TABLE \`${db}\`.flows_local (te Int64) ENGINE = MergeTree ORDER BY te`);
    } finally {
      await c.close();
    }
    await assert.rejects(
      ClickHouseFlowStore.open(urlFor(db)),
      one(/holds flows_local as MergeTree, not replicated, but the cluster has several replicas per shard/),
    );
    // No replica of shard 2 answers: refused, naming the shard.
    cluster!.kill(SHARD2_FIRST);
    cluster!.kill(SHARD2_SECOND);
    try {
      await assert.rejects(ClickHouseFlowStore.open(urlFor(freshDb())), one(/no replica of shard 2 answers/));
    } finally {
      cluster!.startNode(SHARD2_FIRST);
      cluster!.startNode(SHARD2_SECOND);
    }
  });

  test('clickhouse replicated: retention drops old days on every replica, a replica that was down included', async () => {
    const db = freshDb();
    const s = await ClickHouseFlowStore.open(urlFor(db));
    try {
      const now = Date.parse('2026-11-22T12:00:00Z');
      // The old days reach every replica; the replica then goes down and misses today: what it has
      // is only days that retention drops while it is down, and when it returns it must drop them
      // from its replication log and fetch today.
      await s.append(daysBack(now, 1, 3));
      await s.flush();
      for (let n = 1; n <= 4; n++) await syncReplica(n, db);
      const held = await localCount(SHARD2_SECOND, db);
      assert.ok(held > 0);
      assert.equal(held, await localCount(SHARD2_FIRST, db));
      cluster!.kill(SHARD2_SECOND);
      await s.append(daysBack(now, 0, 1));
      await s.flush();
      assert.deepEqual(await s.retain(1, now), ['2026-11-20', '2026-11-21']);
      assert.deepEqual(
        (await s.days()).map((d) => [d.day, d.flows]),
        [['2026-11-22', 400]],
      );
      cluster!.startNode(SHARD2_SECOND);
      await syncReplica(SHARD2_SECOND, db);
      // A replica just restarted may answer SYNC REPLICA before it has read its queue from
      // ZooKeeper: wait (bounded) for its parts to settle; a dropped day coming back never settles.
      for (let n = 1; n <= 4; n++) {
        let parts: unknown[] = [];
        for (let tries = 0; tries < 60; tries++) {
          const c = server(n);
          parts = (
            await c.rows(
              `SELECT DISTINCT partition_id AS id FROM system.parts WHERE database = '${db}' AND table = 'flows_local' AND active ORDER BY id`,
            )
          ).map((p) => p['id']);
          await c.close();
          if (parts.length === 1 && parts[0] === '20261122') break;
          await sleep(500);
          await syncReplica(n, db).catch(() => undefined);
        }
        assert.deepEqual(parts, ['20261122'], `server ${n}`);
      }
    } finally {
      await s.close();
    }
  });

  test('clickhouse replicated: a replica down when a new store opens gets its tables when it answers again, and the rows written meanwhile', async () => {
    const db = freshDb();
    cluster!.kill(SHARD2_SECOND);
    let started = false;
    const s = await ClickHouseFlowStore.open(urlFor(db));
    try {
      assert.equal(s.unreachable.length, 1);
      const now = Date.parse('2026-11-22T12:00:00Z');
      await s.append(daysBack(now, 0, 1));
      await s.flush();
      cluster!.startNode(SHARD2_SECOND);
      started = true;
      // The next write or read after the retry interval puts the schema on the returned server.
      await sleep(REVIVE_MS);
      assert.equal((await s.totals({})).flows, 400);
      assert.deepEqual(s.unreachable, []);
      await syncReplica(SHARD2_SECOND, db);
      const peer = await localCount(SHARD2_FIRST, db);
      assert.ok(peer > 0);
      assert.equal(await localCount(SHARD2_SECOND, db), peer);
    } finally {
      await s.close();
      if (!started) cluster!.startNode(SHARD2_SECOND);
    }
  });

  test('clickhouse replicated: a replica killed with parts on its disk that ZooKeeper does not list (a fetch cut short) starts again and holds what its peer holds', async () => {
    const db = freshDb();
    const s = await ClickHouseFlowStore.open(urlFor(db));
    try {
      const now = Date.parse('2026-11-22T12:00:00Z');
      await s.append(daysBack(now, 0, 1));
      await s.flush();
      for (let n = 1; n <= 4; n++) await syncReplica(n, db);
      const peer = await localCount(SHARD2_FIRST, db);
      assert.ok(peer > 0);
      cluster!.kill(SHARD2_SECOND);
      // Two copies of its part under block numbers nobody wrote: written to disk, never committed to
      // ZooKeeper, as a fetch killed between the two leaves them. They are two thirds of its rows: by
      // ClickHouse's default (half) the server would refuse to start.
      const table = join(cluster!.dir, `node${SHARD2_SECOND}`, 'data', 'data', db, 'flows_local');
      const part = readdirSync(table).find((p) => /^\d{8}_\d+_\d+_\d+$/.test(p));
      assert.ok(part, `a part in ${table}`);
      const day = part.split('_')[0]!;
      for (const block of [900, 901])
        cpSync(join(table, part), join(table, `${day}_${block}_${block}_0`), { recursive: true });
      cluster!.startNode(SHARD2_SECOND);
      await syncReplica(SHARD2_SECOND, db);
      // Not read (moved aside, not attached): the rows are not doubled.
      assert.equal(await localCount(SHARD2_SECOND, db), peer);
    } finally {
      await s.close();
    }
  });

  test("clickhouse replicated: large inserts with shard 2's first replica killed at random moments in them, retried with newer rows waiting: every row once", async (t) => {
    const db = freshDb();
    const s = await ClickHouseFlowStore.open(urlFor(db), { maxPendingRows: 1e9 });
    t.after(() => s.close());
    const duck = await DuckFlowStore.open(tempDir(t));
    t.after(() => duck.close());
    const failures: string[] = [];
    const r = rng(3);
    let killedMidInsert = 0;
    for (let attempt = 0; attempt < 3; attempt++) {
      // Several Native blocks; the replica the Distributed table writes shard 2 to dies at a random moment.
      const big = synthetic(300_000, r);
      await duck.append(big);
      await s.append(big);
      let done = false;
      const flushing = s.flush().then(
        () => undefined,
        (e: Error) => e,
      );
      void flushing.finally(() => {
        done = true;
      });
      await sleep(Math.floor(r() * 800));
      if (!done) {
        cluster!.kill(SHARD2_FIRST);
        killedMidInsert++;
      }
      const err = await flushing;
      if (err) failures.push(err.message);
      // Newer rows arrive before the retry; they must not change the retried insert's blocks.
      const small = synthetic(5_000, r);
      await duck.append(small);
      await s.append(small);
      await flushRetrying(s, failures);
      await duck.flush();
      // Nothing doubled while the replica is down; rows it acknowledged just before it died (there
      // is no insert quorum) are on its disk only, so nothing lost is checked once it is back.
      const down = await s.totals({});
      const want = await duck.totals({});
      assert.ok(down.flows <= want.flows, `attempt ${attempt}: ${down.flows} of ${want.flows} while down`);
      if (cluster!.pid(SHARD2_FIRST) === undefined) cluster!.startNode(SHARD2_FIRST);
      await syncReplica(SHARD2_FIRST, db);
      await syncReplica(SHARD2_SECOND, db);
      assert.deepEqual(await s.totals({}), want, `attempt ${attempt}`);
    }
    t.diagnostic(`killed during the insert ${killedMidInsert} of 3 times; ${failures.length} failed flushes`);
    await syncReplica(SHARD2_FIRST, db);
    await syncReplica(SHARD2_SECOND, db);
    assert.equal(await localCount(SHARD2_FIRST, db), await localCount(SHARD2_SECOND, db));
    assert.equal(await localCount(1, db), await localCount(2, db));
  });

  test('clickhouse replicated: a replica killed during steady ingest loses and doubles nothing; detection and the hunt answer as on DuckDB while it is down; it catches up when it returns', async (t) => {
    const db = freshDb();
    // Twenty minutes before a UTC midnight, one hour: the replica dies on the first day, and
    // the second day (all sent after the kill) is detected and hunted while it is down.
    const midnight = Math.floor(Date.parse('2026-11-20T00:00:00Z') / DAY_MS) * DAY_MS;
    const sim = createSimulation({ scenario: 'demo', seed: 4, hours: 1, from: midnight - 20 * 60_000 });
    const batches = [...sim.batches()].filter((b) => b.length > 0);
    const total = batches.reduce((n, b) => n + b.length, 0);
    const store = await ClickHouseFlowStore.open(urlFor(db), { maxPendingRows: 1e9 });
    t.after(() => store.close());
    const duck = await DuckFlowStore.open(tempDir(t));
    t.after(() => duck.close());

    // Steady ingest, one flush per simulated minute, as fast as the cluster takes them; the first
    // replica of shard 2 (the one the Distributed table sends shard 2's rows to) is killed at a
    // random moment after the 8th minute, whatever the loop is doing then.
    const failures: string[] = [];
    const r = rng(7);
    let sent = 0;
    let killed: Promise<void> | undefined;
    for (const [i, b] of batches.entries()) {
      await store.append(b);
      sent += b.length;
      await flushRetrying(store, failures);
      if (i === 8) killed = sleep(Math.floor(r() * 300)).then(() => cluster!.kill(SHARD2_FIRST));
      // The second day starts at minute 20: by then the replica is down.
      if (i === 19) await killed;
    }
    for (const b of batches) await duck.append(b);
    await duck.flush();
    assert.equal(sent, total);
    assert.equal(cluster!.pid(SHARD2_FIRST), undefined, 'the replica is down');
    t.diagnostic(`${failures.length} failed flushes retried: ${failures[0] ?? '-'}`);

    // While it is down: the second day was all sent after the kill, so it is whole.
    const day2 = { from: midnight, to: sim.to };
    assert.deepEqual(await store.totals(day2), await duck.totals(day2));
    assert.ok((await duck.totals(day2)).flows > 50_000);
    // Pinned: the learned baseline of day 2 comes from day 1, whose last rows before the kill may be on
    // the killed replica only, so it is not the same on both stores while it is down (a baseline learned
    // on a degraded cluster is learned from the rows it can read).
    const learned = defaultThresholds();
    const thresholds = { ...learned, baseline: { ...learned.baseline, mode: 'pinned' as const } };
    await detectRange(duck, day2.from, day2.to, { thresholds });
    await detectRange(store, day2.from, day2.to, { thresholds });
    const want = await readReports(duck, day2.from, day2.to);
    assert.ok(want.length >= 4, `${want.length} reports`);
    assert.deepEqual(await readReports(store, day2.from, day2.to), want);
    const sigs = learnSignatures(want);
    const large = new Set(want.filter((x: Report) => x.role === 'source').map((x) => x.ip));
    await huntRange(duck, day2.from, day2.to, sigs, DEFAULT_HUNT, large);
    await huntRange(store, day2.from, day2.to, sigs, DEFAULT_HUNT, large);
    const findings = await allFindings(duck);
    assert.ok(findings.length > 0);
    assert.deepEqual(await allFindings(store), findings);

    // A process that opens the store while the replica is down (a restarted detector, say) works.
    const late = await ClickHouseFlowStore.open(urlFor(db));
    try {
      assert.equal(late.unreachable.length, 1);
      assert.equal(late.servers.length, 3);
      assert.deepEqual(await late.totals(day2), await duck.totals(day2));
      assert.deepEqual(await readReports(late, day2.from, day2.to), want);
    } finally {
      await late.close();
    }

    // It returns and catches up: its table equals its peer's, and the whole store equals DuckDB.
    // Both replicas sync: the returned one fetches what it missed, and its peer fetches the rows the
    // returned one acknowledged just before it died (they were on its disk only).
    cluster!.startNode(SHARD2_FIRST);
    await syncReplica(SHARD2_FIRST, db);
    await syncReplica(SHARD2_SECOND, db);
    const local = await Promise.all([1, 2, 3, 4].map((n) => localCount(n, db)));
    assert.equal(local[2], local[3], 'shard 2: the returned replica holds what its peer holds');
    assert.equal(local[0], local[1], 'shard 1: both replicas alike');
    assert.equal(local[0]! + local[2]!, total, 'each flow once');
    assert.deepEqual(await store.totals({}), await duck.totals({}));
    assert.deepEqual(
      (await store.days()).map((d) => [d.day, d.flows]),
      [
        [dayOf(midnight - DAY_MS), (await duck.totals({ to: midnight })).flows],
        [dayOf(midnight), (await duck.totals(day2)).flows],
      ],
    );
    // The first day, whose last rows before the kill may have been on the killed replica only, hunts as on DuckDB now.
    const day1 = { from: midnight - DAY_MS, to: midnight };
    await huntRange(duck, day1.from, day1.to, sigs, DEFAULT_HUNT, large);
    await huntRange(store, day1.from, day1.to, sigs, DEFAULT_HUNT, large);
    assert.deepEqual(await allFindings(store), await allFindings(duck));
    // The returned replica serves reads on its own (its copy of the reports written while it was down).
    cluster!.kill(SHARD2_SECOND);
    assert.deepEqual(await readReports(store, day2.from, day2.to), want);
    assert.deepEqual(await store.totals({}), await duck.totals({}));
    cluster!.startNode(SHARD2_SECOND);
    const mib = cluster!.peakRssMiB();
    t.diagnostic(`peak RSS MiB: servers ${mib.slice(0, 4).join(', ')}, zookeeper ${mib[4]}`);
    // The entry server itself dies: another server takes its requests, reads and writes alike.
    cluster!.kill(1);
    const extra = synthetic(2_000, r);
    await store.append(extra);
    await flushRetrying(store, failures);
    await duck.append(extra);
    await duck.flush();
    assert.deepEqual(await store.totals({}), await duck.totals({}));
    assert.deepEqual(await readReports(store, day2.from, day2.to), want);
    cluster!.startNode(1);
    await syncReplica(1, db);
    assert.equal(await localCount(1, db), await localCount(2, db));
    t.diagnostic(`RSS MiB at the end: ${cluster!.rssMiB().join(', ')}`);
  });
}
