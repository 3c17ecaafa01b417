import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { type Report, windowId } from '../detect/report.js';
import { DuckFlowStore } from '../store/duckdb/index.js';
import { ROOT, runCli, tempDir } from '../testing/helpers.js';

const CITY = join(ROOT, 'src/enrich/testdata/GeoLite2-City-Test.mmdb');
const W0 = Date.parse('2026-11-20T10:00:00Z');

/** A source report with one port-packets-octets combination: the fields the catalog learns from. */
const report = (ip: string): Report =>
  ({
    id: `${new Date(W0).toISOString()}/source/${ip}`,
    ip,
    role: 'source',
    type: 'service-scan',
    windowStart: W0,
    windowEnd: W0 + 300_000,
    profile: {
      ppo: { top: [{ value: '22-4-240', share: 1 }] },
      protocols: { top: [{ value: '6', share: 1 }] },
    },
  }) as unknown as Report;

test("signatures (cli): attackers in the paper's form 1.2.3.4(@City[CC]); reserved addresses get no place", async (t) => {
  const dir = tempDir(t);
  const data = join(dir, 'data');
  const s = await DuckFlowStore.open(data);
  const ips = ['81.2.69.160', '192.168.1.1', '2001:db8::1', '89.160.20.112', '140.112.8.116'];
  await s.putDocs('reports', windowId(W0), ips.map(report));
  await s.close();
  const cfg = join(dir, 'cfg.yaml');
  writeFileSync(cfg, `enrich:\n  geoCity: ${CITY}\n`);
  const r = await runCli(['signatures', '--data', data, '--config', cfg]);
  assert.equal(r.code, 0, r.stderr);
  const line = r.stdout.split('\n').find((l) => l.startsWith('1# 22-4-240:'));
  assert.ok(line, r.stdout);
  const who = line.replace(/^1# 22-4-240: 5 attackers: /, '').replace(/ {2}\[strength .*$/, '');
  assert.deepEqual(who.split(' ').sort(), [
    '140.112.8.116([TW])', // the packaged country database: a country, no city
    '192.168.1.1', // private: no place, though the country database says AU
    '2001:db8::1', // documentation: no place, though it says JP
    '81.2.69.160(@London[GB])',
    '89.160.20.112(@Linköping[SE])',
  ]);
});
