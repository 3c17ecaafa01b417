import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Finding } from '../hunt/hunt.js';
import { DuckFlowStore } from '../store/duckdb/index.js';
import { runCli, tempDir } from '../testing/helpers.js';

const finding = (ip: string, signature: string): Finding => ({
  day: '2026-11-20',
  signature,
  protocol: 6,
  ip,
  destinations: 12,
  flows: 12,
  sourcePorts: 12,
  firstSeen: Date.parse('2026-11-20T01:00:00Z'),
  lastSeen: Date.parse('2026-11-20T02:00:00Z'),
  role: 'client',
  sessionsPerTarget: 1,
  largeScale: false,
});

test('export suspects --org keeps only the organisation’s addresses, in every format', async (t) => {
  const dir = tempDir(t);
  const data = join(dir, 'data');
  const s = await DuckFlowStore.open(data);
  await s.putDocs('findings', '2026-11-20', [
    finding('140.112.1.1', '22-4-240'),
    finding('140.112.9.9', '1433-3-152'),
    finding('45.1.1.1', '22-4-240'),
    finding('2001:288:1001::7', '22-4-240'),
  ]);
  await s.close();
  writeFileSync(
    join(dir, 'orgs.yaml'),
    'organisations:\n  - name: Campus A\n    cidrs: [140.112.0.0/16, 2001:288:1001::/48]\n    contacts: [noc@a.example]\n',
  );
  writeFileSync(
    join(dir, 'cfg.yaml'),
    `enrich:\n  directory: ${join(dir, 'orgs.yaml')}\n  geoCountry: false\n`,
  );
  const base = ['--data', data, '--config', join(dir, 'cfg.yaml')];
  const block = await runCli(['export', 'suspects', '--format', 'blocklist', '--org', 'Campus A', ...base]);
  assert.equal(block.code, 0, block.stderr);
  assert.equal(block.stdout, '140.112.1.1\n140.112.9.9\n2001:288:1001::7\n');
  const csv = await runCli(['export', 'findings', '--format', 'csv', '--org', 'Campus A', ...base]);
  assert.equal(csv.stdout.trim().split('\n').length, 4, csv.stdout);
  assert.ok(!csv.stdout.includes('45.1.1.1'));
  const stix = await runCli(['export', 'suspects', '--format', 'stix', '--org', 'Campus A', ...base]);
  const bundle = JSON.parse(stix.stdout) as { objects: { type: string }[] };
  assert.equal(bundle.objects.filter((o) => o.type === 'indicator').length, 3);
  const all = await runCli(['export', 'suspects', '--format', 'blocklist', ...base]);
  assert.equal(all.stdout.trim().split('\n').length, 4);
  const bad = await runCli(['export', 'suspects', '--org', 'Nowhere', ...base]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /no organisation "Nowhere"/);
});
