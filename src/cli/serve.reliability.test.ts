/**
 * The live ingest path under hostile and faulty conditions, on a real
 * `flowhunt serve` over loopback UDP: a poison time, flows scattered over
 * thousands of days, a full disk, and 10^5 fuzzed datagrams.
 */

import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DAY_MS } from '../flow/batch.js';
import { DuckFlowStore } from '../store/duckdb/index.js';
import { compileFilter } from '../store/filter/index.js';
import { sql } from '../store/sql.js';
import { readPcapPayloads } from '../testing/datagrams.js';
import { ROOT, runCli, tempDir } from '../testing/helpers.js';
import { ipfixDatagrams, type TestFlow } from '../testing/ipfix.js';
import { rng } from '../testing/rng.js';
import { LOOPBACK_LISTENERS, startServe } from '../testing/serve.js';
import { fillDisk, mountTmpfs } from '../testing/tmpfs.js';

const FLUSH_S = 2;
const HOUR = 3_600_000;

function config(dir: string, extra = ''): string {
  const path = join(dir, 'flowhunt.yaml');
  writeFileSync(path, `collect:\n  flushIntervalSeconds: ${FLUSH_S}\n${extra}`);
  return path;
}

/** Sends datagrams from `from` (any 127/8 address), `burst` at a time with a pause, so the test stays paced. */
async function send(
  port: number,
  datagrams: readonly Buffer[],
  from = '127.0.0.1',
  burst = 200,
  pauseMs = 5,
) {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, from, () => r()));
  try {
    for (let i = 0; i < datagrams.length; i += burst) {
      await Promise.all(
        datagrams
          .slice(i, i + burst)
          .map((d) => new Promise<void>((r, j) => s.send(d, port, '127.0.0.1', (e) => (e ? j(e) : r())))),
      );
      if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
    }
  } finally {
    s.close();
  }
}

/** `n` valid flows ending in the last hour, with 1..n packets (the sum tells which were stored). */
function goodFlows(n: number, now = Date.now()): TestFlow[] {
  return Array.from({ length: n }, (_, i) => ({
    src: `10.9.${(i >> 8) & 255}.${i & 255}`,
    dst: '192.0.2.77',
    packets: i + 1,
    bytes: 100 * (i + 1),
    end: now - HOUR + i * 10,
  }));
}

async function until<T>(what: string, ms: number, fn: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Totals of the flows of one exporter, read by another process's handle as any reader would. */
async function exporterTotals(s: DuckFlowStore, exporter: string) {
  const t = await s.totals({ where: compileFilter(`exporter ip ${exporter}`, s.dialect) });
  return { flows: t.flows, packets: t.packets };
}

const metric = (text: string, name: string) => {
  const m = new RegExp(`^${name.replace(/[{}]/g, (c) => `\\${c}`)} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : Number.NaN;
};

const sum = (n: number) => (n * (n + 1)) / 2;

test('a far-future time over UDP: the other 20 flows are stored once, the poison counted, flushes keep working, SIGTERM exits 0', async (t) => {
  const dir = tempDir(t);
  const serve = await startServe(['--data', join(dir, 'data'), '--config', config(dir)]);
  const reader = await DuckFlowStore.open(join(dir, 'data'), { log: () => undefined });
  t.after(() => reader.close());
  try {
    const flows = goodFlows(20);
    flows.splice(7, 0, { src: '10.66.0.1', dst: '192.0.2.66', packets: 1000, bytes: 1000, end: 9e15 });
    await send(serve.netflowPort, ipfixDatagrams(flows, { perDatagram: 21 }));
    const want = { flows: 20, packets: sum(20) };
    await until('the 20 good flows', (FLUSH_S + 5) * 1000, async () => {
      const got = await exporterTotals(reader, '127.0.0.1');
      return got.flows === 20 ? got : undefined;
    });
    // Three more flush intervals: the wedge rewrote the days before the poison at every retry.
    await new Promise((r) => setTimeout(r, 3 * FLUSH_S * 1000));
    assert.deepEqual(await exporterTotals(reader, '127.0.0.1'), want);
    const m = await (await fetch(`${serve.http}/metrics`)).text();
    assert.equal(metric(m, 'flowhunt_flows_rejected_total{reason="future"}'), 1);
    assert.equal(metric(m, 'flowhunt_store_errors_total'), 0);
    assert.equal(metric(m, 'flowhunt_store_healthy'), 1);
    assert.deepEqual(await (await fetch(`${serve.http}/healthz`)).json(), { ok: true });
  } finally {
    assert.equal(await serve.stop(), 0, serve.stderr());
  }
  assert.doesNotMatch(serve.stderr(), /\n\s+at |RangeError/);
  assert.match(serve.stderr(), /rejected 1 flows with implausible times \(future: 1\)/);
});

test('10,000 flows on distinct days: dropped and counted by reason, one partition made, a valid flow sent right after is queryable within the flush interval', async (t) => {
  const dir = tempDir(t);
  const serve = await startServe(['--data', join(dir, 'data'), '--config', config(dir)]);
  const reader = await DuckFlowStore.open(join(dir, 'data'), { log: () => undefined });
  t.after(() => reader.close());
  const now = Date.now();
  const today = Math.floor(now / DAY_MS) * DAY_MS;
  // 100 datagrams of 100 records, each on its own day: 6,000 from 10 days ago back (stale), 3,000 from
  // 1989-12-31 back (before 1990), and 1,000 from 3 days ahead on (future).
  const scattered: TestFlow[] = [];
  const eve1990 = Date.parse('1989-12-31T12:00:00Z');
  for (let i = 0; i < 10_000; i++) {
    const end =
      i < 6000
        ? today - (10 + i) * DAY_MS + 12 * HOUR
        : i < 9000
          ? eve1990 - (i - 6000) * DAY_MS
          : today + (3 + i - 9000) * DAY_MS;
    scattered.push({ src: '10.77.0.1', dst: '192.0.2.1', packets: 1, bytes: 1, end });
  }
  const stale = 6000;
  const before = 3000;
  try {
    await send(serve.netflowPort, ipfixDatagrams(scattered, { perDatagram: 100 }));
    const sentAt = Date.now();
    await send(serve.netflowPort, ipfixDatagrams(goodFlows(1, now), { domain: 2 }), '127.0.0.2');
    const got = await until('the valid flow', (FLUSH_S + 3) * 1000, async () => {
      const g = await exporterTotals(reader, '127.0.0.2');
      return g.flows > 0 ? g : undefined;
    });
    assert.deepEqual(got, { flows: 1, packets: 1 });
    const m = await (await fetch(`${serve.http}/metrics`)).text();
    assert.equal(metric(m, 'flowhunt_flows_rejected_total{reason="stale"}'), stale);
    assert.equal(metric(m, 'flowhunt_flows_rejected_total{reason="before_earliest"}'), before);
    assert.equal(metric(m, 'flowhunt_flows_rejected_total{reason="future"}'), 1000);
    assert.ok(Date.now() - sentAt <= (FLUSH_S + 3) * 1000);
  } finally {
    assert.equal(await serve.stop(), 0, serve.stderr());
  }
  // One day partition: the valid flow's (the run made 10,001).
  assert.equal(readdirSync(join(dir, 'data', 'flows')).filter((n) => n.startsWith('day=')).length, 1);
});

test('serve on a full disk: keeps running, /healthz 503 with the reason, /metrics unhealthy, the stage bounded; recovers when space returns, every kept flow stored once', async (t) => {
  const mnt = mountTmpfs(t, 16 * 1024 * 1024);
  if (!mnt) return;
  const dir = tempDir(t);
  const data = join(mnt, 'data');
  const cfg = config(dir, 'ingest:\n  maxStagedFlows: 1000\n');
  const serve = await startServe(['--data', data, '--config', cfg]);
  let ballast = '';
  try {
    // The first flush writes the first day (and the process's own documents); then the disk fills.
    await send(serve.netflowPort, ipfixDatagrams(goodFlows(10), { domain: 1 }), '127.0.0.2');
    const reader = await DuckFlowStore.open(data, { log: () => undefined });
    t.after(() => reader.close());
    await until('the first 10 flows', (FLUSH_S + 5) * 1000, async () =>
      (await exporterTotals(reader, '127.0.0.2')).flows === 10 ? true : undefined,
    );
    ballast = fillDisk(mnt, 0);
    // 1,500 more flows (packets 11..1510) while nothing can be written: the stage keeps up to its bound.
    // Three bursts of 500, each handed over before the next is sent, so the stage is full (1,000) before the
    // third: however the collector groups datagrams, some flows are refused (a stage takes the whole batch
    // that reaches it below its bound, so one batch of 1,500 would have been kept whole).
    const more = goodFlows(1510).slice(10);
    const handedOver = async () => {
      const text = await (await fetch(`${serve.http}/metrics`)).text();
      return metric(text, 'flowhunt_store_staged_flows') + metric(text, 'flowhunt_store_refused_flows_total');
    };
    for (let k = 0; k < 3; k++) {
      const part = more.slice(k * 500, (k + 1) * 500);
      await send(
        serve.netflowPort,
        ipfixDatagrams(part, { domain: 1, perDatagram: 50 }),
        '127.0.0.2',
        10,
        20,
      );
      await until(`${(k + 1) * 500} flows staged or refused`, (FLUSH_S + 5) * 1000, async () =>
        (await handedOver()) >= (k + 1) * 500 ? true : undefined,
      );
    }
    const health = await until('/healthz to say unhealthy', (FLUSH_S + 5) * 1000, async () => {
      const r = await fetch(`${serve.http}/healthz`);
      return r.status === 503 ? ((await r.json()) as { ok: boolean; reason: string }) : undefined;
    });
    assert.equal(health.ok, false);
    assert.match(health.reason, /^store: .*No space left on device/);
    // Every flow sent is either staged or refused once the collector has handed it over.
    const m = await until('all 1,500 flows staged or refused', (FLUSH_S + 5) * 1000, async () => {
      const text = await (await fetch(`${serve.http}/metrics`)).text();
      const n =
        metric(text, 'flowhunt_store_staged_flows') + metric(text, 'flowhunt_store_refused_flows_total');
      return n >= 1500 ? text : undefined;
    });
    assert.equal(metric(m, 'flowhunt_store_healthy'), 0);
    const staged = metric(m, 'flowhunt_store_staged_flows');
    const refused = metric(m, 'flowhunt_store_refused_flows_total');
    assert.ok(staged >= 1000 && staged <= 1500, `${staged} staged`);
    assert.equal(staged + refused, 1500, `${staged} staged + ${refused} refused`);
    assert.equal(serve.proc.exitCode, null, 'still running');
    // Space returns: the next flush writes what was kept, once.
    rmSync(ballast);
    ballast = '';
    await until('/healthz to recover', (FLUSH_S + 5) * 1000, async () =>
      (await fetch(`${serve.http}/healthz`)).status === 200 ? true : undefined,
    );
    const got = await exporterTotals(reader, '127.0.0.2');
    assert.equal(got.flows, 10 + staged);
    // The kept flows are the first ones received (packets 11..10+staged): nothing doubled, nothing else lost.
    assert.equal(got.packets, sum(10 + staged));
    const after = await (await fetch(`${serve.http}/metrics`)).text();
    assert.equal(metric(after, 'flowhunt_store_healthy'), 1);
    assert.equal(metric(after, 'flowhunt_store_staged_flows'), 0);
  } finally {
    if (ballast) rmSync(ballast, { force: true });
    assert.equal(await serve.stop(), 0, serve.stderr());
  }
  assert.doesNotMatch(serve.stderr(), /\n\s+at /, 'no stack trace');
  // Refusals are said once a minute, not once per batch.
  assert.equal(
    serve.stderr().match(/refused \d+ flows: the store's stage is full/g)?.length,
    1,
    serve.stderr(),
  );
  assert.doesNotMatch(serve.stderr(), /storing flows failed/);
});

test('serve stopped while the disk is still full: exit 1 and one line saying how many received flows could not be written', async (t) => {
  const mnt = mountTmpfs(t, 8 * 1024 * 1024);
  if (!mnt) return;
  const dir = tempDir(t);
  const serve = await startServe(['--data', join(mnt, 'data'), '--config', config(dir)]);
  const ballast = fillDisk(mnt, 0);
  t.after(() => rmSync(ballast, { force: true }));
  await send(serve.netflowPort, ipfixDatagrams(goodFlows(30)), '127.0.0.2');
  await until('/healthz to say unhealthy', (FLUSH_S + 5) * 1000, async () =>
    (await fetch(`${serve.http}/healthz`)).status === 503 ? true : undefined,
  );
  assert.equal(await serve.stop(), 1, serve.stderr());
  const last = serve.stderr().trim().split('\n').at(-1)!;
  assert.match(
    last,
    /^flowhunt: stopped, but 30 received flows could not be written: could not write 1 of 1 days \(.*No space left on device/,
  );
  assert.doesNotMatch(serve.stderr(), /\n\s+at /, 'no stack trace');
});

/** Real export datagrams of every capture fixture: the fuzzer's seeds. */
function seeds(): Buffer[] {
  const dir = join(ROOT, 'src/decode/testdata');
  const out: Buffer[] = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.pcap'))) {
    for (const p of readPcapPayloads(readFileSync(join(dir, f)))) out.push(Buffer.from(p.payload));
  }
  return out;
}

/** A seeded mutator: byte flips, cuts, splices, and IPFIX records with hostile times. */
function fuzzed(n: number, seed: number): Buffer[] {
  const r = rng(seed);
  const base = seeds();
  const pick = <T>(a: readonly T[]) => a[Math.floor(r() * a.length)]!;
  const out: Buffer[] = [];
  const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;
  for (let i = 0; i < n; i++) {
    const kind = r();
    if (kind < 0.1) {
      // Flows with hostile times: far future, before 1990, scattered over thousands of days.
      const flows: TestFlow[] = Array.from({ length: 20 }, (_, k) => {
        const which = (i + k) % 4;
        const end =
          which === 0
            ? 8.64e15 + Math.floor(r() * 1e15)
            : which === 1
              ? Math.floor(r() * 6e11)
              : which === 2
                ? today - Math.floor(r() * 12_000) * DAY_MS
                : Number.MAX_SAFE_INTEGER;
        return { src: '10.200.0.1', dst: '10.200.0.2', packets: 1, bytes: 1, end };
      });
      out.push(ipfixDatagrams(flows, { domain: 100 + (i % 7), perDatagram: 20 })[0]!);
      continue;
    }
    const d = Buffer.from(pick(base));
    const flips = 1 + Math.floor(r() * 8);
    for (let k = 0; k < flips; k++) d[Math.floor(r() * d.length)] = Math.floor(r() * 256);
    if (kind < 0.3) out.push(d.subarray(0, Math.floor(r() * d.length)));
    else if (kind < 0.4) out.push(Buffer.concat([d.subarray(0, Math.floor(r() * d.length)), pick(base)]));
    else out.push(d);
  }
  return out;
}

function status(pid: number): { rssKb: number; hwmKb: number } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1]);
  return { rssKb: kb('VmRSS'), hwmKb: kb('VmHWM') };
}

test('10^5 fuzzed datagrams into one serve: no crash, bounded memory, and valid flows sent afterwards stored exactly within the flush interval', async (t) => {
  const dir = tempDir(t);
  const serve = await startServe(['--data', join(dir, 'data'), '--config', config(dir)]);
  const reader = await DuckFlowStore.open(join(dir, 'data'), { log: () => undefined });
  t.after(() => reader.close());
  const pid = serve.proc.pid!;
  try {
    const start = status(pid);
    const datagrams = fuzzed(100_000, 12);
    // Paced: 200 a burst, 10 ms apart (about 20,000 a second at most).
    await send(serve.netflowPort, datagrams, '127.0.0.1', 200, 10);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(serve.proc.exitCode, null, `serve died: ${serve.stderr()}`);
    // The valid exporter: its own template and domain, from another address.
    const valid = goodFlows(500);
    const sentAt = Date.now();
    await send(serve.netflowPort, ipfixDatagrams(valid, { domain: 7 }), '127.0.0.2', 5, 5);
    const got = await until('the 500 valid flows', (FLUSH_S + 3) * 1000, async () => {
      const g = await exporterTotals(reader, '127.0.0.2');
      return g.flows >= 500 ? g : undefined;
    });
    const waited = Date.now() - sentAt;
    assert.deepEqual(got, { flows: 500, packets: sum(500) });
    // Two more flushes: still exactly once.
    await new Promise((r) => setTimeout(r, 2 * FLUSH_S * 1000));
    assert.deepEqual(await exporterTotals(reader, '127.0.0.2'), { flows: 500, packets: sum(500) });
    const m = await (await fetch(`${serve.http}/metrics`)).text();
    assert.equal(metric(m, 'flowhunt_store_healthy'), 1);
    assert.ok(metric(m, 'flowhunt_flows_rejected_total{reason="future"}') > 0);
    assert.ok(metric(m, 'flowhunt_flows_rejected_total{reason="stale"}') > 0);
    const end = status(pid);
    // Bounded: the peak stays within a few hundred MB whatever was sent (start: ~100-200 MB).
    assert.ok(end.hwmKb < 700 * 1024, `VmHWM ${end.hwmKb} kB (start RSS ${start.rssKb} kB)`);
    // Few day partitions: the live window is 7 days back and 1 ahead, so at most 9 days.
    const days = readdirSync(join(dir, 'data', 'flows')).filter((n) => n.startsWith('day='));
    assert.ok(days.length <= 9, `${days.length} day partitions: ${days.join(' ')}`);
    t.diagnostic(
      `fuzz: VmRSS ${start.rssKb} -> ${end.rssKb} kB, VmHWM ${end.hwmKb} kB; valid flows visible after ${waited} ms`,
    );
  } finally {
    assert.equal(await serve.stop(), 0, serve.stderr());
  }
  assert.doesNotMatch(serve.stderr(), /\n\s+at /, 'no stack trace');
});

test('kill -9 of serve during steady ingest loses at most the flush interval, doubles nothing, and the data directory serves again at once', async (t) => {
  const dir = tempDir(t);
  const data = join(dir, 'data');
  const cfg = config(dir);
  const serve = await startServe(['--data', data, '--config', cfg]);
  // One datagram of 20 flows every 100 ms, each flow its own source address (so a doubled flow shows).
  const sentAt: number[] = [];
  const now = Date.now();
  const flow = (k: number): TestFlow => ({
    src: `10.${100 + (k >> 16)}.${(k >> 8) & 255}.${k & 255}`,
    dst: '192.0.2.88',
    packets: 1,
    bytes: 100,
    end: now - HOUR + k,
  });
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  let k = 0;
  try {
    for (let d = 0; d < 70; d++) {
      const flows = Array.from({ length: 20 }, () => flow(k++));
      const [dg] = ipfixDatagrams(flows, { perDatagram: 20 });
      await new Promise<void>((r, j) => s.send(dg!, serve.netflowPort, '127.0.0.1', (e) => (e ? j(e) : r())));
      sentAt.push(Date.now());
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    s.close();
  }
  const killedAt = Date.now();
  assert.equal(await serve.stop('SIGKILL'), null);
  const sent = k;

  const again = await startServe(['--data', data, '--config', cfg]);
  const reader = await DuckFlowStore.open(data, { log: () => undefined });
  t.after(() => reader.close());
  try {
    const count = async () => {
      const [r] = await reader.queryFlows(
        {},
        (from) => sql`SELECT count(*) AS n, count(DISTINCT (src_hi, src_lo)) AS d FROM ${from}`,
      );
      return { n: Number(r!['n']), d: Number(r!['d']) };
    };
    const after = await count();
    assert.equal(after.d, after.n, 'no flow stored twice');
    assert.ok(after.n <= sent);
    // Everything sent more than a flush interval (and a second of slack) before the kill is stored.
    const settled = sentAt.filter((at) => at < killedAt - FLUSH_S * 1000 - 1000).length * 20;
    assert.ok(after.n >= settled, `${after.n} stored, ${settled} sent before the last flush interval`);
    t.diagnostic(
      `${sent} sent, ${after.n} stored before kill -9 (${sent - after.n} lost, at most a flush interval)`,
    );
    // The restarted process takes new flows on the same directory.
    await send(again.netflowPort, ipfixDatagrams(goodFlows(20), { perDatagram: 20 }), '127.0.0.3');
    await until('the new flows after the restart', (FLUSH_S + 5) * 1000, async () => {
      const got = await exporterTotals(reader, '127.0.0.3');
      return got.flows === 20 ? got : undefined;
    });
    assert.equal((await count()).n, after.n + 20);
  } finally {
    assert.equal(await again.stop(), 0);
  }
});

test('serve on a data directory that is already full: refuses to start with one line, before it listens', async (t) => {
  const mnt = mountTmpfs(t, 1024 * 1024);
  if (!mnt) return;
  const ballast = fillDisk(mnt, 0);
  t.after(() => rmSync(ballast, { force: true }));
  const r = await runCli(['serve', '--data', join(mnt, 'data'), ...LOOPBACK_LISTENERS]);
  assert.notEqual(r.code, 0);
  assert.doesNotMatch(r.stderr, /listening|HTTP on/, 'nothing was listening');
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  assert.match(r.stderr.trim().split('\n').at(-1)!, /^flowhunt: .*(No space left on device|ENOSPC)/);
});
