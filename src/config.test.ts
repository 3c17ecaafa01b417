import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, configSchema, defaultConfig, loadConfig } from './config.js';
import { tempDir } from './testing/helpers.js';

test('the defaults are a valid configuration', () => {
  const d = defaultConfig();
  assert.deepEqual(configSchema.parse(d), d);
  assert.equal(d.detect.topN, 500);
  assert.equal(d.detect.windowMinutes, 5);
  assert.equal(d.hunt.minShare, 0.5);
});

test('a partial file keeps the other defaults; a bad key or value is refused with its path', async (t) => {
  const dir = tempDir(t);
  const ok = join(dir, 'ok.yaml');
  writeFileSync(ok, 'detect:\n  client:\n    scanPeers: 100\n');
  const c = await loadConfig(ok);
  assert.equal(c.detect.client.scanPeers, 100);
  assert.equal(c.detect.client.manyPeers, defaultConfig().detect.client.manyPeers);
  const cases: [string, RegExp][] = [
    ['detect:\n  client:\n    scanPeers: "many"\n', /detect\.client\.scanPeers/],
    ['colect: {}\n', /colect|unrecognized/i],
    ['hunt:\n  minShare: 2\n', /hunt\.minShare/],
    ['a: [\n', /not valid YAML/],
  ];
  for (const [text, re] of cases) {
    const p = join(dir, 'bad.yaml');
    writeFileSync(p, text);
    await assert.rejects(loadConfig(p), (e: Error) => e instanceof ConfigError && re.test(e.message), text);
  }
  await assert.rejects(loadConfig(join(dir, 'missing.yaml')), /cannot read config .*ENOENT/);
});

test('storeMemoryLimit: a size DuckDB reads is kept as written; anything else is refused with the key', async (t) => {
  const dir = tempDir(t);
  const p = join(dir, 'c.yaml');
  assert.equal(defaultConfig().storeMemoryLimit, undefined);
  for (const v of ['512MB', '2GiB', '1.5 GB']) {
    writeFileSync(p, `storeMemoryLimit: ${v}\n`);
    assert.equal((await loadConfig(p)).storeMemoryLimit, v);
  }
  for (const v of ['512', 'lots', '-1GB']) {
    writeFileSync(p, `storeMemoryLimit: "${v}"\n`);
    await assert.rejects(
      loadConfig(p),
      (e: Error) =>
        e instanceof ConfigError && /storeMemoryLimit/.test(e.message) && /512MB or 2GiB/.test(e.message),
      v,
    );
  }
});
