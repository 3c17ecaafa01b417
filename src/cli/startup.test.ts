/**
 * @module Start-up loads only what the command uses (issue #18): `--help` and
 * `--version` no command and no heavy library; a DuckDB query not ClickHouse's
 * client, fastify, nodemailer or the progress bar. Checked by the modules a
 * real process loads (a load hook), not by timing. Also the argument handling
 * of main.ts: global options before the command, one-line usage errors.
 */

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fixture, ROOT, runCli, simulateDemo, tempDir } from '../testing/helpers.js';
import { locateCommand } from './argv.js';

const HEAVY = ['@duckdb', '@clickhouse', 'fastify', 'zod', 'yaml', 'nodemailer', 'maxmind', 'cli-progress'];

/** The npm packages a `flowhunt ARGS` process loaded. */
function packagesLoaded(args: string[], logFile: string): Promise<{ code: number; packages: Set<string> }> {
  return new Promise((resolve, reject) => {
    const p = spawn(
      process.execPath,
      ['--import', fixture(import.meta.url, 'load-hook.mjs'), join(ROOT, 'bin/flowhunt.js'), ...args],
      { env: { ...process.env, FLOWHUNT_LOAD_LOG: logFile }, stdio: ['ignore', 'ignore', 'ignore'] },
    );
    p.on('error', reject);
    p.on('close', (code) => {
      const urls = readFileSync(logFile, 'utf8').split('\n');
      const packages = new Set(
        urls.flatMap((u) => {
          const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u);
          return m ? [m[1]!] : [];
        }),
      );
      resolve({ code: code ?? -1, packages });
    });
  });
}

const heavyIn = (packages: Set<string>) => [...packages].filter((p) => HEAVY.some((h) => p.startsWith(h)));

test('--help, --version and a command help load no heavy library', async (t) => {
  const dir = tempDir(t);
  for (const args of [['--help'], ['--version'], [], ['days', '--help']]) {
    const r = await packagesLoaded(args, join(dir, 'load.txt'));
    assert.deepEqual(heavyIn(r.packages), [], `flowhunt ${args.join(' ')}`);
    assert.ok(r.packages.has('commander'), 'the log is written');
  }
});

test('a query and days on DuckDB load DuckDB and no other heavy library (no config schemas without --config)', async (t) => {
  const dir = tempDir(t);
  const data = join(dir, 'data');
  await simulateDemo(data);
  for (const args of [
    ['query', '--data', data, '--limit', '1'],
    ['query', 'proto tcp', '--stat', 'srcip', '--data', data],
    ['days', '--data', data],
  ]) {
    const r = await packagesLoaded(args, join(dir, 'load.txt'));
    assert.equal(r.code, 0, args.join(' '));
    assert.deepEqual(
      heavyIn(r.packages).filter((p) => !p.startsWith('@duckdb')),
      [],
      args.join(' '),
    );
    assert.ok(r.packages.has('@duckdb/node-api'));
  }
  // With a config file the configuration is validated as before.
  const config = join(dir, 'flowhunt.yaml');
  writeFileSync(config, `data: ${data}\n`);
  const withConfig = await packagesLoaded(
    ['query', '--config', config, '--limit', '1'],
    join(dir, 'load.txt'),
  );
  assert.equal(withConfig.code, 0);
  assert.ok(withConfig.packages.has('zod'));
});

test('global options may come before the command', () => {
  assert.deepEqual(locateCommand(['--data', 'd', '--json', 'reports', '--type', 'flood']), {
    name: 'reports',
    args: ['reports', '--data', 'd', '--json', '--type', 'flood'],
  });
  assert.deepEqual(locateCommand(['--store=duckdb:x', 'days']), {
    name: 'days',
    args: ['days', '--store=duckdb:x'],
  });
  assert.deepEqual(locateCommand(['help', 'query']), { name: 'query', args: ['query', '--help'] });
  assert.deepEqual(locateCommand(['--version']), { args: ['--version'] });
});

test('global options before the command work; a usage mistake is one line, not the help', async (t) => {
  const data = join(tempDir(t), 'data');
  const sim = await runCli([
    '--data',
    data,
    'simulate',
    '--scenario',
    'demo',
    '--hours',
    '0.1',
    '--scale',
    '0.01',
    '--out',
    'store',
  ]);
  assert.equal(sim.code, 0, sim.stderr);
  const before = await runCli(['--data', data, '--json', 'days']);
  const after = await runCli(['days', '--data', data, '--json']);
  assert.equal(before.code, 0, before.stderr);
  assert.equal(before.stdout, after.stdout);
  assert.equal(JSON.parse(before.stdout).days.length, 1);
  const bad = await runCli(['days', '--data', data, '--bogus']);
  assert.equal(bad.code, 1);
  assert.equal(bad.stdout, '');
  assert.equal(bad.stderr, "flowhunt: unknown option '--bogus' (see flowhunt days --help)\n");
  const unknown = await runCli(['dyas']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /^flowhunt: unknown command 'dyas'[^\n]*\n$/);
});
