import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FlowBatch } from '../flow/batch.js';
import { DuckFlowStore } from '../store/duckdb/index.js';
import { labelledWindow, W0, WIN } from '../testing/windows.js';
import { mitigationLines } from './flowspec.js';
import { detectRange } from './index.js';
import type { Report } from './report.js';
import { defaultThresholds } from './thresholds.js';

/** The real detector's reports of the labelled window. */
async function labelledReports(): Promise<Report[]> {
  const dir = mkdtempSync(join(tmpdir(), 'flowhunt-flowspec-'));
  const s = await DuckFlowStore.open(dir);
  try {
    const b = new FlowBatch(1 << 16);
    for (const f of labelledWindow(W0, 1).flows) b.push(f);
    await s.append(b);
    await s.flush();
    const [r] = await detectRange(s, W0, W0 + WIN, { thresholds: defaultThresholds() });
    return r!.reports;
  } finally {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const lines = (text: string) => text.split('\n').filter((l) => l && !l.startsWith('#'));

test('Flowspec and RTBH lines for the labelled victims: SYN flood by destination port, NTP reflection by source port', async () => {
  const reports = await labelledReports();
  const ddos = reports!.find((r) => r.type === 'ddos-victim')!;
  assert.deepEqual(lines(mitigationLines(ddos, { blackholeNextHop: '198.51.100.66' })), [
    'announce flow route { match { destination 140.114.9.9/32; protocol tcp; destination-port =80; } then { discard; } }',
    'announce route 140.114.9.9/32 next-hop 198.51.100.66 community [65535:666]',
  ]);
  const refl = reports!.find((r) => r.type === 'reflection-victim')!;
  assert.deepEqual(
    lines(mitigationLines(refl))[0],
    `announce flow route { match { destination ${refl.ip}/32; protocol udp; source-port =123; } then { discard; } }`,
  );
  // An IPv6 victim gets host routes of /128; an attacker's report has no mitigation lines.
  const v6 = lines(mitigationLines({ ...ddos, ip: '2001:db8:b::9' }));
  assert.match(v6[0]!, /destination 2001:db8:b::9\/128;/);
  assert.match(v6.at(-1)!, /^announce route 2001:db8:b::9\/128 next-hop /);
  const attacker = reports!.find((r) => r.role === 'source')!;
  assert.throws(() => mitigationLines(attacker), /not a victim report/);
});
