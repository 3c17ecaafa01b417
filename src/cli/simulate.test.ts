import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { openStore } from '../store/open.js';
import { requireTool, runCli, tempDir } from '../testing/helpers.js';
import { nfdump, startNfcapd } from '../testing/nfcapd.js';

const SMALL = ['--scenario', 'demo', '--hours', '0.2', '--scale', '0.05'];

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('flowhunt simulate', () => {
  test('the same seed writes a byte-identical IPFIX file and truth; another seed does not', async (t) => {
    const dir = tempDir(t);
    const runs = [
      ['a', '7'],
      ['b', '7'],
      ['c', '8'],
    ];
    for (const [name, seed] of runs) {
      const r = await runCli([
        'simulate',
        ...SMALL,
        '--seed',
        seed!,
        '--out',
        `ipfix:${join(dir, `${name}.ipfix`)}`,
        '--truth',
        join(dir, `${name}.json`),
      ]);
      assert.equal(r.code, 0, r.stderr);
    }
    assert.equal(sha(join(dir, 'a.ipfix')), sha(join(dir, 'b.ipfix')));
    assert.equal(sha(join(dir, 'a.json')), sha(join(dir, 'b.json')));
    assert.notEqual(sha(join(dir, 'a.ipfix')), sha(join(dir, 'c.ipfix')));
    const truth = JSON.parse(readFileSync(join(dir, 'a.json'), 'utf8'));
    assert.equal(truth.scenario, 'demo');
    assert.equal(truth.seed, 7);
    assert.ok(truth.totals.flows > 1000);
    // The file is IPFIX messages back to back (RFC 5655): walk them.
    const file = readFileSync(join(dir, 'a.ipfix'));
    let off = 0;
    let messages = 0;
    while (off < file.length) {
      assert.equal(file.readUInt16BE(off), 10);
      off += file.readUInt16BE(off + 2);
      messages++;
    }
    assert.equal(off, file.length);
    assert.ok(messages > 10);
  });

  for (const format of ['v9', 'ipfix']) {
    test(`UDP ${format} to a real nfcapd: nfdump's totals equal the truth's`, async (t) => {
      if (!requireTool(t, 'nfcapd')) return;
      const dir = tempDir(t);
      const nf = await startNfcapd(dir);
      const truthPath = join(dir, 'truth.json');
      const r = await runCli([
        'simulate',
        ...SMALL,
        '--out',
        `udp://127.0.0.1:${nf.port}?format=${format}&rate=40000`,
        '--truth',
        truthPath,
        '--json',
      ]);
      const file = await nf.stop();
      const log = nf.log();
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, new RegExp(`sent [\\d,]+ flows in [\\d,]+ ${format} packets .* flows/s`));
      const summary = JSON.parse(r.stdout);
      const truth = JSON.parse(readFileSync(truthPath, 'utf8'));
      assert.deepEqual(summary.totals, truth.totals);
      assert.match(log, /Sequence Errors: 0, Bad Packets: 0/);
      const info = await nfdump(['-I', '-r', file]);
      assert.match(info, /Sequence failures: 0/);
      for (const [k, v] of [
        ['Flows', truth.totals.flows],
        ['Packets', truth.totals.packets],
        ['Bytes', truth.totals.bytes],
      ]) {
        assert.match(info, new RegExp(`^${k}: ${v}$`, 'm'), `${k} in ${info}`);
      }
    });
  }

  test('--out store writes the flows into the store', async (t) => {
    const dir = tempDir(t);
    const store = `duckdb:${join(dir, 'data')}`;
    const truthPath = join(dir, 'truth.json');
    const r = await runCli(['simulate', ...SMALL, '--out', 'store', '--store', store, '--truth', truthPath]);
    assert.equal(r.code, 0, r.stderr);
    const truth = JSON.parse(readFileSync(truthPath, 'utf8'));
    const s = await openStore(store);
    try {
      assert.deepEqual(await s.totals({}), truth.totals);
    } finally {
      await s.close();
    }
  });

  test('mistakes get one clear line and a non-zero exit', async () => {
    const cases: [string[], RegExp][] = [
      [
        ['--scenario', 'nope', '--out', 'store'],
        /unknown scenario "nope" \(known: demo, day, paper, profiles, baseline\)/,
      ],
      [['--scenario', 'demo', '--out', 'tcp://x:1'], /use udp:\/\/HOST:PORT/],
      [['--scenario', 'demo', '--out', 'udp://127.0.0.1:2055?format=v5'], /format must be v9 or ipfix/],
      [['--scenario', 'demo', '--out', 'udp://127.0.0.1'], /needs a host and a port/],
      [['--scenario', 'demo', '--out', 'store', '--scale', '-1'], /--scale "-1" is not valid/],
      [
        ['--scenario', 'demo', '--out', 'store', '--from', 'yesterday'],
        /--from "yesterday" is not an ISO 8601 time/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(['simulate', ...args]);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });
});
