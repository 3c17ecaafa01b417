/**
 * @module Benchmark: the scale-out store next to the embedded one, on the
 * same data in one run — a two-shard ClickHouse cluster on loopback
 * (scripts/clickhouse-cluster.sh, both servers on this machine) and DuckDB:
 *
 * 1. store ingest: the same synthetic day appended in the collector's
 *    batches and flushed (flows/s, bytes per flow on disk), also into one
 *    ClickHouse server without `cluster=`;
 * 2. UDP ingest: `flowhunt serve --role collector --store URL` fed a paced
 *    IPFIX stream, the highest rate at which every flow sent is stored;
 * 3. the hunt: that day against the same 1,000 signatures (built as in
 *    bench/hunt.ts) with huntDay on each store; the findings must be equal.
 *
 * Run: node dist/bench/cluster.js [--flows N] [--udp-flows N]
 */

import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FlowBatch } from '../src/flow/batch.js';
import { type Finding, huntDay } from '../src/hunt/hunt.js';
import { UdpSender } from '../src/simulate/output/udp.js';
import { createSimulation } from '../src/simulate/simulation.js';
import { ClickHouseFlowStore } from '../src/store/clickhouse/index.js';
import { openStore } from '../src/store/open.js';
import type { FlowStore } from '../src/store/types.js';
import { startCluster, type TestCluster } from '../src/testing/clickhouse.js';
import { startServe } from '../src/testing/serve.js';
import { arg, timed, writeResult } from './machine.js';
import { benchSignatures, synthFlows } from './synth.js';

const flows = arg('flows', 10_000_000);
const udpFlows = arg('udp-flows', 1_000_000);
const rates = [100_000, 200_000, 300_000, 400_000, 500_000, 700_000, 1_000_000];
const DAY = '2026-11-20';
const t0 = Date.parse(`${DAY}T00:00:00Z`);

const log = (line: string) => void process.stdout.write(`cluster: ${line}\n`);
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const sec = (ms: number) => round(ms / 1000, 3);

/** A raw query on one server's HTTP interface (tab-separated answer, first row). */
async function chRow(http: string, query: string): Promise<string[]> {
  const r = await fetch(`${http}/?query=${encodeURIComponent(query)}`);
  const text = await r.text();
  if (!r.ok) throw new Error(`ClickHouse ${http}: ${text.split('\n')[0]}`);
  return (text.split('\n')[0] ?? '').split('\t');
}

/** Rows of `flows_local` and bytes on disk of all of `db`'s active parts, summed over `servers`. */
async function chDisk(servers: readonly string[], db: string): Promise<{ rows: number; bytes: number }> {
  let rows = 0;
  let bytes = 0;
  for (const s of servers) {
    const [r, b] = await chRow(
      s,
      `SELECT sumIf(rows, table = 'flows_local'), sum(bytes_on_disk) FROM system.parts WHERE active AND database = '${db}'`,
    );
    rows += Number(r);
    bytes += Number(b);
  }
  return { rows, bytes };
}

/** Waits (at most `maxMs`) until no server merges parts, twice in a row; returns the ms waited. */
async function settle(servers: readonly string[], maxMs = 180_000): Promise<number> {
  const start = performance.now();
  let quiet = 0;
  while (performance.now() - start < maxMs && quiet < 2) {
    let merging = 0;
    for (const s of servers) merging += Number((await chRow(s, 'SELECT count() FROM system.merges'))[0]);
    quiet = merging === 0 ? quiet + 1 : 0;
    await new Promise((r) => setTimeout(r, 2000));
  }
  return Math.round(performance.now() - start);
}

function dirBytes(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    n += e.isDirectory() ? dirBytes(p) : statSync(p).size;
  }
  return n;
}

/** Appends every batch and flushes (the collector's path); the store stays open. */
async function load(store: FlowStore, batches: readonly FlowBatch[]) {
  const t = await timed(async () => {
    for (const b of batches) await store.append(b);
    await store.flush();
  });
  return { seconds: sec(t.ms), flowsPerSecond: Math.round(flows / (t.ms / 1000)) };
}

/** The same findings, field by field (both lists come sorted by huntDay). */
function assertSameFindings(a: readonly Finding[], b: readonly Finding[]): void {
  const key = (f: Finding) =>
    [f.signature, f.ip, f.destinations, f.flows, f.sourcePorts, f.firstSeen, f.lastSeen].join(' ');
  const ka = a.map(key);
  const kb = b.map(key);
  if (ka.length !== kb.length || ka.some((k, i) => k !== kb[i])) {
    const onlyA = ka.filter((k) => !kb.includes(k)).slice(0, 5);
    const onlyB = kb.filter((k) => !ka.includes(k)).slice(0, 5);
    throw new Error(
      `the stores disagree: DuckDB ${a.length} findings, ClickHouse ${b.length}; only DuckDB: ${onlyA.join('; ')}; only ClickHouse: ${onlyB.join('; ')}`,
    );
  }
}

// ---------------------------------------------------------------- UDP ingest

async function send(stream: readonly FlowBatch[], port: number, rate: number) {
  const s = new UdpSender({ host: '127.0.0.1', port, format: 'ipfix', rate });
  await s.open();
  const t = performance.now();
  for (const b of stream) await s.send(b);
  await s.flush();
  const seconds = (performance.now() - t) / 1000;
  const sent = s.flows;
  await s.close();
  return { sent, achievedRate: Math.round(sent / seconds) };
}

async function serveRun(stream: readonly FlowBatch[], storeUrl: string, data: string, rate: number) {
  const served = await startServe([
    '--store',
    storeUrl,
    '--data',
    data,
    '--sflow',
    '',
    '--role',
    'collector',
  ]);
  const s = await send(stream, served.netflowPort, rate);
  await new Promise((r) => setTimeout(r, 1000));
  await served.stop();
  const store = await openStore(storeUrl);
  const stored = (await store.totals({})).flows;
  await store.close();
  return { ...s, stored };
}

// ---------------------------------------------------------------- the run

// Other work on the machine skews every figure here: recorded, not prevented.
const loadAtStart = loadavg().map((x) => round(x, 2));
const dir = mkdtempSync(join(tmpdir(), 'fh-bench-cluster-'));
let cluster: TestCluster | undefined;
const opened: FlowStore[] = [];
async function release(s: FlowStore): Promise<void> {
  opened.splice(opened.indexOf(s), 1);
  await s.close();
}
try {
  cluster = await startCluster();
  const base = new URL(cluster.url.replace(/^clickhouse:/, 'http:'));
  const servers = (base.searchParams.get('nodes') ?? '').split(',').map((n) => `http://${n}`);
  const db = `fh_bench_${process.pid}`;
  const clusterUrl = (name: string) => cluster!.url.replace('/default?', `/${name}?`);
  const oneUrl = (name: string) => `clickhouse://${base.host}/${name}`;
  log(`cluster ${cluster.url}`);

  // The day, generated once and kept in memory: only the stores' work is timed.
  const batches: FlowBatch[] = [];
  const gen = await timed(() => synthFlows(flows, t0, t0 + 86_000_000, 5, async (b) => void batches.push(b)));
  log(`${flows} flows generated in ${round(sec(gen.ms))} s`);

  // 1. Store ingest.
  const duck = await openStore(`duckdb:${join(dir, 'duck')}`);
  opened.push(duck);
  const duckLoad = await load(duck, batches);
  const duckBytes = dirBytes(join(dir, 'duck'));
  log(`DuckDB: ${duckLoad.flowsPerSecond} flows/s, ${round(duckBytes / flows)} B/flow`);

  const ch = await ClickHouseFlowStore.open(clusterUrl(db));
  opened.push(ch);
  const version = (await chRow(servers[0]!, 'SELECT version()'))[0]!;
  const chLoad = await load(ch, batches);
  const chSettle = await settle(servers);
  const chDiskNow = await chDisk(servers, db);
  if (chDiskNow.rows !== flows) throw new Error(`cluster holds ${chDiskNow.rows} rows, not ${flows}`);
  log(
    `cluster: ${chLoad.flowsPerSecond} flows/s, ${round(chDiskNow.bytes / flows)} B/flow (merges ${chSettle} ms)`,
  );

  const one = await openStore(oneUrl(`${db}_one`));
  opened.push(one);
  const oneLoad = await load(one, batches);
  await release(one);
  const oneSettle = await settle(servers);
  const oneDisk = await chDisk([servers[0]!], `${db}_one`);
  if (oneDisk.rows !== flows) throw new Error(`the single server holds ${oneDisk.rows} rows, not ${flows}`);
  log(`one server: ${oneLoad.flowsPerSecond} flows/s, ${round(oneDisk.bytes / flows)} B/flow`);
  batches.length = 0;

  // 3. The hunt: signatures as in bench/hunt.ts, from the DuckDB copy of the day.
  const sigs = await benchSignatures(duck, t0);
  const duckHunt = await timed(() => huntDay(duck, DAY, sigs));
  const duckHunt2 = await timed(() => huntDay(duck, DAY, sigs));
  const chHunt = await timed(() => huntDay(ch, DAY, sigs));
  const chHunt2 = await timed(() => huntDay(ch, DAY, sigs));
  assertSameFindings(duckHunt.value, chHunt.value);
  assertSameFindings(duckHunt.value, chHunt2.value);
  const parts = (await ch.days()).find((d) => d.day === DAY)?.files ?? 0;
  log(
    `hunt ${sigs.length} signatures: DuckDB ${sec(duckHunt.ms)} s, cluster ${sec(chHunt.ms)} s, ${duckHunt.value.length} findings each`,
  );
  await release(duck);
  await release(ch);

  // 2. UDP ingest through `flowhunt serve --role collector`.
  const stream: FlowBatch[] = [];
  let total = 0;
  for (const b of createSimulation({ scenario: 'baseline', seed: 1, scale: 40, hours: 2 }).batches()) {
    if (total >= udpFlows) break;
    if (b.length) {
      stream.push(b);
      total += b.length;
    }
  }
  const runs: Record<string, unknown>[] = [];
  let bestDuck = 0;
  let bestCluster = 0;
  for (const rate of rates) {
    const d = await serveRun(
      stream,
      `duckdb:${join(dir, `udp-${rate}`)}`,
      join(dir, `udp-data-${rate}`),
      rate,
    );
    const c = await serveRun(stream, clusterUrl(`${db}_udp_${rate}`), join(dir, `udp-data-c${rate}`), rate);
    if (d.stored === d.sent) bestDuck = Math.max(bestDuck, rate);
    if (c.stored === c.sent) bestCluster = Math.max(bestCluster, rate);
    runs.push({ rate, duckdb: d, cluster: c });
    log(`UDP ${rate}/s: DuckDB ${d.stored}/${d.sent}, cluster ${c.stored}/${c.sent}`);
  }

  const path = writeResult('cluster', {
    flows,
    day: DAY,
    loadAverageAtStart: loadAtStart,
    clickhouse: {
      version,
      servers: servers.length,
      setup: 'scripts/clickhouse-cluster.sh: two clickhouse-server processes on this machine, two shards',
    },
    storeIngest: {
      note: 'the same in-memory batches of 1,048,576 synthetic flows appended, then flushed (default store options: DuckDB flushes every 2 M flows, ClickHouse every 1 M); generation not timed; ClickHouse merges run after the inserts return and are not in the time',
      duckdb: { ...duckLoad, bytesOnDisk: duckBytes, bytesPerFlow: round(duckBytes / flows) },
      cluster: {
        ...chLoad,
        bytesOnDisk: chDiskNow.bytes,
        bytesPerFlow: round(chDiskNow.bytes / flows),
        mergesSettledAfterMs: chSettle,
      },
      oneServer: {
        ...oneLoad,
        bytesOnDisk: oneDisk.bytes,
        bytesPerFlow: round(oneDisk.bytes / flows),
        mergesSettledAfterMs: oneSettle,
      },
    },
    hunt: {
      signatures: sigs.length,
      findings: duckHunt.value.length,
      sameFindings: true,
      duckdb: { seconds: sec(duckHunt.ms), secondRunSeconds: sec(duckHunt2.ms) },
      cluster: { seconds: sec(chHunt.ms), secondRunSeconds: sec(chHunt2.ms), activePartsOfTheDay: parts },
    },
    udpIngest: {
      flows: total,
      format: 'IPFIX over loopback UDP, one exporter, flowhunt serve --role collector (1 decoding worker)',
      runs,
      highestLosslessRate: { duckdb: bestDuck, cluster: bestCluster },
      note: `rates tried: ${rates.join(', ')}; lossless = the store's totals after SIGTERM equal the flows sent`,
    },
  });
  log(`-> ${path}`);
} finally {
  for (const s of opened) await s.close().catch(() => undefined);
  cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
}
