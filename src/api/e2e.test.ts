/**
 * End to end: the real `flowhunt serve` on loopback, Debian's Chromium
 * driven by playwright-core. Log in, watch the overview fill, open an alert,
 * open a signature, find a hunted IP, switch language. Each page is
 * screenshotted (into docs/screenshots/ with `npm run screenshots`).
 */

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { emptyRecord, type FlowRecord } from '../flow/record.js';
import { encodeNetflowV5, sendUdp } from '../testing/nfcapd.js';
import { type Served, startServe } from '../testing/serve.js';
import { CHROMIUM, CHROMIUM_ARGS, chromiumOrSkip, screenshotDir } from './browser.js';
import { WEB_ROOT } from './index.js';
import { type Dataset, MEMBERS, makeDataset, scratchDir, TOKENS } from './testing.js';

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

test('an alert opens with its histograms, its text and its duration', opts, async () => {
  const ddos = ds.reports.filter((r) => r.type === 'ddos-victim').at(-1)!;
  await page.getByRole('link', { name: 'Alerts', exact: true }).click();
  await page.getByTestId('alerts-table').waitFor();
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
  await shot('alert', true);
});

test('a signature shows its attackers and the hosts the hunt found', opts, async () => {
  await page.getByRole('link', { name: 'Signatures', exact: true }).click();
  await page.getByTestId('port-22').getByRole('link', { name: '22-4-240' }).waitFor();
  await shot('signatures');
  await page.getByTestId('port-22').getByRole('link', { name: '22-4-240' }).click();
  await page.getByTestId('signature-detail').waitFor();
  const hosts = MEMBERS.campusA.length + MEMBERS.campusB.length + MEMBERS.outside.length;
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
  await shot('ip');
});

test('the trend chart, the families, and the dashboard in Traditional Chinese', opts, async () => {
  await page.getByRole('link', { name: 'Trends', exact: true }).click();
  await page.getByTestId('chart-trend').locator('canvas').waitFor();
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
  await page.getByText('近 24 小時告警').waitFor();
  await shot('overview-zh-TW');
  await page.getByRole('link', { name: '告警', exact: true }).click();
  await page.getByTestId('alerts-table').locator('tbody tr').first().click();
  await page.getByTestId('alert-text').filter({ hasText: '異常類型' }).waitFor();
  await page.getByTestId('lang').click();
});

test('a campus token sees its campus only, in the browser too', opts, async () => {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('API token').fill(TOKENS.campusB);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('who').filter({ hasText: 'Campus B' }).waitFor();
  await page.goto(`${served.http}/#/alerts`);
  await page.getByTestId('alerts-table').waitFor();
  const ips = await page.getByTestId('alerts-table').locator('tbody tr td:nth-child(2)').allInnerTexts();
  assert.deepEqual([...new Set(ips)], ['140.114.9.9']);
  await page.goto(`${served.http}/#/ip/${MEMBERS.campusA[0]}`);
  await page.getByText('This address is outside your organisations.').waitFor();
});
