import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { defaultConfig } from '../config.js';
import { DuckFlowStore } from '../store/duckdb/index.js';
import { raw } from '../store/sql.js';
import { ROOT, runCli, tempDir } from '../testing/helpers.js';
import { withStore } from './common.js';
import { importMemoryLimit } from './import.js';

/** The import stage's nfdump fixture (see src/import/testdata/README.md). */
const CSV = join(ROOT, 'src/import/testdata/nfdump-1.7.1.csv');

async function snapshot(data: string) {
  const s = await DuckFlowStore.open(data);
  try {
    return { totals: await s.totals({}), days: await s.days() };
  } finally {
    await s.close();
  }
}

/** A data directory that already holds the fixture's 40 flows. */
async function seeded(dir: string): Promise<string> {
  const data = join(dir, 'data');
  const r = await runCli(['import', CSV, '--data', data]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    r.stdout,
    'imported 40 flows (6,199,996 packets, 5,320,439,650 bytes) from 1 file; 0 lines rejected\n',
  );
  return data;
}

/** The fixture with lines 3, 5 and 30 broken. */
function withBadLines(dir: string): string {
  const lines = readFileSync(CSV, 'utf8').split('\n');
  const f = lines[2]!.split(',');
  f[7] = 'XTCP'; // the protocol column
  lines[2] = f.join(',');
  lines[4] = 'garbage';
  lines[29] = lines[29]!.replace(/^\d{4}-\d{2}-\d{2}/, '2026-02-30');
  const path = join(dir, 'bad.csv');
  writeFileSync(path, lines.join('\n'));
  return path;
}

test('import (cli): bad lines are reported as FILE:LINE: message, the rest is imported, exit 0', async (t) => {
  const dir = tempDir(t);
  const bad = withBadLines(dir);
  const r = await runCli(['import', bad, '--data', join(dir, 'data')]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.match(
    lines[0]!,
    /^imported 37 flows \([\d,]+ packets, [\d,]+ bytes\) from 1 file; 3 lines rejected$/,
  );
  assert.match(lines[1]!, new RegExp(`^${bad}:3: protocol \\(pr\\) "XTCP" is not valid$`));
  assert.equal(lines[2], `${bad}:5: expected 48 comma-separated fields, found 1`);
  assert.equal(
    lines[3],
    `${bad}:30: first-seen time (ts) "2026-02-30 ${readFileSync(bad, 'utf8').split('\n')[29]!.slice(11, 19)}" is not valid`,
  );
  assert.equal(lines.length, 4);
  assert.equal((await snapshot(join(dir, 'data'))).totals.flows, 37);
});

test('import (cli): more than 20 rejected lines are listed as the first 20 and a count', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'f.jsonl');
  const lines = ['{"flowEndMilliseconds":1795176000000}'];
  for (let i = 0; i < 25; i++) lines.push('{"flowEndMilliseconds":true}');
  writeFileSync(path, lines.join('\n'));
  const r = await runCli(['import', path, '--data', join(dir, 'data')]);
  assert.equal(r.code, 0, r.stderr);
  const out = r.stdout.trim().split('\n');
  assert.equal(out[0], 'imported 1 flow (0 packets, 0 bytes) from 1 file; 25 lines rejected');
  assert.equal(
    out[1],
    `${path}:2: flowEndMilliseconds: expected epoch milliseconds or an ISO 8601 time, got true`,
  );
  assert.equal(out.length, 22);
  assert.equal(out[21], '... and 5 more');
});

test('import (cli): --json prints the summary object only', async (t) => {
  const dir = tempDir(t);
  const bad = withBadLines(dir);
  const r = await runCli(['import', bad, CSV, '--data', join(dir, 'data'), '--json']);
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout);
  assert.equal(r.stdout.trim().split('\n').length, 1);
  assert.deepEqual(
    [s.files, s.flows, s.rejected, s.errors.map((e: { where: number }) => e.where)],
    [2, 77, 3, [3, 5, 30]],
  );
  assert.deepEqual(await snapshot(join(dir, 'data')).then((x) => x.totals.flows), 77);
});

test('import (cli): every fatal error is one line on stderr, exit 1, and the store is as it was', async (t) => {
  const dir = tempDir(t);
  const data = await seeded(dir);
  const before = await snapshot(data);
  const garbage = join(dir, 'garbage.bin');
  writeFileSync(garbage, Buffer.from(Array.from({ length: 4000 }, (_, i) => (i * 7919 + 13) & 255)));
  const empty = join(dir, 'empty.csv');
  writeFileSync(empty, '');
  const folder = join(dir, 'folder');
  mkdirSync(folder);
  const bad = withBadLines(dir);
  const cases: [string[], string][] = [
    [
      [garbage],
      `${garbage}: not a recognised flow file (tried pcap, nfcapd, ipfix, nfdump-csv, binetflow, zeek, jsonl)`,
    ],
    [[empty], `${empty}: empty file`],
    [[join(dir, 'nope.csv')], `${join(dir, 'nope.csv')}: cannot read (ENOENT: no such file or directory)`],
    [
      [folder],
      `${folder}: cannot read (EISDIR: is a directory; use --recursive to import the flow files under it)`,
    ],
    [
      [CSV, '--format', 'netflow'],
      'unknown format "netflow"; use one of: auto, pcap, nfcapd, ipfix, nfdump-csv, binetflow, zeek, jsonl',
    ],
    [[CSV, bad, '--strict'], `${bad}:3: protocol (pr) "XTCP" is not valid (--strict: nothing was imported)`],
    [[CSV, garbage, '--format', 'nfdump-csv'], `${garbage}: no flow could be read as nfdump-csv`],
    [[CSV, '--format', 'binetflow'], `${CSV}: no flow could be read as binetflow`],
  ];
  for (const [args, message] of cases) {
    const r = await runCli(['import', ...args, '--data', data]);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.split('\n').length, 2, r.stderr); // one line and its newline
    assert.ok(r.stderr.startsWith(`flowhunt: ${message}`), r.stderr);
    assert.deepEqual(await snapshot(data), before, args.join(' '));
  }
});

test('import (cli): --tz reads zoneless times in that zone; without it one warning line after the summary; a bad zone is one error line', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'ctu.binetflow');
  writeFileSync(
    file,
    'StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,Label\n' +
      '2011/08/11 01:30:00.000000,0.5,tcp,192.0.2.1,1025,   ->,192.0.2.2,80,REQ,0,0,1,60,60,flow=x\n' +
      '2011/08/11 01:31:00.000000,0.0,man,0.0.0.0,0,   ->,0.0.0.0,0,STA,0,0,0,0,0,flow=x\n',
  );
  const env = { TZ: 'UTC' };
  const plain = await runCli(['import', file, '--data', join(dir, 'utc')], { env });
  assert.equal(plain.code, 0, plain.stderr);
  assert.equal(
    plain.stdout,
    'imported 1 flow (1 packet, 60 bytes) from 1 file; 0 lines rejected; 1 non-IP or management record skipped\n',
  );
  assert.equal(
    plain.stderr,
    `flowhunt: warning: ${file}: binetflow times carry no time zone; read as local (UTC) time — give --tz ZONE (e.g. Europe/Prague, +08:00) if they were written elsewhere\n`,
  );
  assert.deepEqual(
    (await snapshot(join(dir, 'utc'))).days.map((d) => d.day),
    ['2011-08-11'],
  );

  const prague = await runCli(['import', file, '--tz', 'Europe/Prague', '--data', join(dir, 'prague')], {
    env,
  });
  assert.equal(prague.code, 0, prague.stderr);
  assert.equal(prague.stderr, '');
  assert.deepEqual(
    (await snapshot(join(dir, 'prague'))).days.map((d) => d.day),
    ['2011-08-10'],
  );

  const before = await snapshot(join(dir, 'utc'));
  for (const zone of ['Mars/Olympus', '+25:00', '']) {
    const bad = await runCli(['import', file, '--tz', zone, '--data', join(dir, 'utc')], { env });
    assert.equal(bad.code, 1, bad.stderr);
    assert.equal(bad.stdout, '');
    assert.equal(bad.stderr.split('\n').length, 2, bad.stderr);
    assert.ok(bad.stderr.startsWith(`flowhunt: --tz ${JSON.stringify(zone)} is not a time zone`), bad.stderr);
  }
  assert.deepEqual(await snapshot(join(dir, 'utc')), before);
});

test('import (cli): without storeMemoryLimit the engine may use 512 MiB, 128 MiB a core, at most 80 % of the machine', () => {
  const GiB = 2 ** 30;
  assert.equal(importMemoryLimit(24 * GiB, 2), '512MiB');
  assert.equal(importMemoryLimit(24 * GiB, 4), '512MiB');
  assert.equal(importMemoryLimit(24 * GiB, 16), '2048MiB');
  assert.equal(importMemoryLimit(256 * GiB, 64), '8192MiB');
  assert.equal(importMemoryLimit(4 * GiB, 64), '3276MiB');
  assert.equal(importMemoryLimit(512 * 2 ** 20, 2), '409MiB');
  assert.equal(importMemoryLimit(0, 2), '1MiB');
});

test("import (cli): the store gets the command's limit, and a configured storeMemoryLimit instead", async (t) => {
  const data = join(tempDir(t), 'data');
  const limit = (config: ReturnType<typeof defaultConfig>) =>
    withStore(
      { storeUrl: `duckdb:${data}`, config },
      async (s) =>
        (await s.queryFlows({}, () => raw("SELECT current_setting('memory_limit') AS m")))[0]!['m'],
      { create: true, memoryLimit: '512MiB' },
    );
  assert.equal(await limit(defaultConfig()), '512.0 MiB');
  // DuckDB prints the limit in its own units: 300 MB is 286.1 MiB.
  assert.equal(await limit({ ...defaultConfig(), storeMemoryLimit: '300MB' }), '286.1 MiB');
});
