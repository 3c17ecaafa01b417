/** @module The error registry against docs/errors.md, the error classes and the CLI's exit statuses. */

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ThrottleError } from './alert/throttle.js';
import { ApiError } from './api/params.js';
import { ServeError } from './app/serve.js';
import { UsageError } from './cli/common.js';
import { ConfigError } from './config.js';
import { DirectoryError } from './enrich/directory.js';
import { GeoError } from './enrich/geo.js';
import { classify, ERRORS } from './errors.js';
import { ImportError } from './import/index.js';
import { SimulationError } from './simulate/simulation.js';
import { FilterError } from './store/filter/errors.js';
import { StoreError } from './store/types.js';
import { ROOT, runCli, tempDir } from './testing/helpers.js';

function docRows(): string[][] {
  const md = readFileSync(join(ROOT, 'docs/errors.md'), 'utf8');
  return md
    .split('\n')
    .filter((l) => /^\| `/.test(l))
    .map((l) =>
      l
        .slice(1, -1)
        .split(' | ')
        .map((c) => c.trim()),
    );
}

test('docs/errors.md lists exactly the registry, in its order, with its statuses and meanings', () => {
  const rows = docRows();
  const expected = Object.entries(ERRORS).map(([code, s]) => [
    `\`${code}\``,
    String(s.exit),
    String(s.http),
    s.expose ? 'yes' : 'no',
    s.summary,
  ]);
  assert.deepEqual(rows, expected);
});

test('every error class of flowhunt carries a registered code; anything else is internal, exit 2', () => {
  const errors = [
    new UsageError('x'),
    new ConfigError('x'),
    new StoreError('x', 'store_full'),
    new FilterError('x', 0, 'x'),
    new DirectoryError('x'),
    new GeoError('x'),
    new ImportError('x'),
    new SimulationError('x'),
    new ThrottleError('x'),
    new ServeError('x'),
    new ApiError('forbidden', 'x'),
  ];
  const codes = errors.map((e) => classify(e).code);
  assert.deepEqual(codes, [
    'usage',
    'config',
    'store_full',
    'bad_filter',
    'bad_directory',
    'bad_geo_database',
    'import_failed',
    'simulation',
    'alert_state',
    'serve_failed',
    'forbidden',
  ]);
  assert.equal(new ApiError('forbidden', 'x').status, 403);
  assert.deepEqual(classify(new TypeError('x')), { code: 'internal', spec: ERRORS.internal });
  assert.equal(ERRORS.internal.exit, 2);
});

test('the CLI exits with the registry status and one line for a registered error', async (t) => {
  const dir = tempDir(t);
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'detect: [1, 2\n');
  const r = await runCli(['days', '--config', bad, '--data', dir]);
  assert.equal(r.code, ERRORS.config.exit);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^flowhunt: [^\n]+\n$/);
  const s = await runCli(['days', '--store', 'clickhouse://', '--data', dir]);
  assert.equal(s.code, ERRORS.bad_store_url.exit);
  assert.match(s.stderr, /^flowhunt: bad ClickHouse store URL [^\n]+\n$/);
});
