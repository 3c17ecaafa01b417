/**
 * @module Benchmark: what the dashboard's cache costs with months of alerts
 * on the DuckDB engine — N report partitions (default 25,920: 90 days of
 * 5-minute windows) of a few genuine reports each. Times the first read (every
 * partition parsed), a refresh when nothing changed (one version listing), a
 * refresh after a backfill rewrote one old window (the listing and that one
 * partition), and the episodes list over all of it. Then `--flows` synthetic
 * flows (default 10 M) spread over the last 30 of those days, and the pages a
 * 30-day range shows (overview, traffic graph, alerts, an IP page with its
 * timeline), each request through Fastify: the first view and the ones after
 * (closed buckets cached), after the background roll-up of the closed days'
 * traffic; then the same pages' first views after a restart (a new API on
 * the store: the kept report days and traffic rollups read, not remade).
 * The previous result is kept in the new one as `before`.
 * Run: node dist/bench/console.js [--windows N] [--per-window K] [--flows F]
 */

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { ApiData } from '../src/api/data.js';
import { registerApi } from '../src/api/index.js';
import { orgDirectory } from '../src/api/scope.js';
import { loadConfig } from '../src/config.js';
import { detectRange } from '../src/detect/index.js';
import { type Report, windowId } from '../src/detect/report.js';
import { defaultThresholds } from '../src/detect/thresholds.js';
import { FlowBatch } from '../src/flow/batch.js';
import { DuckFlowStore } from '../src/store/duckdb/index.js';
import { labelledWindow, WIN } from '../src/testing/windows.js';
import { arg, ROOT, timed, writeResult } from './machine.js';
import { synthFlows } from './synth.js';

const windows = arg('windows', 25_920);
const perWindow = arg('per-window', 4);
const flows = arg('flows', 10_000_000);
const DAYS = 30;
const load = () => loadavg().map((x) => Math.round(x * 100) / 100);
const loadBefore = load();
const dir = mkdtempSync(join(tmpdir(), 'fh-bench-console-'));
const END = Date.parse('2026-11-30T00:00:00Z');
const previous = join(ROOT, 'bench', 'results', 'console.json');
const before = existsSync(previous)
  ? (JSON.parse(readFileSync(previous, 'utf8')) as Record<string, unknown>)
  : undefined;
try {
  const store = await DuckFlowStore.open(join(dir, 'data'));
  // Genuine reports (the real detector over a labelled window) as templates.
  const b = new FlowBatch(1 << 16);
  for (const f of labelledWindow(END, 1).flows) b.push(f);
  await store.append(b);
  await store.flush();
  const [res] = await detectRange(store, END, END + WIN, { thresholds: defaultThresholds() });
  const templates = res!.reports.slice(0, perWindow);
  const w0 = END - windows * WIN;
  const write = await timed(async () => {
    for (let i = 0; i < windows; i++) {
      const w = w0 + i * WIN;
      const docs: Report[] = templates.map((r) => ({
        ...r,
        id: `${windowId(w)}/${r.role}/${r.ip}`,
        windowStart: w,
        windowEnd: w + WIN,
        duration: { ...r.duration, firstWindow: w },
      }));
      await store.putDocs('reports', windowId(w), docs);
    }
  });
  const data = new ApiData(store, orgDirectory(undefined), { ttlMs: 0 });
  const first = await timed(() => data.reports());
  const rows = first.value.length;
  // The closed days' rows, one document a day, written in the background after that first read.
  const keptDays = await timed(() => data.reportDays.written());
  // The directory's change time must be over a second old for the listing to come from memory.
  await new Promise((r) => setTimeout(r, 1500));
  const unchanged: number[] = [];
  for (let i = 0; i < 5; i++) unchanged.push((await timed(() => data.reports())).ms);
  const old = windowId(w0 + 100 * WIN);
  await store.putDocs('reports', old, []);
  const backfill = await timed(() => data.reports());
  if (backfill.value.length !== rows - perWindow) throw new Error('the rewritten window was not picked up');
  await new Promise((r) => setTimeout(r, 1500));

  const cfgPath = join(dir, 'flowhunt.yaml');
  writeFileSync(cfgPath, 'api: {}\n');
  const config = await loadConfig(cfgPath);
  const start = async () => {
    const app = Fastify();
    const api = await registerApi(app, {
      store,
      config,
      envToken: '',
      log: () => undefined,
      data: { ttlMs: 0 },
    });
    const get = async (url: string) => {
      const t = await timed(() => app.inject({ url }));
      if (t.value.statusCode !== 200) throw new Error(`${url}: ${t.value.body}`);
      return t.ms;
    };
    return { app, api, get };
  };
  const { app, api, get } = await start();
  const episodes: number[] = [];
  for (let i = 0; i < 3; i++) episodes.push(await get('/api/episodes?limit=50'));

  // A month of flows under the last 30 days of reports, and the pages of a 30-day range.
  const from = END - DAYS * 86_400_000;
  const flowLoad = await timed(() =>
    synthFlows(flows, from, END, 7, (fb) => store.append(fb)).then(() => store.flush()),
  );
  // What the API does in the background once a day closes (here: the 30 days loaded at once).
  const rollUp = await timed(() => api.rollUp());
  const range = `from=${new Date(from).toISOString()}&to=${new Date(END).toISOString()}`;
  // A busy client of the synthetic mix (the clients are Zipf-like over 140.112/16).
  const host = '140.112.0.3';
  const pages: Record<string, string[]> = {
    overview: [`/api/overview?${range}`],
    traffic: [`/api/traffic?${range}`],
    alerts: [`/api/episodes?${range}&limit=50`],
    ip: [`/api/ip/${host}?${range}`, `/api/ip/${host}/timeline?${range}`],
  };
  const views: Record<string, number[]> = Object.fromEntries(Object.keys(pages).map((k) => [k, []]));
  for (let i = 0; i < 4; i++)
    for (const [page, urls] of Object.entries(pages)) {
      // A page asks for its routes at once, as the dashboard does.
      const t = await timed(() => Promise.all(urls.map(get)));
      views[page]!.push(t.ms);
    }
  // The IP page's two routes one after the other: which one the page waits for.
  const ipRoutes: Record<string, number[]> = { ip: [], timeline: [] };
  for (let i = 0; i < 3; i++) {
    ipRoutes['ip']!.push(await get(pages['ip']![0]!));
    ipRoutes['timeline']!.push(await get(pages['ip']![1]!));
  }
  const hostFlows = (await app.inject({ url: `/api/ip/${host}/timeline?${range}` })).json() as {
    total: { flows: number };
  };
  await api.data.reportDays.written();
  await app.close();
  // A restart: a new API on the same store, each page's first view at once (nothing in memory yet).
  const again = await start();
  const restart: Record<string, number> = {};
  for (const [page, urls] of Object.entries(pages))
    restart[page] = (await timed(() => Promise.all(urls.map(again.get)))).ms;
  await again.api.data.reportDays.written();
  await again.app.close();
  await store.close();
  const path = writeResult('console', {
    windows,
    reportsPerWindow: perWindow,
    reports: rows,
    writeSeconds: write.ms / 1000,
    firstReadMs: first.ms,
    unchangedRefreshMs: unchanged,
    keptDaysWriteSeconds: keptDays.ms / 1000,
    backfilledWindowRefreshMs: backfill.ms,
    episodesRequestMs: episodes,
    thirtyDays: {
      flows,
      days: DAYS,
      loadSeconds: flowLoad.ms / 1000,
      host,
      hostFlows: hostFlows.total.flows,
      rollUpSeconds: rollUp.ms / 1000,
      pageViewMs: views,
      ipRoutesMs: ipRoutes,
      afterRestartFirstViewMs: restart,
      note: "each page view is its routes requested at once through Fastify (the IP page: /api/ip/:addr and its timeline). rollUpSeconds: the background roll-up of the 30 closed days' traffic (one scan), awaited before the views; the traffic page then reads the rollups. The IP page's first view reads the month of the host's flows (one query for its days, peers, ports and hourly buckets; no per-host rollup yet), the later ones what is kept in memory; the alerts page's episodes are kept per query until the reports change; the overview and alerts pages read no flows. afterRestartFirstViewMs: a new API on the same store, the first view of each page in turn (reports from the kept day documents, traffic from the stored rollups, the IP page's host scanned again)",
    },
    loadAverage: {
      note: '1, 5 and 15 minute load averages before and after the run: the 2 cores are shared, figures vary with it',
      before: loadBefore,
      after: load(),
    },
    ...(before
      ? {
          before: {
            date: before['date'],
            ...Object.fromEntries(
              Object.entries(before).filter(
                ([k]) => !['benchmark', 'date', 'machine', 'command', 'before'].includes(k),
              ),
            ),
          },
        }
      : {}),
    note: 'DuckDB documents on local disk; keptDaysWriteSeconds: writing the closed days of report rows as one document a day after the first read; the unchanged refresh is one stat of the directory (its change time older than a second), the backfilled one a full version listing (a stat per partition) plus one partition read; episodes: the whole request through Fastify (the first includes the first read of marks and suppressions)',
  });
  process.stdout.write(`${path}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
