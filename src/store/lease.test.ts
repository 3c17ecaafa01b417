import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../testing/helpers.js';
import { leaseContract } from '../testing/lease.case.js';
import { DuckFlowStore } from './duckdb/index.js';
import { instanceId } from './lease.js';

test('a lease in the store: one holder at a time, renewal, takeover after expiry, release, races', async (t) => {
  const store = await DuckFlowStore.open(tempDir(t));
  try {
    await leaseContract(store);
  } finally {
    await store.close();
  }
});

test('the instance identity is made once per data directory and kept', async (t) => {
  const dir = tempDir(t);
  const id = await instanceId(dir);
  assert.match(id, /^[0-9a-f-]{36}$/);
  assert.equal(await instanceId(dir), id);
  assert.equal(readFileSync(join(dir, 'instance-id'), 'utf8').trim(), id);
  assert.notEqual(await instanceId(tempDir(t)), id);
});
