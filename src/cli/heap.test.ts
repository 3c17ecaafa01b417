import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { heapFlags } from './heap.js';

test('heap: the external-memory flag is set from V8 13.6 on, never where V8 does not know it', () => {
  assert.deepEqual(heapFlags('13.6.233.17-node.63'), ['--external-memory-accounted-in-global-limit']);
  assert.deepEqual(heapFlags('14.1.0'), ['--external-memory-accounted-in-global-limit']);
  assert.deepEqual(heapFlags('13.5.9'), []);
  assert.deepEqual(heapFlags('12.4.254.21-node.57'), []); // Node 22
  assert.deepEqual(heapFlags('11.3.244.8-node.25'), []); // Node 20
  assert.deepEqual(heapFlags('not a version'), []);
});

test('heap: the command line starts without a word from V8 on this Node', () => {
  const bin = fileURLToPath(new URL('../../../bin/flowhunt.js', import.meta.url));
  const r = spawnSync(process.execPath, [bin, '--version'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
});
