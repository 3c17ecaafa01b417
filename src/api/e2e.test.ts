/**
 * End to end: the real `flowhunt serve` on loopback, Debian's Chromium
 * driven by playwright-core. Log in, watch the overview fill, open an alert,
 * open a signature, find a hunted IP, walk the mission path (alert ->
 * signature -> members -> host -> family), export a member list, suppress a
 * host and see its next alert suppressed, change the global time range and
 * see the lists follow it, ask the flow explorer (a bad filter with its
 * caret, a good one with its exact rows), switch language, a narrow screen,
 * and a campus token on every new page. Each page is screenshotted (into
 * docs/screenshots/ with `npm run screenshots`).
 */

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { alertWindow, Suppressor } from '../alert/suppress.js';
import { detectRange } from '../detect/index.js';
import type { Report } from '../detect/report.js';
import { defaultThresholds } from '../detect/thresholds.js';
import { FlowBatch } from '../flow/batch.js';
import { emptyRecord, type FlowRecord } from '../flow/record.js';
import { DuckFlowStore } from '../store/duckdb/index.js';
import { type Dataset, MEMBERS, makeDataset, scratchDir, TOKENS } from '../testing/api.js';
import { CHROMIUM, CHROMIUM_ARGS, chromiumOrSkip, screenshotDir } from '../testing/browser.js';
import { encodeNetflowV5, sendUdp } from '../testing/nfcapd.js';
import { type Served, startServe } from '../testing/serve.js';
import { labelledWindow, WIN } from '../testing/windows.js';
import { WEB_ROOT } from './index.js';

const skip = chromiumOrSkip();
let scratch: ReturnType<typeof scratchDir>;
let ds: Dataset;
let served: Served;
let browser: Browser;
let page: Page;
let shots: string;

/** A minute of ordinary traffic from one exporter, so the overview's rate and exporter count move. */
function liveFlows(): FlowRecord[] {
  const now = Date.now();
  return Array.from({ length: 600 }, (_, i) => ({
    ...emptyRecord(),
    flowStartMilliseconds: now - 2000 - i,
    flowEndMilliseconds: now - 1000 - i,
    sourceIPAddress: `140.112.1.${1 + (i % 200)}`,
    destinationIPAddress: `93.184.216.${i % 250}`,
    sourceTransportPort: 40000 + i,
    destinationTransportPort: 443,
    protocolIdentifier: 6,
    tcpControlBits: 0x1b,
    packetDeltaCount: 10,
    octetDeltaCount: 5000,
  }));
}

before(async () => {
  if (skip) return;
  assert.ok(existsSync(join(WEB_ROOT, 'index.html')), 'the dashboard is built (npm run build:web)');
  scratch = scratchDir();
  shots = screenshotDir(scratch.dir);
  ds = await makeDataset(scratch.dir, { history: true });
  served = await startServe(['--config', ds.config, '--data', join(scratch.dir, 'data')], {
    FLOWHUNT_TOKEN: '',
  });
  await sendUdp(served.netflowPort, encodeNetflowV5(liveFlows()));
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  page = await browser.newPage({ viewport: { width: 1400, height: 900 }, locale: 'en-US' });
  page.setDefaultTimeout(15_000);
});

after(async () => {
  await browser?.close();
  if (served) assert.equal(await served.stop(), 0, served.stderr());
  scratch?.remove();
});

async function text(l: Locator): Promise<string> {
  return (await l.textContent()) ?? '';
}

async function shot(name: string, fullPage = false): Promise<void> {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage });
}

const opts = { skip };

test('a wrong token is refused; the right one logs in', opts, async () => {
  await page.goto(served.http);
  await page.getByLabel('API token').fill('not-the-token-at-all');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: 'That token is not valid.' }).waitFor();
  await shot('login');
  await page.getByLabel('API token').fill(TOKENS.admin);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('who').filter({ hasText: 'NOC' }).waitFor();
});

test(
  'the overview fills: alerts of the last 24 hours, top types, the exporter and its flows',
  opts,
  async () => {
    const alerts = page.getByTestId('card-alerts').locator('.card-value');
    await alerts.filter({ hasText: String(ds.reports.length) }).waitFor();
    await page.getByTestId('card-exporters').locator('.card-value').filter({ hasText: '1' }).waitFor();
    const fps = Number((await text(page.getByTestId('card-fps').locator('.card-value'))).replace(/,/g, ''));
    assert.ok(fps > 0, `flows/s ${fps}`);
    await page.getByTestId('chart-top-types').locator('canvas').waitFor();
    assert.equal(
      await page.getByTestId('latest-alerts').locator('tbody tr').count(),
      Math.min(10, ds.reports.length),
    );
    await shot('overview');
  },
);

test("the exporters page: the collector's counters, from the store", opts, async () => {
  await page.getByRole('link', { name: 'Exporters', exact: true }).click();
  // 600 records in 20 NetFlow v5 datagrams of 30, no sequence gap, no decode error (the page refreshes itself).
  const row = page.getByTestId('exporters-table').locator('tbody tr').filter({ hasText: '127.0.0.1' });
  await row.filter({ hasText: '600' }).waitFor({ timeout: 40_000 });
  const cells = await row.locator('td').allInnerTexts();
  assert.deepEqual([cells[0], cells[1], cells[3], cells[4], cells[5]], ['127.0.0.1', '20', '600', '0', '0']);
  // Its one observation domain (v5 engine 0): all the records, no sampling option, nothing lost.
  assert.match(
    await text(row.getByTestId('exporter-domains')),
    /^v5 #0: 600 Records · sampling none known · Exports lost 0$/,
  );
  await shot('exporters');
});

/** Distinct episodes (host, role, type, first window) of some reports. */
const episodes = (rs: readonly Report[]) =>
  new Set(rs.map((r) => `${r.role}|${r.ip}|${r.type}|${r.duration.firstWindow}`)).size;
const minute = (t: number) => new Date(t).toISOString().slice(0, 16);

test('the time range: presets and a custom range change every list, and links keep it', opts, async () => {
  await page.getByRole('link', { name: 'Alerts', exact: true }).click();
  const rows = page.getByTestId('episodes-table').locator('tbody tr');
  await rows.nth(episodes(ds.reports) - 1).waitFor();
  assert.equal(await rows.count(), episodes(ds.reports));
  // Both windows of the DDoS in the last 24 hours (the default).
  assert.match((await rows.filter({ hasText: '140.114.9.9' }).allInnerTexts())[0]!, /\b2 · /);
  // The second window only: its episodes, and the overview's alerts, after a link.
  const second = ds.reports.filter((r) => r.windowStart === ds.w0 + WIN);
  await page.getByTestId('range-preset').selectOption('custom');
  await page.getByLabel('From (UTC)').fill(minute(ds.w0 + WIN));
  await page.getByLabel('To (UTC)').fill(minute(ds.w0 + 2 * WIN));
  await page.getByTestId('range').getByRole('button', { name: 'Apply' }).click();
  // Each episode with the one window of it in the range.
  await rows
    .filter({ hasText: '140.114.9.9' })
    .filter({ hasText: /\D1 · / })
    .waitFor();
  assert.equal(await rows.count(), episodes(second));
  assert.ok((await rows.allInnerTexts()).every((x) => /\b1 · /.test(x)));
  assert.match(page.url(), new RegExp(`from=${minute(ds.w0 + WIN).replace(':', '%3A')}`));
  await shot('range-custom');
  await page.getByRole('link', { name: 'Overview', exact: true }).click();
  await page
    .getByTestId('card-alerts')
    .locator('.card-value')
    .filter({ hasText: new RegExp(`^${second.length}$`) })
    .waitFor();
  assert.equal(
    await page.getByTestId('latest-alerts').locator('tbody tr').count(),
    Math.min(10, second.length),
  );
  // The DDoS victim's page: one anomalous window of its two in this range.
  await page.goto(
    `${served.http}/#/ip/140.114.9.9?from=${minute(ds.w0 + WIN)}&to=${minute(ds.w0 + 2 * WIN)}`,
  );
  await page.getByTestId('ip-anomalous').locator('tbody tr').first().waitFor();
  assert.equal(await page.getByTestId('ip-anomalous').locator('tbody tr').count(), 1);
  // The last hour: what ended in it (nothing, unless the fixture's windows are that recent).
  await page.getByRole('link', { name: 'Overview', exact: true }).click();
  await page.getByTestId('range-preset').selectOption('1h');
  const to = Math.ceil(Date.now() / 60_000) * 60_000;
  const lastHour = ds.reports.filter((r) => r.windowEnd > to - 3_600_000 && r.windowStart < to).length;
  await page
    .getByTestId('card-alerts')
    .locator('.card-value')
    .filter({ hasText: new RegExp(`^${lastHour}$`) })
    .waitFor();
  assert.match(page.url(), /range=1h/);
  await page.getByTestId('range-preset').selectOption('24h');
  await page
    .getByTestId('card-alerts')
    .locator('.card-value')
    .filter({ hasText: new RegExp(`^${ds.reports.length}$`) })
    .waitFor();
});

test(
  'choosing a custom range opens its form, also when the minute turned since the page was drawn',
  opts,
  async () => {
    // A page of its own with its clock held: drawn at 10 s before a minute, "custom" chosen 20 s later.
    const p = await browser.newPage({ viewport: { width: 1400, height: 900 }, locale: 'en-US' });
    try {
      p.setDefaultTimeout(15_000);
      const drawn = Math.ceil(Date.now() / 60_000) * 60_000 - 10_000;
      await p.clock.setFixedTime(drawn);
      await p.goto(`${served.http}/#/alerts`);
      await p.getByLabel('API token').fill(TOKENS.admin);
      await p.getByRole('button', { name: 'Sign in' }).click();
      await p.getByTestId('episodes-table').waitFor();
      await p.clock.setFixedTime(drawn + 20_000);
      await p.getByTestId('range-preset').selectOption('custom');
      // The form's fields hold the range shown until now: the last 24 hours to the minute it was drawn in.
      assert.equal(await p.getByLabel('From (UTC)').inputValue(), minute(drawn + 10_000 - 86_400_000));
      assert.equal(await p.getByLabel('To (UTC)').inputValue(), minute(drawn + 10_000));
    } finally {
      await p.close();
    }
  },
);

test('an alert opens with its histograms, its text and its duration', opts, async () => {
  const ddos = ds.reports.filter((r) => r.type === 'ddos-victim').at(-1)!;
  await page.getByRole('link', { name: 'Alerts', exact: true }).click();
  await page.getByTestId('episodes-table').waitFor();
  await shot('alerts');
  // One episode per host and anomaly: today's, with its two windows (the last 24 hours, the default range).
  const rows = page.getByTestId('episodes-table').locator('tbody tr').filter({ hasText: ddos.ip });
  const texts = await rows.allInnerTexts();
  assert.equal(texts.length, 1, texts.join('\n'));
  assert.match(texts[0]!, /\b2 · /);
  await page.getByTestId('view-reports').click();
  await page.getByTestId('alerts-table').waitFor();
  await shot('alerts-reports');
  await page.getByTestId('alerts-table').locator('tbody tr').filter({ hasText: ddos.ip }).first().click();
  await page.getByTestId('alert-detail').waitFor();
  assert.match(
    await text(page.getByTestId('alert-text')),
    new RegExp(`Victim: ${ddos.ip.replace(/\./g, '\\.')}`),
  );
  assert.equal(
    await text(page.getByTestId('alert-duration').locator('.card-value')),
    `${ddos.duration.minutes} min`,
  );
  const charts = await page.getByTestId('histograms').locator('canvas').count();
  assert.ok(charts >= 6, `${charts} histograms`);
  // Each learned threshold says what it was judged against (the fixture's store is on its first day).
  const basis = ddos.exceeded.find((e) => e.basis)!.basis!;
  assert.equal(basis.from, 'this window');
  await page
    .getByTestId('alert-detail')
    .getByText(
      basis.learned === undefined
        ? /host-windows: too few to learn from\)/
        : /× this network's 99\.9 percentile .* host-windows, this window\)/,
    )
    .first()
    .waitFor();
  await shot('alert', true);
});

test('a signature shows its attackers and the hosts the hunt found', opts, async () => {
  await page.getByRole('link', { name: 'Signatures', exact: true }).click();
  await page.getByTestId('port-22').getByRole('link', { name: '22-4-240' }).waitFor();
  await shot('signatures');
  await page.getByTestId('port-22').getByRole('link', { name: '22-4-240' }).click();
  await page.getByTestId('signature-detail').waitFor();
  // The members and the large SSH attacker, which comes back to its targets within minutes.
  const hosts = MEMBERS.campusA.length + MEMBERS.campusB.length + MEMBERS.outside.length + 1;
  await page
    .getByTestId('sig-hunt-hosts')
    .locator('.card-value')
    .filter({ hasText: String(hosts) })
    .waitFor();
  await page.getByTestId('sig-attackers').getByText('198.18.7.7').waitFor();
  await shot('signature');
  // A day of the signature: the paper's table.
  await page.getByTestId('sig-days').locator('tbody tr').first().click();
  await page.getByTestId('findings-table').waitFor();
  assert.equal(await page.getByTestId('findings-table').locator('tbody tr').count(), hosts);
  const head = await text(page.getByTestId('findings-table').locator('thead'));
  assert.match(head, /Source IP[\s\S]*Dst IPs[\s\S]*Flows[\s\S]*Src ports/);
  await shot('findings');
});

test('a hunted IP is found by search and shows its findings and organisation', opts, async () => {
  const ip = MEMBERS.campusA[0];
  await page.getByRole('searchbox').fill(ip);
  await page.getByRole('searchbox').press('Enter');
  await page.getByTestId('search-results').getByRole('link', { name: ip, exact: true }).click();
  await page.getByTestId('ip-page').waitFor();
  assert.equal(await text(page.getByTestId('ip-org')), 'Campus A');
  await page.getByTestId('ip-suspect').waitFor();
  assert.match(await text(page.getByTestId('ip-findings')), /22-4-240/);
  // Its timeline over the range: its four flows out, to four peers on port 22.
  await page.getByTestId('chart-ip-flows').locator('canvas').waitFor();
  assert.deepEqual(
    await page.getByTestId('ip-top-ports').locator('tbody tr td:first-child').allInnerTexts(),
    ['22'],
  );
  assert.equal(await page.getByTestId('ip-top-peers').locator('tbody tr').count(), 4);
  await shot('ip', true);
});

test('the mission path: alert -> signature -> members -> host -> family, and back', opts, async () => {
  const brute = ds.reports.find((r) => r.ip === '198.18.7.7' && r.role === 'source')!;
  await page.getByRole('link', { name: 'Alerts', exact: true }).click();
  await page.getByTestId('episodes-table').locator('tbody tr').filter({ hasText: brute.ip }).first().click();
  await page.getByTestId('alert-signatures').getByRole('link', { name: '22-4-240' }).click();
  await page.getByTestId('signature-detail').waitFor();
  const hosts = MEMBERS.campusA.length + MEMBERS.campusB.length + MEMBERS.outside.length + 1;
  // The hunt's hosts are one click away, and the list says what it is filtered by.
  await page.getByTestId('sig-hunt-hosts').click();
  await page
    .getByTestId('findings-table')
    .locator('tbody tr')
    .nth(hosts - 1)
    .waitFor();
  assert.equal(await page.getByTestId('findings-table').locator('tbody tr').count(), hosts);
  assert.match(await text(page.getByTestId('filtered-by')), /signature: 22-4-240/);
  await shot('members');
  // Export the member list: CSV with ISO 8601 times.
  const [dl] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Export CSV' }).click(),
  ]);
  const csv = readFileSync((await dl.path())!, 'utf8')
    .trim()
    .split('\n');
  assert.equal(csv.length, hosts + 1);
  assert.match(csv[1]!, new RegExp(`,${ds.day}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z,`));
  const ip = MEMBERS.campusA[0];
  await page.getByTestId('findings-table').getByRole('link', { name: ip, exact: true }).click();
  await page.getByTestId('ip-page').waitFor();
  await page.getByTestId('ip-family').getByRole('link').click();
  await page.getByTestId('family').first().waitFor();
  assert.equal(await page.getByTestId('family').count(), 1);
  assert.match(await text(page.getByTestId('filtered-by')), new RegExp(`member: ${ip}`));
  assert.match(await text(page.getByTestId('family')), new RegExp(ip));
  await shot('family');
  await page.getByTestId('back').click();
  await page.getByTestId('ip-page').waitFor();
  // And from the members back up to their signature.
  await page.goto(`${served.http}/#/findings?signature=22-4-240`);
  await page.getByTestId('back').click();
  await page.getByTestId('signature-detail').waitFor();
});

test('the flow explorer: a bad filter shows its caret, a good one its exact flows', opts, async () => {
  await page.goto(`${served.http}/#/flows`);
  await page.getByTestId('flows-page').waitFor();
  const filter = page.getByLabel('Filter (nfdump)');
  await filter.fill('proto tcp and dst prot 22');
  await page.getByRole('button', { name: 'Run' }).click();
  await page.getByTestId('filter-error').waitFor();
  assert.equal(
    await text(page.getByTestId('filter-caret')),
    `proto tcp and dst prot 22\n${' '.repeat(18)}^^^^`,
  );
  await shot('flows-error');
  // A quiet member's flows: four, to its four targets on port 22 (testing.ts memberFlows).
  const ip = MEMBERS.campusA[0];
  await filter.fill(`src host ${ip}`);
  await page.getByRole('button', { name: 'Run' }).click();
  await page
    .getByTestId('flows-total')
    .filter({ hasText: 'Matched 4 flows, 16 packets, 960 bytes' })
    .waitFor();
  const cells = await page.getByTestId('flows-table').locator('tbody tr td:nth-child(4)').allInnerTexts();
  assert.deepEqual(cells, ['192.0.2.10', '192.0.2.11', '192.0.2.12', '192.0.2.13']);
  await shot('flows');
  // Top sources to the DDoS victim, each a link to its IP page.
  await filter.fill('dst host 140.114.9.9');
  await page.getByLabel('Top-N by').selectOption('srcip');
  await page.getByLabel('Top', { exact: true }).fill('5');
  await page.getByRole('button', { name: 'Run' }).click();
  const stat = page.getByTestId('stat-table').locator('tbody tr');
  await stat.nth(4).waitFor();
  assert.equal(await stat.count(), 5);
  await shot('flows-stat');
  const first = await text(stat.first().locator('td a'));
  await stat.first().locator('td a').click();
  await page.getByTestId('ip-page').waitFor();
  assert.match(page.url(), new RegExp(`#/ip/${first.replace(/\./g, '\\.')}`));
  await page.getByTestId('ip-timeline').waitFor();
});

test(
  'suppress a host, and its next alert is stored, listed as suppressed and not alerted',
  opts,
  async () => {
    const victim = '140.114.9.9';
    await page.goto(`${served.http}/#/alerts?type=ddos-victim`);
    await page.getByTestId('episodes-table').locator('tbody tr').filter({ hasText: victim }).first().click();
    await page.getByTestId('workflow').waitFor();
    await page.getByTestId('suppress-form').getByLabel('Why').fill('our own load test');
    await page.getByTestId('suppress-form').getByRole('button', { name: 'Suppress' }).click();
    await page
      .getByTestId('rules-table')
      .locator('tbody tr')
      .filter({ hasText: `${victim}/32` })
      .waitFor();
    await shot('suppressions');
    // The next window: the detector's path (detect, then suppression, then the alerter) on the served store.
    const w = ds.w0 + 2 * WIN;
    const store = await DuckFlowStore.open(join(scratch.dir, 'data'));
    let kept: string[] = [];
    try {
      const b = new FlowBatch(1 << 16);
      for (const f of labelledWindow(w, 3).flows) b.push(f);
      await store.append(b);
      await store.flush();
      const [r] = await detectRange(store, w, w + WIN, { thresholds: defaultThresholds() });
      assert.ok(
        r?.reports.some((x) => x.ip === victim),
        'the victim is detected again',
      );
      const out = await alertWindow(new Suppressor(store, () => undefined), null)(r!.reports);
      kept = out.kept.map((x) => x.ip);
    } finally {
      await store.close();
    }
    assert.ok(!kept.includes(victim) && kept.length > 0, `handed to the alerter: ${kept.join(' ')}`);
    await page.goto(`${served.http}/#/alerts?ip=${victim}&view=reports`);
    const newest = page.getByTestId('alerts-table').locator('tbody tr').first();
    await newest.filter({ hasText: 'suppressed' }).waitFor();
    await newest.click();
    await page.getByTestId('suppressed-note').filter({ hasText: 'our own load test' }).waitFor();
    await page.getByRole('button', { name: 'Acknowledge' }).click();
    await page.getByTestId('alert-state').filter({ hasText: 'acknowledged' }).waitFor();
    await page.getByRole('button', { name: 'Flowspec and RTBH lines (ExaBGP)' }).click();
    assert.match(
      await text(page.getByTestId('mitigation-lines')),
      /announce flow route \{ match \{ destination 140\.114\.9\.9\/32; protocol tcp; destination-port =80; \} then \{ discard; \} \}/,
    );
    await shot('alert-suppressed', true);
  },
);

test('the trend chart, the families, and the dashboard in Traditional Chinese', opts, async () => {
  await page.getByRole('link', { name: 'Trends', exact: true }).click();
  await page.getByTestId('chart-traffic').locator('canvas').waitFor();
  // The history's months: a range from the first day of the eleventh month before this one.
  const d = new Date(ds.w0);
  const yearAgo = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 11, 1);
  await page.goto(`${served.http}/#/trends?from=${minute(yearAgo)}&to=${minute(Date.now() + 60_000)}`);
  await page.getByTestId('trend-table').locator('tbody tr').nth(11).waitFor();
  await page.getByTestId('chart-trend').locator('canvas').waitFor();
  // The traffic of the last 24 hours, per window, beside it.
  await page.getByTestId('chart-traffic').locator('canvas').waitFor();
  const types = new Set(ds.reports.map((r) => r.type)).size;
  assert.equal(await page.getByTestId('trend-table').locator('thead th').count(), 1 + types);
  // This month and the eleven before it.
  assert.equal(await page.getByTestId('trend-table').locator('tbody tr').count(), 12);
  await shot('trends');
  await page.getByRole('link', { name: 'Families', exact: true }).click();
  await page.getByTestId('family').first().waitFor();
  await shot('families');
  await page.getByTestId('lang').click();
  await page.getByRole('link', { name: '總覽' }).click();
  await page.getByText('範圍內告警').waitFor();
  await shot('overview-zh-TW');
  await page.getByRole('link', { name: '告警', exact: true }).click();
  await page.getByTestId('episodes-table').locator('tbody tr').first().click();
  await page.getByTestId('alert-text').filter({ hasText: '異常類型' }).waitFor();
  // The thresholds table too: the metric names of the alert text.
  const th = page.locator('table.data').filter({ hasText: '指標' });
  assert.doesNotMatch(await text(th.locator('tbody')), /[a-z]{4,}/);
  await shot('alert-zh-TW', true);
  await page.getByTestId('lang').click();
});

test('a narrow screen: no page is wider than the phone', opts, async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  try {
    for (const [hash, name] of [
      ['#/', 'overview-narrow'],
      ['#/alerts', 'alerts-narrow'],
      [`#/signatures/22-4-240`, 'signature-narrow'],
    ] as const) {
      await page.goto(`${served.http}/${hash}`);
      await page.locator('main section').first().waitFor();
      await page.locator('table.data, .cards').first().waitFor();
      const width = Number(await page.evaluate('document.documentElement.scrollWidth'));
      assert.ok(width <= 390, `${hash}: the page is ${width} px wide`);
      await shot(name);
    }
  } finally {
    await page.setViewportSize({ width: 1400, height: 900 });
  }
});

test('a campus token sees its campus only, in the browser too', opts, async () => {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('API token').fill(TOKENS.campusB);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('who').filter({ hasText: 'Campus B' }).waitFor();
  await page.goto(`${served.http}/#/alerts`);
  await page.getByTestId('episodes-table').waitFor();
  const ips = await page.getByTestId('episodes-table').locator('tbody tr td:nth-child(2)').allInnerTexts();
  assert.deepEqual([...new Set(ips)], ['140.114.9.9']);
  await page.goto(`${served.http}/#/ip/${MEMBERS.campusA[0]}`);
  await page.getByText('This address is outside your organisations.').waitFor();
  // No exporters page: the addresses are the operator's routers.
  assert.equal(await page.getByRole('link', { name: 'Exporters', exact: true }).count(), 0);
  await page.goto(`${served.http}/#/exporters`);
  await page.getByRole('alert').filter({ hasText: 'needs an admin token' }).waitFor();
  // Its own rule (the admin made it, about Campus B's address) and no other; it may not suppress Campus A.
  await page.goto(`${served.http}/#/suppressions`);
  const rules = page.getByTestId('rules-table').locator('tbody tr');
  await rules.first().waitFor();
  assert.deepEqual(await rules.locator('td:first-child').allInnerTexts(), ['140.114.9.9/32']);
  await page.getByTestId('suppress-form').getByLabel('Address or network').fill(MEMBERS.campusA[0]);
  await page.getByTestId('suppress-form').getByLabel('Why').fill('not ours');
  await page.getByTestId('suppress-form').getByRole('button', { name: 'Suppress' }).click();
  await page
    .getByTestId('suppress-form')
    .getByRole('alert')
    .filter({ hasText: 'not wholly inside' })
    .waitFor();
  assert.equal(await rules.count(), 1);
  // The flow explorer asks about Campus B's own flows: a Campus A member's are not there.
  await page.goto(`${served.http}/#/flows?filter=${encodeURIComponent(`src host ${MEMBERS.campusA[0]}`)}`);
  await page.getByTestId('flows-total').filter({ hasText: 'Matched 0 flows' }).waitFor();
  await page.goto(`${served.http}/#/flows?filter=${encodeURIComponent(`src host ${MEMBERS.campusB[0]}`)}`);
  await page
    .getByTestId('flows-total')
    .filter({ hasText: /^Matched [1-9]/ })
    .waitFor();
  // The family of a Campus A member is not there for Campus B.
  await page.goto(`${served.http}/#/families?ip=${MEMBERS.campusA[0]}`);
  await page.getByTestId('filtered-by').waitFor();
  assert.equal(await page.getByTestId('family').count(), 0);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('API token').fill(TOKENS.campusA);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('who').filter({ hasText: 'Campus A' }).waitFor();
  await page.goto(`${served.http}/#/suppressions`);
  await page.getByTestId('suppressions').getByText('Nothing here yet.').waitFor();
});
