/**
 * 100,000 findings: a page comes back quickly because the server sorts and
 * pages (and keeps each order once computed), and the dashboard shows one
 * page of it at a time. Time bounds are generous on purpose: they catch a
 * quadratic sort or a page of 100,000 rows, not a slow machine.
 */

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { chromium } from 'playwright-core';
import { loadConfig } from '../config.js';
import type { Finding } from '../hunt/hunt.js';
import { DuckFlowStore } from '../store/duckdb/index.js';
import { CONFIG_YAML, DIRECTORY_YAML, scratchDir, TOKENS } from '../testing/api.js';
import { CHROMIUM, CHROMIUM_ARGS, chromiumOrSkip, screenshotDir } from '../testing/browser.js';
import { startServe } from '../testing/serve.js';
import { registerApi } from './index.js';

const N = 100_000;
const DAYS = ['2026-11-24', '2026-11-25', '2026-11-26', '2026-11-27', '2026-11-28'];
const SIGS = ['22-4-240', '1433-3-152', '23-2-120', '3389-5-700'];

function findingAt(i: number): Finding {
  const destinations = 3 + ((i * 7919) % 997);
  const day = DAYS[i % DAYS.length]!;
  const t = Date.parse(`${day}T00:00:00Z`) + (i % 86_000) * 1000;
  return {
    day,
    signature: SIGS[(i >> 3) % SIGS.length]!,
    protocol: 6,
    // One in four on Campus A (140.112/16), the rest outside any organisation.
    ip:
      i % 4 === 0
        ? `140.112.${(i >> 10) & 255}.${(i >> 2) & 255}`
        : `45.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    destinations,
    flows: destinations + (i % 3),
    sourcePorts: destinations,
    firstSeen: t,
    lastSeen: t + 600_000,
    role: 'client',
    sessionsPerTarget: 1,
    largeScale: false,
  };
}

let scratch: ReturnType<typeof scratchDir>;
let all: Finding[];
let app: FastifyInstance;
let store: DuckFlowStore;

before(async () => {
  scratch = scratchDir();
  writeFileSync(join(scratch.dir, 'directory.yaml'), DIRECTORY_YAML);
  writeFileSync(join(scratch.dir, 'flowhunt.yaml'), CONFIG_YAML(scratch.dir));
  all = Array.from({ length: N }, (_, i) => findingAt(i));
  const s = await DuckFlowStore.open(join(scratch.dir, 'data'));
  for (const day of DAYS)
    await s.putDocs(
      'findings',
      day,
      all.filter((f) => f.day === day),
    );
  await s.close();
  store = await DuckFlowStore.open(join(scratch.dir, 'data'));
  app = Fastify();
  const config = await loadConfig(join(scratch.dir, 'flowhunt.yaml'));
  await registerApi(app, { store, config, envToken: '', log: () => undefined });
});

after(async () => {
  await app?.close();
  await store?.close();
  scratch?.remove();
});

async function timed(url: string, token: string = TOKENS.admin) {
  const t0 = performance.now();
  const r = await app.inject({ url, headers: { authorization: `Bearer ${token}` } });
  assert.equal(r.statusCode, 200, r.body);
  return { ms: performance.now() - t0, json: r.json() as { total: number; items: Finding[] } };
}

test('a deep page of 100,000 findings, sorted on the server, comes back right (times are reported, not asserted: speed belongs in bench/)', async (t) => {
  const cold = await timed('/api/findings?limit=50');
  assert.equal(cold.json.total, N);
  const url = '/api/findings?sort=destinations&order=desc&offset=50000&limit=50';
  await timed(url); // computes and keeps this order
  const warm = await timed(url);
  t.diagnostic(
    `100,000 findings: first page ${cold.ms.toFixed(0)} ms (cold), sorted deep page ${warm.ms.toFixed(0)} ms (warm)`,
  );
  assert.equal(warm.json.items.length, 50);
  const desc = warm.json.items.map((f) => f.destinations);
  assert.deepEqual(
    desc,
    [...desc].sort((a, b) => b - a),
  );
  // The same page as sorting everything here: by destinations, then day, then address.
  const ref = [...all].sort(
    (a, b) => b.destinations - a.destinations || (a.day < b.day ? -1 : a.day > b.day ? 1 : 0),
  );
  assert.deepEqual(
    warm.json.items.map((f) => f.destinations),
    ref.slice(50_000, 50_050).map((f) => f.destinations),
  );
  const filtered = await timed('/api/findings?signature=1433-3-152&day=2026-11-26&sort=flows&limit=10');
  assert.equal(
    filtered.json.total,
    all.filter((f) => f.signature === '1433-3-152' && f.day === '2026-11-26').length,
  );
  t.diagnostic(`filtered page ${filtered.ms.toFixed(0)} ms`);
  const campus = await timed('/api/findings?limit=5&sort=ip', TOKENS.campusA);
  assert.equal(campus.json.total, N / 4);
  assert.ok(campus.json.items.every((f) => f.ip.startsWith('140.112.')));
  const groups = await timed('/api/findings/groups');
  assert.equal(groups.json.total, DAYS.length * SIGS.length);
});

test('the findings page shows one page of 100,000 and re-sorts on the server', {
  skip: chromiumOrSkip(),
}, async (t) => {
  const served = await startServe(
    ['--config', join(scratch.dir, 'flowhunt.yaml'), '--data', join(scratch.dir, 'data2')],
    { FLOWHUNT_TOKEN: '' },
  );
  t.after(() => served.stop());
  // The served data directory holds the same findings (a copy, so this process's store stays its own).
  const s = await DuckFlowStore.open(join(scratch.dir, 'data2'));
  for (const day of DAYS)
    await s.putDocs(
      'findings',
      day,
      all.filter((f) => f.day === day),
    );
  await s.close();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(20_000);
  await page.goto(served.http);
  await page.getByLabel('API token').fill(TOKENS.admin);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('who').waitFor();
  const t0 = performance.now();
  // The findings' days, as the time-range picker writes a custom range into the link.
  await page.goto(`${served.http}/#/findings?view=all&from=2026-11-24T00:00Z&to=2026-11-29T00:00Z`);
  await page.getByTestId('pager').filter({ hasText: '1–50 of 100,000' }).waitFor();
  assert.equal(await page.getByTestId('findings-table').locator('tbody tr').count(), 50);
  await page.getByTestId('findings-table').locator('button[data-sort="destinations"]').click();
  const max = Math.max(...all.map((f) => f.destinations));
  await page
    .getByTestId('findings-table')
    .locator('tbody tr')
    .first()
    .locator('td')
    .nth(3)
    .filter({ hasText: String(max) })
    .waitFor();
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByTestId('pager').filter({ hasText: '51–100 of 100,000' }).waitFor();
  const ms = performance.now() - t0;
  t.diagnostic(`page, sort and next page in the browser: ${ms.toFixed(0)} ms`);
  await page.screenshot({ path: join(screenshotDir(scratch.dir), 'findings-100k.png') });
});
