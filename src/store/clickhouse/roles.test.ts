/**
 * `flowhunt serve` split into roles on a two-shard ClickHouse cluster, as a
 * backbone would run it: two collectors (one per exporter group), one
 * detector, one hunter and one API process, each its own OS process with its
 * own data directory, so ClickHouse is all they share. The detector is killed
 * (SIGKILL) in the middle of its work (up to three times) and restarted; in the end
 * every window's reports are stored exactly once and equal a replay of the
 * same flows on the embedded store, a second detector stands by all along
 * and takes over when the first dies for good, the hunter has hunted the day once, with
 * the same findings, and the API serves them.
 */

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { defaultConfig } from '../../config.js';
import { detectRange } from '../../detect/index.js';
import { type Report, readReports, windowId } from '../../detect/report.js';
import { Enricher } from '../../enrich/index.js';
import { DAY_MS, dayOf, FlowBatch } from '../../flow/batch.js';
import { learnSignatures } from '../../hunt/catalog.js';
import { huntOptionsOf, huntRange } from '../../hunt/hunt.js';
import { allFindings } from '../../hunt/master.js';
import { UdpSender } from '../../simulate/output/udp.js';
import { createSimulation } from '../../simulate/simulation.js';
import { startCluster } from '../../testing/clickhouse.js';
import { hasTool, requireTool, tempDir } from '../../testing/helpers.js';
import { rng } from '../../testing/rng.js';
import { type Served, startServe } from '../../testing/serve.js';
import { DuckFlowStore } from '../duckdb/index.js';
import { openStore } from '../open.js';

const WIN = 300_000;
const iso = (t: number) => new Date(t).toISOString();

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  ms = 120_000,
  everyMs = 100,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

test('serve roles on a two-shard cluster: two collectors, a detector killed mid-window and restarted, a hunter and an API coordinate through ClickHouse alone', async (t) => {
  if (!hasTool('clickhouse-server')) {
    requireTool(t, 'clickhouse-server');
    return;
  }
  // Yesterday's last hour (UTC): a finished day the hunter may hunt, as soon as detection reaches its end.
  const dayEnd = Math.floor(Date.now() / DAY_MS) * DAY_MS;
  const day = dayOf(dayEnd - DAY_MS);
  const sim = createSimulation({ scenario: 'demo', seed: 4, hours: 1, from: dayEnd - 3600_000 });
  const batches = [...sim.batches()].filter((b) => b.length > 0);
  const total = batches.reduce((n, b) => n + b.length, 0);

  // The alerts' webhook: every delivery, by its stable id.
  const delivered: string[] = [];
  const hook = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      delivered.push((JSON.parse(body) as { reportId: string }).reportId);
      res.end('ok');
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  t.after(() => hook.close());

  const cluster = await startCluster();
  const served: Served[] = [];
  t.after(async () => {
    for (const s of served) if (s.proc.exitCode === null) await s.stop('SIGKILL');
    cluster.stop();
  });
  const url = cluster.url.replace('/default?', `/fh_roles_${process.pid}?`);
  const config = join(tempDir(t), 'flowhunt.yaml');
  writeFileSync(
    config,
    JSON.stringify({
      detectGraceSeconds: 0,
      detectBacklogHours: 48,
      leaseSeconds: 10,
      hunt: { graceMinutes: 0 },
      alert: { webhook: { url: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook` } },
    }),
  );
  const dirs = {
    a: tempDir(t),
    b: tempDir(t),
    detector: tempDir(t),
    standby: tempDir(t),
    hunter: tempDir(t),
    api: tempDir(t),
  };
  const serve = async (role: string, data: string) => {
    const s = await startServe(['--role', role, '--store', url, '--data', data, '--config', config]);
    served.push(s);
    return s;
  };

  // Two collectors, each fed by its own exporter group (alternate minutes of the simulated hour).
  const [ca, cb] = [await serve('collector', dirs.a), await serve('collector', dirs.b)];
  const sent = [0, 0];
  for (const [i, c] of [ca, cb].entries()) {
    const s = new UdpSender({ host: '127.0.0.1', port: c.netflowPort, format: 'ipfix', rate: 100_000 });
    await s.open();
    for (const b of batches.filter((_, k) => k % 2 === i)) await s.send(b);
    await s.flush();
    sent[i] = s.flows;
    await s.close();
  }
  assert.equal(sent[0]! + sent[1]!, total);
  const ch = await openStore(url);
  t.after(() => ch.close());
  await until('all flows stored', async () => ((await ch.totals({})).flows === total ? true : undefined));
  for (const [i, c] of [ca, cb].entries()) {
    assert.equal(await c.stop(), 0);
    assert.match(c.stderr(), new RegExp(`stopped; ${sent[i]} flows stored this run`));
  }

  // The reference: the same stored flows replayed on the embedded store.
  const duck = await DuckFlowStore.open(tempDir(t));
  t.after(() => duck.close());
  const copy = new FlowBatch(total);
  for (const f of await ch.list({}, total + 1)) copy.push(f);
  await duck.append(copy);
  await duck.flush();
  const cfg = defaultConfig();
  const enricher = await Enricher.open(cfg.enrich);
  await detectRange(duck, sim.from, sim.to, { thresholds: cfg.detect, enrich: (ip) => enricher.enrich(ip) });
  const want = await readReports(duck, sim.from, sim.to);
  assert.ok(want.length >= 8, `${want.length} reports`);
  const sigs = learnSignatures(want, { minShare: cfg.hunt.minShare });
  const large = new Set(want.filter((r) => r.role === 'source').map((r) => r.ip));
  await huntRange(duck, dayEnd - DAY_MS, dayEnd, sigs, huntOptionsOf(cfg.hunt), large);
  const wantFindings = await allFindings(duck);
  assert.ok(wantFindings.length > 0);

  // Detector, hunter and API start together; the hunter must wait for the detector.
  let detector = await serve('detector', dirs.detector);
  const hunter = await serve('hunter', dirs.hunter);
  const api = await serve('api', dirs.api);
  // A second detector (another machine, say) stands by while the first holds the lease.
  await until('the first detector to take the lease', async () =>
    /this process is the detector/.test(detector.stderr()) ? true : undefined,
  );
  // Started, not awaited: waiting for it first gave the detector time to finish the hour unkilled.
  const standbyStarting = serve('detector', dirs.standby);
  const lastWindow = windowId(dayEnd - WIN);
  const progress = async () => (await ch.lastPartition('detect-state')) ?? '';
  const r = rng(11);
  let kills = 0;
  for (; kills < 3; kills++) {
    const before = await progress();
    const now = await until(
      'detection progress',
      async () => {
        const p = await progress();
        return p > before ? p : undefined;
      },
      120_000,
      5,
    );
    if (now >= lastWindow) break;
    // It has just stored a window and is working on the next one (a window takes ≥ 100 ms here).
    await sleep(Math.floor(r() * 60));
    assert.equal(await detector.stop('SIGKILL'), null);
    detector = await serve('detector', dirs.detector);
  }
  assert.ok(kills >= 1, 'killed at least once before the hour was detected');
  const standby = await standbyStarting;
  await until('the second detector to stand by', async () =>
    /another detector .* holds the detector lease .*: standing by/.test(standby.stderr()) ? true : undefined,
  );
  t.diagnostic(`detector killed ${kills} times mid-hour`);
  await until('detection of the whole hour', async () =>
    (await progress()) >= lastWindow ? true : undefined,
  );

  // Each window's reports once, the same as the replay.
  const parts = await ch.getDocs<Report>('reports', { from: windowId(sim.from), to: lastWindow });
  assert.deepEqual(
    parts.map((p) => p.partition),
    Array.from({ length: 12 }, (_, i) => windowId(sim.from + i * WIN)),
  );
  const got = parts.flatMap((p) => p.docs);
  assert.equal(new Set(got.map((x) => x.id)).size, got.length, 'no report twice');
  assert.deepEqual(got, want);

  // The hunter hunted the day once detection reached its end: the same signatures and findings.
  const hunted = await until('the hunt of the day', async () => {
    const s = await ch.getDocs<{ signatures: number }>('hunt-state', { from: day, to: day });
    return s[0]?.docs[0];
  });
  assert.equal(hunted.signatures, sigs.length);
  assert.deepEqual(await allFindings(ch), wantFindings);
  // The hunter says so after it stores the day's state, and its stderr reaches this process a moment later.
  await until(
    'the hunter to say it hunted the day',
    async () => (hunter.stderr().includes(`hunted ${day}:`) ? true : undefined),
    30_000,
  ).catch(() => undefined);
  assert.match(hunter.stderr(), new RegExp(`hunted ${day}: ${wantFindings.length} findings`));
  assert.equal((hunter.stderr().match(/hunted /g) ?? []).length, 1, 'the day is hunted once');

  // The API, a process of its own, serves what the others stored.
  const reports = (await (
    await fetch(`${api.http}/api/reports?from=${iso(sim.from)}&to=${iso(sim.to)}&limit=1`)
  ).json()) as { total: number };
  assert.equal(reports.total, want.length);
  const findings = (await (await fetch(`${api.http}/api/findings?limit=1`)).json()) as { total: number };
  assert.equal(findings.total, wantFindings.length);

  // Alerts: every alert the throttle opens is delivered, none lost to a kill.
  await until('alerts delivered', async () => (delivered.length ? true : undefined), 30_000);
  // The first report of each thread (host, role, type) opens it with an alert.
  const firsts = new Map<string, string>();
  for (const x of want) {
    const k = `${x.role}|${x.ip}|${x.type}`;
    if (!firsts.has(k)) firsts.set(k, x.id);
  }
  const opened = new Set(firsts.values());
  await until(
    'every opening alert',
    async () => ([...opened].every((id) => delivered.includes(id)) ? true : undefined),
    30_000,
  );
  // The standby never worked (a restarted detector takes its own lease back), and takes over
  // once the first dies for good and its lease expires.
  assert.doesNotMatch(standby.stderr(), /this process is the detector/);
  assert.equal(await detector.stop('SIGKILL'), null);
  await until(
    'the standby to take over',
    async () => (/this process is the detector/.test(standby.stderr()) ? true : undefined),
    30_000,
  );
  for (const s of [standby, hunter, api]) assert.equal(await s.stop(), 0);
});
